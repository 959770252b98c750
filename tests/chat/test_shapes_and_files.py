"""What the map reads: three message shapes and a member's chat imported through the default
map alone, an unmapped shape stored raw and counted (never guessed), naive times in New York
around both DST changes, a date window; and captured HAR files through the same path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from chat.support import OWNER, as_rows, count, expected_rows, imported, walk
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from fakes.statbate_plus import FakePlus, har_document, har_entry, har_for_room, make_messages
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.chat_capture import CaptureError
from mhc.domain.chat_import_runs import TargetKind, Window
from mhc.services import chat_import

MEMBER = "big_fan"


def test_three_shapes_and_a_member_chat_through_the_default_map(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given rooms in shape B (nested user, ISO UTC, no ids, identical lines in pairs), shape C
    # (tips, epoch seconds) and a member's chat across rooms (sender from the URL)
    fake.add_room("room_b", make_messages(330, room="room_b", shape="shape_b"))
    fake.add_room("room_c", make_messages(330, room="room_c", shape="shape_c"))
    fake.add_member(MEMBER, make_messages(250, room="some_room", shape="member", member=MEMBER))
    # When each is imported
    for kind, name in ((TargetKind.ROOM, "room_b"), (TargetKind.ROOM, "room_c"),
                       (TargetKind.MEMBER, MEMBER)):  # fmt: skip
        outcome = walk(db, settings, http, clock, kind, name)
        assert outcome is not None
        assert outcome.status == "succeeded"
    # Then every message is stored once, with its sender, room, UTC time and text
    assert as_rows(imported(db, broadcaster="room_b")) == expected_rows(fake.rooms["room_b"])
    assert as_rows(imported(db, broadcaster="room_c")) == expected_rows(fake.rooms["room_c"])
    assert as_rows(imported(db, broadcaster="some_room")) == expected_rows(fake.members[MEMBER])
    # And identical lines said in the same second are two messages, under two ids
    b_rows = imported(db, broadcaster="room_b")
    assert len(b_rows) == 330
    assert len({(r["person"], r["occurred_at"], r["content"]) for r in b_rows}) == 297
    assert all(r["external_id"].startswith("h:") for r in b_rows)
    # And tips keep their tokens (shown, not counted as income)
    c_rows = imported(db, broadcaster="room_c")
    assert [r["metadata"]["tokens"] for r in c_rows] == [
        m.tokens for m in sorted(fake.rooms["room_c"], key=lambda m: m.occurred_at)
    ]
    # And the rooms are models, the senders viewers
    with db.transaction() as conn:
        roles = {
            row["username"]: row["role"]
            for row in conn.execute(
                "SELECT username, role FROM persons WHERE username IN ('room_b', %s, %s)",
                (MEMBER, b_rows[0]["person"]),
            ).fetchall()
        }
    assert roles == {"room_b": "MODEL", MEMBER: "VIEWER", b_rows[0]["person"]: "VIEWER"}


def test_an_unmapped_shape_is_stored_raw_counted_and_shown_never_guessed(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a room whose items the map cannot read ({who, said, at})
    fake.add_room("room_x", make_messages(150, room="room_x", shape="unmapped"))
    # When it is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, "room_x")
    # Then nothing became a message or a person, but both responses are stored whole
    assert outcome is not None
    assert (outcome.counts.new, outcome.counts.unmapped, outcome.counts.responses) == (0, 150, 2)
    assert imported(db) == []
    assert count(db, "SELECT count(*) FROM persons WHERE username LIKE 'viewer_%%'") == 0
    with db.transaction() as conn:
        bodies = conn.execute(
            "SELECT body, unmapped, problems FROM chat_import_responses ORDER BY id"
        ).fetchall()
    items = [i for row in bodies for i in row["body"]["props"]["messages"]["data"]]
    assert items == [m.raw for m in fake.rooms["room_x"]]
    assert [row["unmapped"] for row in bodies] == [100, 50]
    assert bodies[0]["problems"] == {"no sender": 100, "no text": 100, "no time": 100}
    # And the Chat import page shows them, with an example item to map
    status = chat_import.status(db, field_map=settings.statbate_plus_field_map())
    assert status.totals == {"responses": 2, "messages": 0, "unmapped": 150}
    newest = status.unread[0]
    assert newest.unmapped == 50
    assert newest.example is not None
    assert json.loads(newest.example) == fake.rooms["room_x"][100].raw


@pytest.mark.parametrize(
    ("start", "ambiguous"),
    [
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 0),  # 02:00 EST becomes 03:00 EDT
        (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), 1),  # 02:00 EDT becomes 01:00 EST
    ],
)
def test_naive_new_york_times_around_dst_are_stored_as_utc(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    start: datetime, ambiguous: int,
) -> None:  # fmt: skip
    # Given a room page in America/New_York whose times carry no offset, across a DST change
    messages = make_messages(900, room="dst_room", shape="shape_a", start=start)
    fake.add_room("dst_room", messages)
    assert {m.raw["created_at"][:10] for m in messages} == {start.date().isoformat()}
    # When it is imported
    walk(db, settings, http, clock, TargetKind.ROOM, "dst_room")
    rows = {r["metadata"]["plus_id"]: r for r in imported(db)}
    # Then every time is the right instant, except in the hour that happened twice in the
    # autumn: read as PostgreSQL reads it (the later, standard-time instant) and flagged
    for message in messages:
        row = rows[message.message_id]
        assert row["metadata"]["local_zone"] == "America/New_York"
        repeated = ambiguous and datetime(2026, 11, 1, 5, tzinfo=UTC) <= message.occurred_at < datetime(2026, 11, 1, 7, tzinfo=UTC)  # fmt: skip
        if not repeated:
            assert row["occurred_at"] == message.occurred_at
            assert "time_note" not in row["metadata"]
        else:
            assert row["metadata"]["time_note"] == "ambiguous"
            in_edt = message.occurred_at < datetime(2026, 11, 1, 6, tzinfo=UTC)
            shift = timedelta(hours=1) if in_edt else timedelta(0)
            assert row["occurred_at"] == message.occurred_at + shift
    # And the stored instants are those PostgreSQL gives for the same local times
    with db.transaction() as conn:
        for message in messages[::37]:
            row = conn.execute(
                "SELECT (%s::timestamp AT TIME ZONE 'America/New_York') AS t",
                (message.raw["created_at"],),
            ).fetchone()
            assert row is not None
            assert rows[message.message_id]["occurred_at"] == row["t"]


def test_a_window_imports_only_its_days_and_stops_past_them(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    # Given the room's 5,200 messages (newest first) and a window around the middle
    ordered = sorted(fake.rooms[OWNER], key=lambda m: m.occurred_at)
    since, until = ordered[2_000].occurred_at, ordered[2_600].occurred_at
    # When the window is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER, window=Window(since, until))
    # Then exactly the messages inside it are stored
    assert outcome is not None
    assert as_rows(imported(db)) == expected_rows(ordered[2_000:2_600])
    # And the walk stopped at the first page wholly older than the window (not page 52)
    assert outcome.counts.pages < 35
    assert outcome.ended
    # And the chat's history is not taken as complete: the next scheduled run walks it all
    with db.transaction() as conn:
        row = conn.execute("SELECT completed_at FROM chat_import_targets").fetchone()
    assert row is not None
    assert row["completed_at"] is None


# -- captured files ---------------------------------------------------------------------------
def test_a_har_export_is_imported_once_and_a_second_import_adds_nothing(
    db: Database, settings: Settings, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a HAR export of a walk through the room (HTML first visit, base64 bodies, noise)
    har = json.dumps(har_for_room(fake, OWNER)).encode()
    field_map = settings.statbate_plus_field_map()
    progress: list[chat_import.PageProgress] = []
    # When it is imported
    result = chat_import.import_capture(
        db, har, owner=OWNER, field_map=field_map, clock=clock, progress=progress.append
    )
    # Then every message of the room is stored once, from its 52 responses
    assert (result.format, result.responses) == ("har", 52)
    assert result.counts["new"] == 5_200
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])
    assert count(db, "SELECT count(*) FROM chat_import_responses WHERE origin = 'file'") == 52
    assert progress[-1].total.new == 5_200
    # When the same file is imported again
    again = chat_import.import_capture(db, har, owner=OWNER, field_map=field_map, clock=clock)
    # Then nothing is added: no message, no response
    assert (again.counts["new"], again.counts["responses"]) == (0, 0)
    assert count(db, "SELECT count(*) FROM interactions") == 5_200
    assert count(db, "SELECT count(*) FROM chat_import_responses") == 52
    # And both imports are on record
    assert count(db, "SELECT count(*) FROM job_runs WHERE job = 'chat_import_file'") == 2


def test_a_walk_then_a_har_of_the_same_pages_adds_nothing(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    har = json.dumps(har_for_room(fake, OWNER, noise=False)).encode()
    result = chat_import.import_capture(
        db, har, owner=OWNER, field_map=settings.statbate_plus_field_map(), clock=clock
    )
    assert result.counts["new"] == 0
    assert result.counts["already_stored"] == 5_200
    assert count(db, "SELECT count(*) FROM interactions") == 5_200


def test_a_file_with_nothing_to_import_is_refused_before_anything_is_written(
    db: Database, settings: Settings, clock: FakeClock, fake: FakePlus
) -> None:
    noise = har_document([har_entry(fake.origin + "/api/me", text='{"data": {"id": 7}}')])
    with pytest.raises(CaptureError, match="no chat responses"):
        chat_import.import_capture(
            db,
            json.dumps(noise).encode(),
            owner=OWNER,
            field_map=settings.statbate_plus_field_map(),
            clock=clock,
        )
    assert count(db, "SELECT count(*) FROM chat_import_responses") == 0
    assert count(db, "SELECT count(*) FROM job_runs") == 0


def test_the_signed_in_account_is_not_kept_with_the_raw_response(
    db: Database, settings: Settings, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a saved response whose props carry the account and a CSRF token
    page = fake.chat_page("room", OWNER, 1)
    page["props"]["auth"]["user"]["remember_token"] = "remember-me-secret"
    page["props"]["csrf_token"] = "csrf-secret-value"
    chat_import.import_capture(
        db,
        json.dumps(page).encode(),
        owner=OWNER,
        field_map=settings.statbate_plus_field_map(),
        clock=clock,
    )
    # Then the chat is stored, the account and the token are not
    with db.transaction() as conn:
        row = conn.execute("SELECT body::text AS body FROM chat_import_responses").fetchone()
    assert row is not None
    assert "remember-me-secret" not in row["body"]
    assert "csrf-secret-value" not in row["body"]
    assert "masked_account_identifier" not in row["body"]
    assert count(db, "SELECT count(*) FROM interactions") == 100
