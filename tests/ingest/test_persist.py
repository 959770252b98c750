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


def _tip(event_id: str, tip: dict | None, user: str = "fan_1") -> dict:  # type: ignore[type-arg]
    obj: dict = {"broadcaster": OWNER, "user": {"username": user}}  # type: ignore[type-arg]
    if tip is None:
        obj["amount"] = 100  # the amount where the API does not put it
    else:
        obj["tip"] = tip
    return {"method": "tip", "id": event_id, "object": obj}


def test_an_event_that_cannot_be_derived_is_kept_raw_derives_nothing_and_is_named(
    db: Database,
) -> None:
    # Given a page with a good tip, a tip with no amount, one with a bad amount, and an event
    # whose id is in epoch seconds (it would be dated January 1970)
    good = _tip("1767225600000-0", {"tokens": 25, "isAnon": False})
    no_amount = _tip("1767225601000-0", None, user="fan_2")
    bad_amount = _tip("1767225602000-0", {"tokens": "bad"}, user="fan_3")
    seconds = {
        "method": "chatMessage",
        "id": "1767225603-0",
        "object": {
            "broadcaster": OWNER,
            "user": {"username": "fan_4"},
            "message": {"message": "x"},
        },
    }
    counts = persist(db, [good, no_amount, bad_amount, seconds])
    # Then every envelope is stored raw; the implausible one at the time it was received
    assert counts.inserted == 4
    with db.transaction() as conn:
        raw = {
            r["event_id"]: r["occurred_at"]
            for r in conn.execute("SELECT event_id, occurred_at FROM raw_events")
        }
        derived = conn.execute(
            """SELECT p.username, i.type, i.metadata->>'tokens' AS tokens FROM interactions i
               JOIN persons p ON p.id = i.person_id"""
        ).fetchall()
        people = {r["username"] for r in conn.execute("SELECT username FROM persons")}
    assert raw["1767225603-0"] == NOW
    # And only the good tip is derived: no TIP_EVENT without tokens, no half-made person
    assert derived == [{"username": "fan_1", "type": "TIP_EVENT", "tokens": "25"}]
    assert people == {OWNER, "fan_1"}
    # And each problem is counted and named by event id and reason
    assert counts.problems == 3
    assert [(p.event_id, p.reason) for p in counts.problem_events] == [
        ("1767225601000-0", "tip: tokens missing"),
        ("1767225602000-0", "tip: tokens is not a whole number"),
        (
            "1767225603-0",
            "event id '1767225603-0': time 1970-01-21T10:53:45.603Z is outside the years"
            " 2000-2099 (UTC)",
        ),
    ]
    assert counts.as_dict()["problem_events"] == [
        {"id": p.event_id, "reason": p.reason} for p in counts.problem_events
    ]


def test_the_problems_kept_in_a_count_are_bounded(db: Database) -> None:
    # Given more broken tips than a job run's counts should carry
    broken = [_tip(f"{1767225600000 + n}-0", None) for n in range(ingest.REPORTED_PROBLEMS + 5)]
    counts = persist(db, broken)
    # Then all are counted, and the reported list is capped (the rest are in raw_events)
    assert counts.problems == ingest.REPORTED_PROBLEMS + 5
    assert len(counts.as_dict()["problem_events"]) == ingest.REPORTED_PROBLEMS


def _replay_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()


def test_cli_replay_names_each_problem_by_line_id_and_reason(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a capture whose line 2 is a tip without an amount and whose line 3 is a whole API
    # response holding a tip whose amount is not a number
    path = tmp_path / "capture.jsonl"
    good = _tip("1767225600000-0", {"tokens": 25})
    path.write_text(
        json.dumps(good)
        + "\n"
        + json.dumps(_tip("1767225601000-0", None))
        + "\n\n"
        + json.dumps({"events": [good, _tip("1767225602000-0", {"tokens": "bad"})]})
        + "\n"
    )
    _replay_env(monkeypatch, database_url)
    # When it is replayed
    assert cli.main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    # Then each problem is a line naming file, line, event id and reason, and the totals say so
    assert f"{path}:2: event 1767225601000-0: tip: tokens missing" in out
    assert f"{path}:4: event 1767225602000-0: tip: tokens is not a whole number" in out
    assert "problems=2" in out
    assert "interactions=1" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"ok": 1}\n{not json\n', ":2: not JSON (Expecting property name"),
        (b'{"ok": 1}\n\xff\xfe\x00binary\n', ":2: not UTF-8 text"),
        (b"1" * 5000 + b"\n", ":1: not JSON (Exceeds the limit"),
    ],
    ids=["not JSON", "binary", "a 5000-digit number"],
)
def test_cli_replay_of_a_bad_file_names_file_and_line_and_writes_nothing(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    expected: str,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    _replay_env(monkeypatch, database_url)
    assert cli.main(["replay", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mhc: replay error: {bad}{expected}"), err
    assert "configuration error" not in err
    assert "Traceback" not in err
    db = Database(database_url)
    assert count(db, "raw_events") == 0
    db.close()


def test_cli_replay_of_a_missing_file_or_a_folder_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()
    missing = tmp_path / "nope.jsonl"
    assert cli.main(["replay", str(missing)]) == 2
    assert capsys.readouterr().err == f"mhc: replay error: {missing}: no such file\n"
    assert cli.main(["replay", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"mhc: replay error: {tmp_path}: is a folder, not a file\n"


def test_an_id_with_nul_is_stored_once_and_named_on_every_path(db: Database) -> None:
    # Given an envelope whose id holds a NUL (stored as U+FFFD), twice in one page next to a
    # stored event (the page takes the conflict-skipping path)
    event = make_events(1)[0]
    persist(db, [event])
    odd = {"method": "follow", "id": "17\x006-0", "object": {}}
    counts = persist(db, [event, odd, dict(odd)])
    # Then it is stored once, reported as a problem under its stored id, and a replay of the
    # same page changes nothing
    assert (counts.inserted, counts.duplicates) == (1, 2)
    assert [p.event_id for p in counts.problem_events] == ["17\ufffd6-0"]
    again = persist(db, [event, odd])
    assert (again.inserted, again.duplicates, again.problems) == (0, 2, 0)
    assert "problem_events" not in again.as_dict()
    assert count(db, "raw_events") == 2
