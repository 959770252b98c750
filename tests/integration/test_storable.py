"""Fetched and replayed payloads are stored, never rejected: PostgreSQL text and jsonb cannot
hold NUL, so every write path turns it into U+FFFD (as the COPY path does, decision 17).

Each test writes through the service production calls, with NUL in keys and values, nested,
and next to a literal backslash-u0000 (six characters of text, which must survive as is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mhc.db.connection import Database
from mhc.domain.models import (
    Confidence,
    InteractionSource,
    InteractionType,
    JobStatus,
    NewInteraction,
    SnapshotSource,
)
from mhc.services import capture, interactions, job_runs, memory, persons, profiles, snapshots
from mhc.store.profiles import FeedProfile

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LITERAL = "\\u0000"  # a backslash, then 'u0000': text, not a NUL
HOSTILE: dict[str, Any] = {
    "na\x00me": "a\x00b",
    "nested": [{"deep": "\x00"}, "x\x00\x00y"],
    "literal": LITERAL,
    "both": f"{LITERAL}\x00",
}
STORED: dict[str, Any] = {
    "na\ufffdme": "a\ufffdb",
    "nested": [{"deep": "\ufffd"}, "x\ufffd\ufffdy"],
    "literal": LITERAL,
    "both": f"{LITERAL}\ufffd",
}


def _person(db: Database, name: str = "nul_target") -> int:
    with db.transaction() as conn:
        person, _ = persons.find_or_create(conn, name, seen_at=AT)
    return person.id


def test_a_snapshot_payload_with_nul_is_stored(db: Database) -> None:
    person_id = _person(db)
    with db.transaction() as conn:
        snapshots.append(
            conn,
            person_id,
            SnapshotSource.STATBATE_MEMBER,
            captured_at=AT,
            raw_payload=HOSTILE,
            normalized_metrics={"bio": "x\x00"},
        )
    with db.transaction() as conn:
        row = conn.execute("SELECT raw_payload, normalized_metrics FROM snapshots").fetchone()
    assert row == {"raw_payload": STORED, "normalized_metrics": {"bio": "x\ufffd"}}


def test_a_profile_json_and_its_text_fields_with_nul_are_stored(db: Database) -> None:
    person_id = _person(db)
    with db.transaction() as conn:
        profiles.save_profile(
            conn,
            person_id,
            fetched_at=AT,
            raw=HOSTILE,
            fields={
                "location": "Ly\x00on",
                "languages": None,
                "age": 30,
                "followers": 5,
                "real_name": "\x00",
                "about_me_html": "<p>\x00</p>",
                "wish_list_html": None,
                "room_status": "public",
                "last_broadcast_at": None,
                "gender": "f",
            },
        )
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT profile_raw, location, real_name, about_me_html FROM profiles"
        ).fetchone()
    assert row == {
        "profile_raw": STORED,
        "location": "Ly\ufffdon",
        "real_name": "\ufffd",
        "about_me_html": "<p>\ufffd</p>",
    }


def test_a_feed_room_with_nul_is_stored(db: Database) -> None:
    person_id = _person(db)
    room = FeedProfile(
        person_id=person_id,
        display_name="D\x00",
        gender="f",
        age=None,
        location=None,
        country=None,
        languages=None,
        tags=["t\x00g"],
        room_subject="goal \x00",
        followers=None,
        image_url=None,
        current_show="public",
        num_users=3,
    )
    with db.transaction() as conn:
        profiles.record_feed(conn, [profiles.FeedRoom(room, seconds_online=60)], seen_at=AT)
    with db.transaction() as conn:
        row = conn.execute("SELECT display_name, tags, room_subject FROM profiles").fetchone()
    assert row == {"display_name": "D\ufffd", "tags": ["t\ufffdg"], "room_subject": "goal \ufffd"}


def test_job_run_counts_and_error_with_nul_are_stored(db: Database) -> None:
    with db.transaction() as conn:
        run = job_runs.start(conn, "events_poller", AT)
        job_runs.finish(
            conn,
            run.id,
            status=JobStatus.FAILED,
            at=AT,
            counts={"problem_events": [{"id": "17\x00-0", "reason": HOSTILE["both"]}]},
            error="upstream said \x00",
        )
    with db.transaction() as conn:
        row = conn.execute("SELECT counts, error FROM job_runs").fetchone()
    assert row == {
        "counts": {"problem_events": [{"id": "17\ufffd-0", "reason": STORED["both"]}]},
        "error": "upstream said \ufffd",
    }


def test_a_single_interaction_with_nul_is_stored_once(db: Database) -> None:
    person_id = _person(db)
    item = NewInteraction(
        person_id=person_id,
        type=InteractionType.CHAT_IMPORT,
        source=InteractionSource.STATBATE_PLUS,
        external_id="chat-\x00-1",
        occurred_at=AT,
        broadcaster="room_x",
        content="hi\x00there",
        metadata=HOSTILE,
    )
    with db.transaction() as conn:
        first, created = interactions.record(conn, item)
    # The same item again is found under its stored (replaced) key: idempotent, not doubled
    with db.transaction() as conn:
        again, created_again = interactions.record(conn, item)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert (first.external_id, first.broadcaster, first.content) == (
        "chat-\ufffd-1",
        "room_x",
        "hi\ufffdthere",
    )
    assert first.metadata == STORED


def test_an_event_gap_reason_and_an_attribute_with_nul_are_stored(db: Database) -> None:
    person_id = _person(db)
    with db.transaction() as conn:
        gap = capture.record_gap(conn, detected_at=AT, reason="stale \x00 cursor")
    attribute = memory.set_attribute(
        db, person_id, "city", "Ly\x00on", confidence=Confidence.LOW, evidence_note="\x00"
    )
    assert gap.reason == "stale \ufffd cursor"
    assert (attribute.value, attribute.evidence_note) == ("Ly\ufffdon", "\ufffd")


def test_a_str_parameter_stays_unknown_to_postgresql(db: Database) -> None:
    # The storable dumpers must not turn every str into `text`: PostgreSQL infers a str's type
    # from where it goes (psycopg's default), e.g. a timestamp given as text for a timestamptz
    with db.transaction() as conn:
        conn.execute("CREATE TEMP TABLE moments (at timestamptz)")
        conn.execute("INSERT INTO moments VALUES (%s)", ("2026-03-01 20:15:30+00",))
        row = conn.execute("SELECT at FROM moments").fetchone()
    assert row == {"at": datetime(2026, 3, 1, 20, 15, 30, tzinfo=UTC)}
