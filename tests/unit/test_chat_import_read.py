"""Chat responses read through the default map: three message shapes, unmapped items kept
raw, times in the page's zone (DST edges in New York), and stable external ids."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.statbate_plus import FakeMessage, FakePlus, make_messages
from mhc.domain.chat_import import (
    DEFAULT_MAP,
    TimeNote,
    external_id,
    matched_props,
    parse_time,
    read_chat_page,
    zone_named,
)

NEW_YORK = zone_named("America/New_York")


def _room_page(
    shape: str, count: int = 40, **kwargs: Any
) -> tuple[dict[str, Any], list[FakeMessage]]:
    fake = FakePlus(per_page=count, **kwargs)
    messages = make_messages(count, room="cam_room", shape=shape)  # type: ignore[arg-type]
    fake.add_room("cam_room", messages)
    return fake.chat_page("room", "cam_room", 1), messages


@pytest.mark.parametrize("shape", ["shape_a", "shape_b", "shape_c"])
def test_each_shape_reads_through_the_default_map_alone(shape: str) -> None:
    # Given a page of one shape (shape_a: naive New York times; shape_b: UTC ISO, no ids;
    # shape_c: epoch seconds with tokens)
    page, expected = _room_page(shape)
    # When it is read with the default map
    read = read_chat_page(page, field_map=DEFAULT_MAP)
    # Then every message comes out, nothing unmapped, each as it was said
    assert read.unmapped == ()
    assert [(m.sender, m.text, m.occurred_at, m.room, m.tokens) for m in read.messages] == [
        (e.sender, e.text, e.occurred_at, "cam_room", e.tokens) for e in expected
    ]
    assert [m.message_id for m in read.messages] == [e.message_id for e in expected]
    assert all(m.occurred_at.tzinfo is UTC for m in read.messages)
    assert [m.raw for m in read.messages] == [e.raw for e in expected]
    assert (read.zone, read.zone_assumed) == ("America/New_York", False)
    assert (read.current_page, read.last_page, read.next_url) == (1, 1, None)


def test_naive_times_are_read_in_the_page_zone_and_offsets_are_kept() -> None:
    page, _ = _room_page("shape_a", count=3)
    read = read_chat_page(page)
    assert {m.local_zone for m in read.messages} == {"America/New_York"}
    page_b, _ = _room_page("shape_b", count=3)
    assert {m.local_zone for m in read_chat_page(page_b).messages} == {None}


def test_an_unmapped_shape_is_kept_raw_and_never_guessed() -> None:
    # Given a page whose items the default map cannot read, mixed with readable ones
    page, unreadable = _room_page("unmapped", count=5)
    readable = make_messages(2, room="cam_room", shape="shape_a", first_id=900)
    items = page["props"]["messages"]["data"]
    items[1:1] = [m.raw for m in readable]
    items.append("just a string")
    items.append({"username": "John Smith", "message": "a display name is not a username",
                  "created_at": "2026-01-10 10:00:00"})  # fmt: skip
    items.append({"username": "bob", "message": "when?", "created_at": "yesterday"})
    # When it is read
    read = read_chat_page(page)
    # Then the readable ones come out, and every other item is reported with its raw payload
    assert [m.message_id for m in read.messages] == [r.message_id for r in readable]
    assert len(read.unmapped) == len(items) - 2
    assert [u.raw for u in read.unmapped[:5]] == [m.raw for m in unreadable]
    assert read.unmapped[0].reasons == ("no sender", "no text", "no time")
    assert read.unmapped[5].reasons == ("not an object",)
    assert read.unmapped[6].reasons == ("no sender",)
    assert read.unmapped[7].reasons == ("time not readable",)
    assert all(u.raw is items[u.index] for u in read.unmapped)
    # And no reason echoes what the item said
    assert "John" not in repr(read.unmapped)
    assert "yesterday" not in repr(read.unmapped)


def test_a_tip_without_a_message_has_empty_text_and_its_tokens() -> None:
    read = read_chat_page(
        {"data": [{"donator": "Big_Tipper", "mes": "", "date": 1767225600, "tokens": "250"}]}
    )
    (message,) = read.messages
    assert (message.sender, message.text, message.tokens) == ("big_tipper", "", 250)
    assert message.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_page_without_a_zone_is_read_as_utc_and_says_it_assumed() -> None:
    page, _ = _room_page("shape_a", count=2, zone=None)
    read = read_chat_page(page)
    assert (read.zone, read.zone_assumed) == ("UTC", True)
    assert read.messages[0].occurred_at.tzinfo is UTC
    elsewhere = read_chat_page(page, assume_zone="America/New_York")
    assert (elsewhere.zone, elsewhere.zone_assumed) == ("America/New_York", True)
    shift = read.messages[0].occurred_at - elsewhere.messages[0].occurred_at
    assert shift.total_seconds() == -5 * 3600


def test_an_unknown_zone_is_a_problem_and_assumed_utc() -> None:
    page, _ = _room_page("shape_a", count=1)
    page["props"]["data"]["timezone"] = "Mars/Olympus_Mons"
    read = read_chat_page(page)
    assert (read.zone, read.zone_assumed) == ("UTC", True)
    assert read.problems == ("the page's timezone is not a known IANA zone",)


# -- DST edges in New York (2026-03-08 spring forward, 2026-11-01 fall back) ---------------
@pytest.mark.parametrize(
    ("local", "utc", "note"),
    [
        # spring forward: 02:00-02:59 do not exist; read with the offset before the jump (EST)
        ("2026-03-08 01:59:59", "2026-03-08T06:59:59", None),
        ("2026-03-08 02:00:00", "2026-03-08T07:00:00", TimeNote.NONEXISTENT),
        ("2026-03-08 02:30:00", "2026-03-08T07:30:00", TimeNote.NONEXISTENT),
        ("2026-03-08 03:00:00", "2026-03-08T07:00:00", None),
        ("2026-03-08 12:00:00", "2026-03-08T16:00:00", None),
        # fall back: 01:00-01:59 happen twice; read as the later instant (EST)
        ("2026-11-01 00:59:59", "2026-11-01T04:59:59", None),
        ("2026-11-01 01:00:00", "2026-11-01T06:00:00", TimeNote.AMBIGUOUS),
        ("2026-11-01 01:30:00", "2026-11-01T06:30:00", TimeNote.AMBIGUOUS),
        ("2026-11-01 01:59:59", "2026-11-01T06:59:59", TimeNote.AMBIGUOUS),
        ("2026-11-01 02:00:00", "2026-11-01T07:00:00", None),
    ],
)
def test_new_york_dst_edges(local: str, utc: str, note: TimeNote | None) -> None:
    page = {
        "props": {
            "data": {"timezone": "America/New_York"},
            "messages": {"data": [{"id": 1, "created_at": local, "username": "a", "message": "m"}]},
        },
        "component": "Room/Chat",
    }
    (message,) = read_chat_page(page, url="/room/statbate/cam/chat").messages
    assert message.occurred_at == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert message.time_note == note


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-08T02:30:00-05:00", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        ("2026-03-08T07:30:00.250000Z", datetime(2026, 3, 8, 7, 30, 0, 250000, tzinfo=UTC)),
        (1772955000, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        (1772955000123, datetime(2026, 3, 8, 7, 30, 0, 123000, tzinfo=UTC)),
        ("1772955000", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ],
)
def test_times_with_their_own_offset_ignore_the_zone(value: str | int, expected: datetime) -> None:
    parsed = parse_time(value, NEW_YORK)
    assert parsed == (expected, False, None)


@pytest.mark.parametrize(
    "value", ["2026-03-08", "yesterday", "", "12", 99999999999999999, -5, "2026-13-40 25:00:00"]
)
def test_unreadable_times_are_none(value: str | int) -> None:
    assert parse_time(value, NEW_YORK) is None


# -- external ids --------------------------------------------------------------------------
def test_external_id_is_the_message_id_when_there_is_one() -> None:
    page, expected = _room_page("shape_a", count=3)
    assert [m.external_id for m in read_chat_page(page).messages] == [
        f"id:{e.room}:{e.message_id}" for e in expected
    ]


def test_identical_lines_get_ordinals_and_ids_survive_a_reread() -> None:
    # Given a shape_b page (no ids) holding pairs of identical lines
    page, expected = _room_page("shape_b", count=30)
    assert len({(e.sender, e.occurred_at, e.text) for e in expected}) == 27
    read = read_chat_page(page)
    ids = [m.external_id for m in read.messages]
    # Then every line has its own id, the pairs told apart by their ordinal
    assert len(set(ids)) == len(ids) == 30
    pairs = [m for m in read.messages if m.ordinal == 1]
    assert len(pairs) == 3
    assert all(i.startswith("h:") for i in ids)
    # And reading the same response again (or a copy of it) gives the same ids
    assert [m.external_id for m in read_chat_page(copy.deepcopy(page)).messages] == ids
    # And a line keeps its id when it moves within the response (the index is not hashed)
    moved = copy.deepcopy(page)
    moved["props"]["messages"]["data"].insert(0, {"note": "new at the top"})
    assert [m.external_id for m in read_chat_page(moved).messages] == ids


def test_the_hash_covers_room_sender_time_text_and_ordinal() -> None:
    base = {
        "room": "r",
        "sender": "s",
        "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
        "text": "t",
        "ordinal": 0,
    }
    reference = external_id(None, **base)  # type: ignore[arg-type]
    for key, other in [("room", "q"), ("sender", "z"), ("text", "u"), ("ordinal", 1),
                       ("occurred_at", datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)), ("room", None)]:  # fmt: skip
        assert external_id(None, **{**base, key: other}) != reference  # type: ignore[arg-type]
    assert external_id(None, **base) == reference  # type: ignore[arg-type]
    # Plus's own id, scoped by the room (bare when the room is not known)
    assert external_id("77", **base) == "id:r:77"  # type: ignore[arg-type]
    assert external_id("77", **{**base, "room": "q"}) == "id:q:77"  # type: ignore[arg-type]
    assert external_id("77", **{**base, "room": None}) == "id:77"  # type: ignore[arg-type]


# -- where the room and sender come from ---------------------------------------------------
def test_the_room_comes_from_the_item_else_the_url() -> None:
    items = [
        {"id": 1, "created_at": "2026-01-10 10:00:00", "username": "a", "message": "x", "room": "Other_Room"},
        {"id": 2, "created_at": "2026-01-10 10:00:00", "username": "a", "message": "x", "model": {"name": "nested_room"}},
        {"id": 3, "created_at": "2026-01-10 10:00:00", "username": "a", "message": "x"},
    ]  # fmt: skip
    rooms = [
        m.room
        for m in read_chat_page(
            {"data": items}, url="https://p/room/statbate/Url_Room/chat?page=4"
        ).messages
    ]
    assert rooms == ["other_room", "nested_room", "url_room"]
    assert [m.room for m in read_chat_page({"data": items}).messages] == [
        "other_room",
        "nested_room",
        None,
    ]
    # An Inertia page names its own URL when the request URL is unknown
    page = {
        "component": "Room/Chat",
        "props": {"messages": {"data": items[2:]}},
        "url": "/room/statbate/own_url/chat",
    }
    assert [m.room for m in read_chat_page(page).messages] == ["own_url"]


def test_a_member_page_gives_the_sender_when_items_do_not() -> None:
    fake = FakePlus(per_page=10)
    fake.add_member("Big_Fan", make_messages(10, room="cam_room", shape="member", member="Big_Fan"))
    read = read_chat_page(fake.chat_page("member", "big_fan", 1), url=None)
    assert {(m.sender, m.room) for m in read.messages} == {("big_fan", "cam_room")}
    assert read.unmapped == ()


def test_paging_and_partial_reload_props() -> None:
    fake = FakePlus(per_page=10)
    fake.add_room("cam_room", make_messages(25, room="cam_room", shape="shape_a"))
    page = fake.chat_page("room", "cam_room", 2)
    read = read_chat_page(page)
    assert (read.current_page, read.last_page) == (2, 3)
    assert read.next_url == "https://plus.statbate.com/room/statbate/cam_room/chat?page=3"
    assert read_chat_page(fake.chat_page("room", "cam_room", 3)).next_url is None
    assert matched_props(page) == ("messages", "data")
    assert matched_props({"data": []}) == ()
    # Without the chat in a prop the map reads, whole pages are asked for, never a partial
    # reload that would leave the (unmapped) chat out
    unmapped = {"component": "Room/Chat", "props": {"data": {"timezone": "UTC"}, "chatLines": []}}
    assert matched_props(unmapped) == ()


def test_no_items_is_a_problem_not_an_empty_history() -> None:
    read = read_chat_page({"component": "Room/Chat", "props": {"chatLines": [1, 2]}})
    assert (read.items_found, read.messages, read.unmapped) == (False, (), ())
    assert read.problems == ("no list of messages found by the field map",)
