"""Persisting pages of events on a real PostgreSQL: idempotence, attribution, sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.events_feed import OWNER, make_events
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.services import ingest
from mhc.services.ingest import persist_events

NOW = datetime(2026, 11, 21, tzinfo=UTC)
NOT_DERIVED = ("broadcastStart", "broadcastStop", "futureMethod")
SAMPLES = Path(__file__).resolve().parents[1] / "fakes" / "samples"


def count(db: Database, table: str) -> int:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row["n"])


def persist(db: Database, envelopes: list, owner: str = OWNER) -> ingest.IngestCounts:  # type: ignore[type-arg]
    with db.transaction() as conn:
        return persist_events(conn, envelopes, owner=owner, received_at=NOW)


def test_a_page_stored_twice_changes_nothing_the_second_time(db: Database) -> None:
    events = make_events(500)
    first = persist(db, events)
    tables = {t: count(db, t) for t in ("raw_events", "interactions", "persons", "stream_sessions")}
    second = persist(db, events)
    assert first.inserted == 500
    assert (second.inserted, second.duplicates, second.interactions) == (0, 500, 0)
    assert {t: count(db, t) for t in tables} == tables
    derivable = sum(1 for e in events if e["method"] not in NOT_DERIVED)
    assert tables["interactions"] == derivable
    assert first.unknown_methods == sum(1 for e in events if e["method"] == "futureMethod")


def test_a_page_overlapping_stored_events_derives_only_the_new_ones(db: Database) -> None:
    events = make_events(400)
    persist(db, events[:250])
    before = count(db, "interactions")
    # Two overlapping pages in one transaction: each takes the conflict-skipping path.
    with db.transaction() as conn:
        second = persist_events(conn, events[200:300], owner=OWNER, received_at=NOW)
        third = persist_events(conn, events[100:400], owner=OWNER, received_at=NOW)
    assert (second.inserted, second.duplicates) == (50, 50)
    assert (third.inserted, third.duplicates) == (100, 200)
    assert count(db, "raw_events") == 400
    derived = [e for e in events[250:] if e["method"] not in NOT_DERIVED]
    assert count(db, "interactions") - before == len(derived)
    assert second.interactions + third.interactions == len(derived)


def test_the_real_testbed_capture(db: Database) -> None:
    response = json.loads((SAMPLES / "events_testbed_2025_cb-events_api_response.json").read_text())
    counts = persist(db, response["events"], owner="mrslaw")
    assert counts.inserted == len(response["events"])
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT p.username, i.type, i.broadcaster FROM interactions i
               JOIN persons p ON p.id = i.person_id ORDER BY i.occurred_at, i.id"""
        ).fetchall()
        roles = {
            r["username"]: r["role"] for r in conn.execute("SELECT username, role FROM persons")
        }
    assert ("mountaingod2", "PRIVATE_MESSAGE", "mrslaw") in [tuple(r.values()) for r in rows]
    assert roles["mrslaw"] == "MODEL"
    assert roles["mountaingod2"] == "VIEWER"


def test_duplicate_ids_inside_one_page_are_stored_once(db: Database) -> None:
    event = make_events(3)[1]
    counts = persist(db, [event, dict(event)])
    assert (counts.inserted, counts.duplicates) == (1, 1)


def test_unreadable_envelopes_are_kept_raw_and_never_stop_the_batch(db: Database) -> None:
    good = make_events(3)
    counts = persist(
        db, [*good, {"no": "id"}, "garbage", {"id": "not-a-time", "method": "chatMessage"}]
    )
    assert counts.inserted == 6
    with db.transaction() as conn:
        methods = [
            r["method"]
            for r in conn.execute(
                "SELECT method FROM raw_events WHERE event_id LIKE 'unreadable-%'"
            )
        ]
    assert methods == ["(unreadable)", "(unreadable)"]


def test_broadcast_segments_merge_into_one_session(db: Database) -> None:
    def signal(method: str, minutes: int) -> dict:  # type: ignore[type-arg]
        ms = 1_767_225_600_000 + minutes * 60_000
        return {
            "method": method,
            "id": f"{ms}-0",
            "object": {"broadcaster": OWNER, "user": {"username": OWNER}},
        }

    persist(db, [signal("broadcastStart", 0), signal("broadcastStop", 60)])
    persist(
        db, [signal("broadcastStart", 75), signal("broadcastStop", 120)]
    )  # 15 min later: same session
    persist(db, [signal("broadcastStart", 200)])  # 80 min later: a new one
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT started_at, ended_at FROM stream_sessions ORDER BY started_at"
        ).fetchall()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    assert [(r["started_at"], r["ended_at"]) for r in rows] == [
        (base, base + timedelta(minutes=120)),
        (base + timedelta(minutes=200), None),
    ]
    # Rebuilding from raw events gives the same sessions.
    report = ingest.rebuild_sessions(db, owner=OWNER)
    assert (report.spans, report.kept) == (2, 2)
    with db.transaction() as conn:
        again = conn.execute(
            "SELECT started_at, ended_at FROM stream_sessions ORDER BY started_at"
        ).fetchall()
    assert again == rows


def test_events_reach_renamed_persons_through_their_aliases(db: Database) -> None:
    from mhc.services import persons

    with db.transaction() as conn:
        persons.find_or_create(conn, "old_handle", did=5, seen_at=NOW)
        persons.find_or_create(conn, "new_handle", did=5, seen_at=NOW)
    persist(
        db,
        [
            {
                "method": "userEnter",
                "id": "1767225600000-0",
                "object": {"broadcaster": OWNER, "user": {"username": "old_handle"}},
            }
        ],
    )
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT p.username FROM interactions i JOIN persons p ON p.id = i.person_id"
        ).fetchall()
    assert rows == [{"username": "new_handle"}]


def test_cli_replay_is_idempotent(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = make_events(120)
    path = tmp_path / "capture.jsonl"
    path.write_text(
        json.dumps({"events": events[:100], "nextUrl": "x"})
        + "\n"
        + "\n".join(json.dumps(e) for e in events[90:])
        + "\n"
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()
    assert cli.main(["replay", str(path)]) == 0
    assert "inserted=120" in capsys.readouterr().out
    assert cli.main(["replay", str(path)]) == 0
    assert "inserted=0" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ok": 1}\n{not json\n')
    assert cli.main(["replay", str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_hostile_text_round_trips_through_the_bulk_path(db: Database) -> None:
    nasty = 'tab\there\nnew line \\N back\\slash "quotes" \r ünïcode \U0001f600 \x01'
    envelope = {
        "method": "chatMessage",
        "id": "1767225600000-0",
        "object": {
            "broadcaster": OWNER,
            "user": {"username": "viewer_x"},
            "message": {"message": nasty},
        },
    }
    persist(db, [envelope])
    with db.transaction() as conn:
        row = conn.execute("SELECT content FROM interactions").fetchone()
        raw = conn.execute("SELECT payload FROM raw_events").fetchone()
    assert row == {"content": nasty}
    assert raw == {"payload": envelope}


def test_nul_characters_never_fail_a_page(db: Database) -> None:
    envelope = {
        "method": "chatMessage",
        "id": "1767225600000-0",
        "object": {
            "broadcaster": OWNER,
            "user": {"username": "viewer_x"},
            "message": {"message": "a\x00b"},
        },
    }
    counts = persist(db, [envelope])
    assert counts.inserted == 1
    with db.transaction() as conn:
        assert conn.execute("SELECT content FROM interactions").fetchone() == {
            "content": "a\ufffdb"
        }


def test_last_seen_moves_in_steps_during_ingest(db: Database) -> None:
    def enter(minutes: int) -> dict:  # type: ignore[type-arg]
        ms = 1_767_225_600_000 + minutes * 60_000
        return {
            "method": "userEnter",
            "id": f"{ms}-0",
            "object": {"broadcaster": OWNER, "user": {"username": "regular"}},
        }

    def last_seen() -> datetime:
        with db.transaction() as conn:
            row = conn.execute(
                "SELECT last_seen_at FROM persons WHERE username = 'regular'"
            ).fetchone()
        assert row is not None
        return row["last_seen_at"]  # type: ignore[no-any-return]

    base = datetime(2026, 1, 1, tzinfo=UTC)
    persist(db, [enter(0)])
    persist(db, [enter(5)])  # within the resolution: the row is not rewritten
    assert last_seen() == base
    persist(db, [enter(11)])  # a step past it: it moves
    assert last_seen() == base + timedelta(minutes=11)
