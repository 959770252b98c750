"""The live room and alerts through the real ingest path: enter/leave/tip events replayed page
by page, who is in the room at each step, and alerts that fire once per arrival, never for an
excluded person or the owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.token_history import broadcast_event, room_event, tip_event
from mhc.db.connection import Database
from mhc.domain.alerts import AlertRules, parse_rules
from mhc.services import alerts, ingest, live_room, watchlists
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
