"""`mhc rebuild-sessions` on a real PostgreSQL: ids stay where sessions still exist, event spans
fold into manual sessions (nothing counted twice), and a failure half-way changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fakes.events_feed import OWNER
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.domain.models import StreamSession
from mhc.services import ingest, sessions
from mhc.services.ingest import persist_events
from mhc.store import sessions as sessions_store

BASE = datetime(2026, 1, 1, tzinfo=UTC)
RECEIVED = BASE + timedelta(days=1)


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


def event(method: str, minutes: int, seq: int = 0, **object_: Any) -> dict[str, Any]:
    ms = int(at(minutes).timestamp() * 1000)
    body = {"broadcaster": OWNER, "user": {"username": OWNER}, **object_}
    return {"method": method, "id": f"{ms}-{seq}", "object": body}


def tip(minutes: int, tokens: int, username: str = "tipper_1") -> dict[str, Any]:
    return event(
        "tip",
        minutes,
        seq=1,
        user={"username": username},
        tip={"tokens": tokens, "isAnon": False, "message": ""},
    )


def persist(db: Database, envelopes: list[dict[str, Any]]) -> None:
    with db.transaction() as conn:
        persist_events(conn, envelopes, owner=OWNER, received_at=RECEIVED)


def all_sessions(db: Database) -> list[StreamSession]:
    return sorted(sessions.list_recent(db, limit=100), key=lambda s: s.started_at)


def insert_session(db: Database, start: datetime, end: datetime | None, source: str) -> int:
    with db.transaction() as conn:
        row = conn.execute(
            """INSERT INTO stream_sessions (started_at, ended_at, source) VALUES (%s, %s, %s)
               RETURNING id""",
            (start, end, source),
        ).fetchone()
    assert row is not None
    return int(row["id"])


def tokens_in(db: Database, session_id: int) -> int:
    detail = sessions.detail(db, session_id, owner=OWNER, clock=lambda: RECEIVED)
    return detail.stats.tokens


def assert_no_overlap(rows: list[StreamSession]) -> None:
    for earlier, later in pairwise(rows):
        assert earlier.ended_at is not None
        assert earlier.ended_at <= later.started_at


def test_rebuild_keeps_every_session_id_the_owner_may_have_bookmarked(db: Database) -> None:
    # Given two sessions made live from broadcast events
    persist(
        db,
        [
            event("broadcastStart", 0),
            event("broadcastStop", 60),
            event("broadcastStart", 200),
            event("broadcastStop", 260),
        ],
    )
    before = all_sessions(db)
    assert len(before) == 2
    # When the sessions are rebuilt from the raw events
    report = ingest.rebuild_sessions(db, owner=OWNER)
    # Then the same ids still answer, with the same bounds, and nothing was rewritten
    assert all_sessions(db) == before
    for session in before:
        assert sessions.detail(db, session.id, owner=OWNER).session.id == session.id
    assert (report.kept, report.updated, report.added, report.removed) == (2, 0, 0, 0)


def test_a_longer_merge_gap_merges_into_the_earlier_id_and_a_shorter_one_splits_again(
    db: Database,
) -> None:
    persist(
        db,
        [
            event("broadcastStart", 0),
            event("broadcastStop", 60),
            event("broadcastStart", 100),
            event("broadcastStop", 160),
        ],
    )
    first, _ = all_sessions(db)
    merged = ingest.rebuild_sessions(db, owner=OWNER, merge_gap=timedelta(minutes=60))
    [one] = all_sessions(db)
    assert (one.id, one.started_at, one.ended_at) == (first.id, at(0), at(160))
    assert (merged.updated, merged.removed) == (1, 1)
    split = ingest.rebuild_sessions(db, owner=OWNER, merge_gap=timedelta(minutes=30))
    again = all_sessions(db)
    assert [(s.started_at, s.ended_at) for s in again] == [(at(0), at(60)), (at(100), at(160))]
    assert again[0].id == first.id
    assert (split.updated, split.added) == (1, 1)


def test_event_spans_fold_into_a_manual_session_and_tips_count_once(db: Database) -> None:
    # Given a manual session 00:10-00:40 the owner started by hand, and the broadcast's events
    # (00:00-02:00, tips at 00:05, 00:20 and 01:30) replayed afterwards
    manual = insert_session(db, at(10), at(40), "manual")
    persist(
        db,
        [
            event("broadcastStart", 0),
            tip(5, 10),
            tip(20, 100),
            tip(90, 50),
            event("broadcastStop", 120),
        ],
    )
    # When the sessions are rebuilt
    report = ingest.rebuild_sessions(db, owner=OWNER)
    # Then one session, the manual one (same id, same source), covers the whole broadcast
    rows = all_sessions(db)
    assert [(s.id, s.source.value, s.started_at, s.ended_at) for s in rows] == [
        (manual, "manual", at(0), at(120))
    ]
    assert report.merged_into_manual == 1
    # and every tip is counted once across all sessions
    assert sum(tokens_in(db, s.id) for s in rows) == 160


def test_an_event_session_left_over_a_manual_one_by_an_old_rebuild_is_folded_in(
    db: Database,
) -> None:
    # Given the double-counting state: an event session overlapping a manual one
    manual = insert_session(db, at(0), at(120), "manual")
    insert_session(db, at(2), at(120), "cb_events")
    persist(db, [event("broadcastStart", 2), tip(30, 100), event("broadcastStop", 120)])
    # When rebuilt
    ingest.rebuild_sessions(db, owner=OWNER)
    # Then the manual session alone remains, and the tip counts once
    rows = all_sessions(db)
    assert [s.id for s in rows] == [manual]
    assert tokens_in(db, manual) == 100


def test_sessions_never_overlap_after_a_rebuild_of_a_mixed_history(db: Database) -> None:
    insert_session(db, at(30), at(50), "manual")
    insert_session(db, at(400), at(420), "manual")
    persist(
        db,
        [
            event("broadcastStart", 0),
            event("broadcastStop", 60),
            event("broadcastStart", 300),
            event("broadcastStop", 410),
            event("broadcastStart", 600),
        ],
    )
    ingest.rebuild_sessions(db, owner=OWNER)
    rows = all_sessions(db)
    assert_no_overlap(rows)
    assert [s.ended_at for s in rows].count(None) == 1
    again = ingest.rebuild_sessions(db, owner=OWNER)
    assert all_sessions(db) == rows
    assert (again.updated, again.added, again.removed) == (0, 0, 0)


def test_a_failure_half_way_through_a_rebuild_changes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given one session from two segments 10 minutes apart, and one with no events behind it
    persist(
        db,
        [
            event("broadcastStart", 0),
            event("broadcastStop", 60),
            event("broadcastStart", 70),
            event("broadcastStop", 160),
        ],
    )
    insert_session(db, at(200), at(260), "cb_events")
    before = all_sessions(db)
    assert len(before) == 2

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("crash after the deletes and updates")

    # When a rebuild that splits the first and removes the second dies before its insert
    monkeypatch.setattr(sessions_store, "insert_many", crash)
    with pytest.raises(RuntimeError):
        ingest.rebuild_sessions(db, owner=OWNER, merge_gap=timedelta(minutes=5))
    # Then nothing of it was kept
    assert all_sessions(db) == before


def test_cli_rebuild_reports_what_changed(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(database_url)
    persist(db, [event("broadcastStart", 0), event("broadcastStop", 60)])
    db.close()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()
    try:
        assert cli.main(["rebuild-sessions"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "1 kept" in out
    assert "0 added" in out
