"""The live room and alerts through the real ingest path: enter/leave/tip events replayed page
by page, who is in the room at each step, and alerts that fire once per arrival, never for an
excluded person or the owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.token_history import TIP, broadcast_event, export_lines, room_event, tip_event
from mhc.db.connection import Database
from mhc.domain.alerts import AlertRules, parse_rules
from mhc.domain.models import Confidence
from mhc.services import alerts, ingest, live_room, memory, persons, token_history, watchlists
from mhc.services.live_room import LiveRoom

OWNER = "the_owner"
T = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)
RULES = {
    "rules": [
        {"id": "whale", "kind": "lifetime_tokens", "min_tokens": 100, "sound": True},
        {"id": "friends", "kind": "watchlist", "watchlist_id": 1},
    ]
}


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


class Room:
    """Feeds pages through ingest and reads the room as the API does."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def page(self, *envelopes: dict[str, Any]) -> None:
        ingest.store_pages(self.db, [list(envelopes)], owner=OWNER, received_at=at(0))

    def now(self, minutes: float) -> LiveRoom:
        return live_room.room(self.db, owner=OWNER, clock=lambda: at(minutes))

    def names(self, minutes: float) -> list[str]:
        return [p.username for p in self.now(minutes).people]

    def alerts(self) -> list[tuple[str, str, datetime]]:
        page = alerts.list_alerts(self.db, limit=50)
        return [(a.rule_id, a.username, a.at) for a in reversed(page.items)]


def rules() -> AlertRules:
    return parse_rules(RULES)


def test_who_is_in_the_room_at_each_step_and_alerts_once_per_arrival(db: Database) -> None:
    room = Room(db)
    # Given history: the whale tipped 500 twenty days ago; smk_lover (excluded) tipped 1000
    days_ago = -20 * 24 * 60
    room.page(
        room_event("userEnter", OWNER, "whale_01", at(days_ago)),
        tip_event(OWNER, "whale_01", 500, at(days_ago + 1)),
        tip_event(OWNER, "smk_lover", 1000, at(days_ago + 2)),
    )
    room.page(room_event("userEnter", OWNER, "friend_02", at(-2000)))
    friend = room.now(0)  # not live yet: nobody is "in the room"
    assert (friend.live, friend.people) == (False, [])
    with db.transaction() as conn:
        friend_id = conn.execute("SELECT id FROM persons WHERE username = 'friend_02'").fetchone()
    assert friend_id is not None
    watchlists.add(db, 1, int(friend_id["id"]))
    # And the owner's rules: a lifetime-tokens rule and a watchlist rule
    alerts.put_rules(db, rules(), owner=OWNER, clock=lambda: at(-1))

    # When the broadcast starts: live, nobody in the room yet
    room.page(broadcast_event("broadcastStart", OWNER, at(0)))
    assert room.now(0.5).live
    assert room.names(0.5) == []

    # When the whale arrives: in the room, with what matters; one alert
    room.page(room_event("userEnter", OWNER, "whale_01", at(1), inFanclub=True))
    (whale,) = room.now(1.5).people
    assert (whale.username, whale.arrived_at, whale.lifetime_tokens) == ("whale_01", at(1), 500)
    assert whale.last_visit_at == at(days_ago)
    assert whale.visits == 2
    assert whale.fan_club
    assert whale.flags["inFanclub"] is True
    assert whale.why == "500 tokens to you in all · Back after 20 days · Fan club member"
    assert room.alerts() == [("whale", "whale_01", at(1))]

    # When a second tab sends another enter: still one stay, no second alert
    room.page(room_event("userEnter", OWNER, "whale_01", at(2), seq=1))
    assert [(p.username, p.arrived_at) for p in room.now(2.5).people] == [("whale_01", at(1))]
    assert len(room.alerts()) == 1

    # When a friend on the watchlist arrives: newest first; the watchlist alert
    room.page(room_event("userEnter", OWNER, "friend_02", at(3)))
    assert room.names(3.5) == ["friend_02", "whale_01"]
    assert room.alerts()[-1] == ("friends", "friend_02", at(3))

    # When an excluded person (who tipped 1000) and the owner herself enter: neither is
    # listed, the excluded one is counted as hidden, and nobody alerts
    room.page(
        room_event("userEnter", OWNER, "smk_lover", at(4)),
        room_event("userEnter", OWNER, OWNER, at(5)),
    )
    state = room.now(5.5)
    assert [p.username for p in state.people] == ["friend_02", "whale_01"]
    assert state.totals is not None
    assert (state.totals.present, state.totals.hidden) == (2, 1)
    assert len(room.alerts()) == 2

    # When a newcomer enters and tips anonymously: listed, the tip counted in the session's
    # totals but never under their name
    room.page(
        room_event("userEnter", OWNER, "newbie_03", at(6)),
        tip_event(OWNER, "newbie_03", 50, at(6.5), anonymous=True),
        tip_event(OWNER, "friend_02", 20, at(6.6)),
    )
    state = room.now(7)
    newbie = state.people[0]
    assert (newbie.username, newbie.tokens_this_session, newbie.lifetime_tokens) == (
        "newbie_03",
        0,
        0,
    )
    assert newbie.why == "First visit"
    assert state.totals is not None
    assert (state.totals.anonymous_tips, state.totals.anonymous_tokens) == (1, 50)
    assert (state.totals.tokens, state.totals.tips) == (70, 2)  # anonymous 50, friend 20
    assert state.totals.entered == 3  # whale, friend, newbie (not the owner, not smk_lover)
    assert state.people[1].tokens_this_session == 20

    # When the whale leaves: gone from the room
    leave = room_event("userLeave", OWNER, "whale_01", at(8))
    room.page(leave)
    assert room.names(8.5) == ["newbie_03", "friend_02"]
    # And the same page delivered again changes nothing
    room.page(leave)
    assert room.names(8.5) == ["newbie_03", "friend_02"]

    # When the whale comes back: a new arrival, a new alert
    room.page(room_event("userEnter", OWNER, "whale_01", at(9)))
    assert room.names(9.5) == ["whale_01", "newbie_03", "friend_02"]
    assert room.alerts()[-1] == ("whale", "whale_01", at(9))
    # When their connection drops and comes back at the same instant: no alert, same stay
    room.page(
        room_event("userLeave", OWNER, "whale_01", at(10)),
        room_event("userEnter", OWNER, "whale_01", at(10), seq=1),
    )
    assert room.now(10.5).people[0].arrived_at == at(9)
    assert room.alerts() == [
        ("whale", "whale_01", at(1)),
        ("friends", "friend_02", at(3)),
        ("whale", "whale_01", at(9)),
    ]
    # And the peak counted people present at once (the owner and the excluded one not)
    state = room.now(11)
    assert state.totals is not None
    assert state.totals.peak == 3

    # When the broadcast stops: the room is empty again
    room.page(broadcast_event("broadcastStop", OWNER, at(12)))
    assert room.now(12.5).live is False


def test_a_follow_by_a_tipper_alerts_and_rules_off_do_not(db: Database) -> None:
    room = Room(db)
    room.page(tip_event(OWNER, "fan_04", 30, at(-60)))
    alerts.put_rules(
        db,
        parse_rules(
            {
                "rules": [
                    {"id": "tipper-follows", "kind": "new_follower_tipper", "min_tokens": 10},
                    {"id": "off", "kind": "lifetime_tokens", "min_tokens": 1, "enabled": False},
                ]
            }
        ),
        owner=OWNER,
    )
    room.page(
        room_event("userEnter", OWNER, "fan_04", at(0)),
        room_event("follow", OWNER, "fan_04", at(1)),
        room_event("follow", OWNER, "stranger_05", at(2)),  # never tipped
    )
    assert room.alerts() == [("tipper-follows", "fan_04", at(1))]


def test_a_broken_rule_set_never_fails_ingest(db: Database) -> None:
    # Given a rule set that cannot be read (written behind the API's back)
    with db.transaction() as conn:
        conn.execute(
            """INSERT INTO alert_rule_sets (rules, saved_at)
               VALUES ('[{"id": "x", "kind": "nonsense"}]', now())"""
        )
    # When events arrive, they are stored all the same
    room = Room(db)
    room.page(broadcast_event("broadcastStart", OWNER, at(0)))
    room.page(room_event("userEnter", OWNER, "alice_01", at(1)))
    assert room.names(2) == ["alice_01"]
    assert room.alerts() == []


def test_big_tip_and_returning_regular_rules_fire_on_arrival(db: Database) -> None:
    room = Room(db)
    day = 24 * 60
    # Given a regular who came to seven sessions, the last 31 days ago, and a one-time visitor
    for n in range(7):
        start = -37 * day + n * day
        visitor = "once_07" if n == 6 else "regular_06"
        room.page(
            broadcast_event("broadcastStart", OWNER, at(start)),
            room_event("userEnter", OWNER, "regular_06", at(start + 5)),
            room_event("userEnter", OWNER, visitor, at(start + 6), seq=1),
            broadcast_event("broadcastStop", OWNER, at(start + 60)),
        )
    # And tips: 150 three days ago, 150 ten days ago
    room.page(
        tip_event(OWNER, "recent_08", 150, at(-3 * day)),
        tip_event(OWNER, "old_09", 150, at(-10 * day)),
    )
    alerts.put_rules(
        db,
        parse_rules(
            {
                "rules": [
                    {"id": "big", "kind": "big_tip", "min_tokens": 100, "within_days": 7},
                    {"id": "back", "kind": "returning_regular", "min_days_away": 14},
                ]
            }
        ),
        owner=OWNER,
    )
    # When they all arrive in today's session
    room.page(broadcast_event("broadcastStart", OWNER, at(0)))
    room.page(
        room_event("userEnter", OWNER, "regular_06", at(1)),
        room_event("userEnter", OWNER, "once_07", at(2)),
        room_event("userEnter", OWNER, "recent_08", at(3)),
        room_event("userEnter", OWNER, "old_09", at(4)),
    )
    # Then the regular (back after almost 31 days) and the recent big tipper alert, nobody else
    assert room.alerts() == [("back", "regular_06", at(1)), ("big", "recent_08", at(3))]
    reasons = [a.reason for a in reversed(alerts.list_alerts(db).items)]
    assert reasons == [
        "A regular back after 30 days away",
        "Tipped 150 tokens at once in the last 7 days (≥ 100)",
    ]


def test_everyone_is_read_as_their_group_and_every_payment_once(db: Database) -> None:
    """Merged rows, a renamed person, a linked token-history twin and a row merged into an
    excluded person: one line per human, their history together, each payment counted once."""
    room = Room(db)
    day = 24 * 60
    # Given history: two rows of one human (twin_a, twin_b) who both visited and tipped; a
    # person who tipped under an old name; a fan who joined the fan club; an excluded person
    # and a second row of theirs
    room.page(
        room_event("userEnter", OWNER, "twin_a", at(-30 * day)),
        tip_event(OWNER, "twin_a", 100, at(-30 * day + 1)),
        room_event("userEnter", OWNER, "twin_b", at(-20 * day)),
        tip_event(OWNER, "twin_b", 40, at(-20 * day + 1)),
        room_event("fanclubJoin", OWNER, "fan_c", at(-10 * day)),
        room_event("userEnter", OWNER, "hider", at(-6 * day)),
        tip_event(OWNER, "hider_alt", 70, at(-5 * day)),
    )
    with db.transaction() as conn:
        persons.find_or_create(conn, "old_handle", did=5, seen_at=at(-9 * day))
        tip = tip_event(OWNER, "old_handle", 30, at(-9 * day))
    room.page(tip)
    with db.transaction() as conn:
        persons.find_or_create(conn, "new_handle", did=5, seen_at=at(-1 * day))
        ids = {
            r["username"]: int(r["id"])
            for r in conn.execute("SELECT id, username FROM persons").fetchall()
        }
    memory.add_note(db, ids["twin_a"], "the survivor's note", clock=lambda: at(-3 * day))
    memory.add_note(db, ids["twin_b"], "the other row's newer note", clock=lambda: at(-2 * day))
    memory.add_note(db, ids["twin_b"], "an old note", clock=lambda: at(-25 * day))
    memory.set_attribute(db, ids["twin_a"], "timezone", "Europe/Berlin", confidence=Confidence.HIGH)
    memory.set_attribute(db, ids["twin_b"], "timezone", "Europe/Paris", confidence=Confidence.LOW)
    memory.set_attribute(db, ids["twin_b"], "language", "de", confidence=Confidence.MEDIUM)
    watchlists.add(db, 1, ids["twin_a"])
    watchlists.add(db, 1, ids["twin_b"])
    watchlists.add(db, 2, ids["twin_b"])
    persons.merge(db, ids["twin_a"], ids["twin_b"], clock=lambda: at(-1))
    persons.merge(db, ids["hider"], ids["hider_alt"], clock=lambda: at(-1))
    persons.update(db, ids["hider"], excluded=True)

    # When the session runs: both rows of the twin come in (a second device), the renamed
    # person tips live (and the owner's export of that tip is imported), the fan comes in,
    # and the excluded person's second row comes in and tips
    room.page(broadcast_event("broadcastStart", OWNER, at(0)))
    room.page(
        room_event("userEnter", OWNER, "twin_b", at(1)),
        room_event("userEnter", OWNER, "twin_a", at(2), isMod=True),
        room_event("userEnter", OWNER, "new_handle", at(3)),
        tip_event(OWNER, "new_handle", 20, at(4)),
        room_event("userEnter", OWNER, "fan_c", at(5)),
        room_event("userEnter", OWNER, "hider_alt", at(6)),
        tip_event(OWNER, "hider_alt", 500, at(7)),
        tip_event(OWNER, "new_handle", 5, at(8), anonymous=True),
    )
    report = token_history.import_export(
        db, export_lines([("new_handle", 20, at(4.2), TIP, "")]), owner=OWNER
    )
    assert report.linked == 1

    # Then one line per human, newest arrival first
    state = room.now(10)
    assert [p.username for p in state.people] == ["fan_c", "new_handle", "twin_a"]
    fan, renamed, twin = state.people
    # The twin: both rows' visits, tips, notes, watchlists and attributes; arrived with the
    # first row's enter; the flags of their latest event
    assert twin.person_id == ids["twin_a"]
    assert (twin.arrived_at, twin.visits, twin.lifetime_tokens) == (at(1), 4, 140)
    assert twin.last_visit_at == at(-20 * day)
    assert twin.notes == ["the other row's newer note", "the survivor's note"]
    assert [(w.id, w.name) for w in twin.watchlists] == [(1, "Friends"), (2, "Known Streamers")]
    assert [(a.key, a.value, a.confidence) for a in twin.attributes] == [
        ("language", "de", "medium"),
        ("timezone", "Europe/Berlin", "high"),
    ]
    assert twin.flags["isMod"] is True
    assert twin.tokens_this_session == 0
    # The renamed person under their name now, the live tip and its imported twin once
    assert (renamed.person_id, renamed.lifetime_tokens, renamed.tokens_this_session) == (
        ids["new_handle"],
        50,
        20,
    )
    assert renamed.last_visit_at is None
    assert fan.fan_club
    assert fan.why == "First visit · Fan club member"
    # And the totals: the excluded human's tips out, the anonymous one in, the twin once
    assert state.totals is not None
    totals = state.totals
    assert (totals.tokens, totals.tips, totals.anonymous_tips, totals.anonymous_tokens) == (
        25,
        2,
        1,
        5,
    )
    assert (totals.entered, totals.present, totals.hidden, totals.peak) == (3, 3, 1, 3)
