"""A message the Events API captured live and Plus's copy of it count once: the import links
the copy to the live interaction (same room, sender and text, or tokens, within 2 minutes) in
the page's own transaction, and timelines, session totals and search show the live one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from chat.support import OWNER, count, imported, walk
from fakes.clock import FakeClock
from fakes.statbate_plus import FakeMessage, FakePlus, har_for_room, make_messages
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.chat_import_runs import TargetKind
from mhc.services import chat_import, interactions, persons, sessions
from mhc.services.ingest import persist_events

#: The live event is a little earlier or later than the second Plus shows (chat lines: by up to
#: the window; tips, which only sender and amount tell apart, by the seconds clocks differ).
SKEWS = (0.4, -25.0, 70.0)
TIP_SKEWS = (0.4, -1.2, 1.8)


def _event_id(moment: datetime, n: int) -> str:
    return f"{int(moment.timestamp() * 1000)}-{n % 3}"


def live_envelopes(
    messages: list[FakeMessage], skews: tuple[float, ...] = SKEWS
) -> list[dict[str, Any]]:
    """What the Events API delivered for the same messages (chat lines, or tips)."""
    envelopes = []
    for n, message in enumerate(messages):
        moment = message.occurred_at + timedelta(seconds=skews[n % len(skews)])
        obj: dict[str, Any] = {"broadcaster": message.room, "user": {"username": message.sender}}
        if message.tokens is not None:
            obj["tip"] = {"tokens": message.tokens, "isAnon": False, "message": ""}
            method = "tip"
        else:
            obj["message"] = {"message": message.text, "color": "#000"}
            method = "chatMessage"
        envelopes.append({"method": method, "id": _event_id(moment, n), "object": obj})
    return envelopes


def capture_live(
    db: Database,
    messages: list[FakeMessage],
    received_at: datetime,
    skews: tuple[float, ...] = SKEWS,
) -> None:
    with db.transaction() as conn:
        persist_events(conn, live_envelopes(messages, skews), owner=OWNER, received_at=received_at)


def visible(db: Database, person_id: int) -> list[tuple[str, str | None]]:
    page = interactions.of_person(db, person_id, limit=200)
    return sorted((i.source.value, i.content) for i in page.items)


def test_a_live_message_and_its_imported_twin_count_once_everywhere(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a session in the owner's room of 300 messages, the first 120 also captured live
    messages = sorted(make_messages(300, room=OWNER, shape="shape_b"), key=lambda m: m.occurred_at)
    fake.add_room(OWNER, list(reversed(messages)))
    session_start = messages[0].occurred_at - timedelta(minutes=5)
    sessions.start(db, clock=lambda: session_start)
    sessions.end(db, clock=lambda: messages[-1].occurred_at + timedelta(minutes=5))
    # (positions 4 and 5 are an identical pair: only one of them was captured live)
    live = [m for n, m in enumerate(messages[:120]) if n != 5]
    capture_live(db, live, clock())
    sender = messages[0].sender
    with db.transaction() as conn:
        pid = persons.by_current_name(conn, sender)
        assert pid is not None
        counts_before = interactions.counts_by_type(conn, pid.id)
    visible_before = visible(db, pid.id)
    assert len(_all_search(db, "hola")) == 119
    # When the room's chat is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then every imported copy of a live message is linked to it, and only those
    assert outcome is not None
    assert outcome.counts.twins == len(live)
    assert count(db, "SELECT count(*) FROM interaction_twins") == len(live)
    assert len(imported(db)) == 300
    # And the sender's timeline and counts show each message once: the live ones as captured,
    # the rest as imported chat
    timeline = visible(db, pid.id)
    theirs = [m for m in messages if m.sender == sender]
    assert len(timeline) == len(theirs)
    assert [c for s, c in timeline if s == "cb_events"] == [c for s, c in visible_before]
    with db.transaction() as conn:
        after = interactions.counts_by_type(conn, pid.id)
    live_theirs = sum(1 for m in live if m.sender == sender)
    assert after == {**counts_before, "CHAT_IMPORT": len(theirs) - live_theirs}
    # And the session counts 300 interactions, not 300 + the live ones
    (session,) = sessions.list_recent(db)
    detail = sessions.detail(db, session.id, owner=OWNER, limit=200, clock=clock)
    assert detail.stats.interactions == 300
    assert detail.stats.distinct_visitors == len({m.sender for m in messages})
    # And search finds each line once: the live ones as captured, the others imported
    everything = _all_search(db, "hola")
    assert sorted(i.content or "" for i in everything) == sorted(m.text for m in messages)
    assert {i.external_id for i in everything if i.source.value == "cb_events"} == {
        e["id"] for e in live_envelopes(live)
    }


def _all_search(db: Database, query: str) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        page = interactions.search(db, query, limit=200, cursor=cursor)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def test_tips_are_linked_by_tokens_and_a_copy_too_far_away_is_not(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given Plus's tip list for a room, the first 30 tips also captured live, and one live tip
    # 3 minutes off (not the same tip)
    tips = sorted(make_messages(60, room=OWNER, shape="shape_c"), key=lambda m: m.occurred_at)
    far = tips[40]
    far.raw["tokens"] = 777  # no other tip has this amount
    fake.add_room(OWNER, list(reversed(tips)))
    capture_live(db, tips[:30], clock(), TIP_SKEWS)
    with db.transaction() as conn:
        persist_events(
            conn,
            [
                {
                    "method": "tip",
                    "id": _event_id(far.occurred_at + timedelta(minutes=3), 1),
                    "object": {
                        "broadcaster": OWNER,
                        "user": {"username": far.sender},
                        "tip": {"tokens": 777, "isAnon": False},
                    },
                }
            ],
            owner=OWNER,
            received_at=clock(),
        )
    # When the tips are imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then the 30 copies are linked, by the same sender and tokens within 2 minutes
    assert outcome is not None
    assert outcome.counts.twins == 30
    with db.transaction() as conn:
        reasons = conn.execute("SELECT DISTINCT reason FROM interaction_twins").fetchall()
    assert [r["reason"] for r in reasons] == ["same room, sender and tokens within 2 minutes"]


def test_a_har_of_messages_the_live_path_imported_adds_nothing(
    db: Database, settings: Settings, clock: FakeClock, fake: FakePlus
) -> None:
    # Given 250 messages of the owner's room captured live
    messages = make_messages(250, room=OWNER, shape="shape_a")
    fake.add_room(OWNER, messages)
    capture_live(db, messages, clock())
    owner_activity_before = _room(db)
    (row,) = _people(db, messages[0].sender)
    timeline_before = visible(db, row)
    # When the owner imports a HAR export of the same messages
    har = json.dumps(har_for_room(fake, OWNER)).encode()
    result = chat_import.import_capture(
        db, har, owner=OWNER, field_map=settings.statbate_plus_field_map(), clock=clock
    )
    # Then every imported line is linked to its live twin: nothing new is shown or counted
    assert result.counts["twins"] == 250
    assert visible(db, row) == timeline_before
    assert _room(db) == owner_activity_before
    # And a second import of the file changes nothing at all
    before = count(db, "SELECT count(*) FROM interactions")
    chat_import.import_capture(
        db, har, owner=OWNER, field_map=settings.statbate_plus_field_map(), clock=clock
    )
    assert count(db, "SELECT count(*) FROM interactions") == before
    assert count(db, "SELECT count(*) FROM interaction_twins") == 250


def _room(db: Database) -> dict[str, int]:
    with db.transaction() as conn:
        return interactions.room_counts(
            conn, OWNER, datetime(2026, 1, 1).astimezone(), datetime(2026, 2, 1).astimezone()
        )


def _people(db: Database, name: str) -> list[int]:
    with db.transaction() as conn:
        person = persons.by_current_name(conn, name)
    assert person is not None
    return [person.id]


def test_the_owner_s_own_line_elsewhere_joins_that_room_s_history_as_live(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given the owner chatting in another model's room, captured live and listed by Plus
    said = make_messages(12, room="other_model", shape="shape_a", member=OWNER)
    fake.add_room("other_model", said)
    capture_live(db, said[:6], clock())
    # When that room is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, "other_model")
    # Then the owner's lines belong to that room's history (as the live path files them),
    # each live one linked to its copy
    assert outcome is not None
    assert outcome.counts.twins == 6
    rows = imported(db)
    assert {r["person"] for r in rows} == {"other_model"}
    assert all(r["metadata"]["actor"] == OWNER and r["metadata"]["elsewhere"] for r in rows)
