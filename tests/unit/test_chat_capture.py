"""Captured input: a DevTools HAR export (text and base64 bodies), saved JSON responses, JSON
lines; chat responses picked, everything else ignored, bad files refused with a reason."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fakes.statbate_plus import (
    FakePlus,
    har_document,
    har_entry,
    har_for_room,
    make_messages,
    page_html,
)
from mhc.domain.chat_capture import CaptureError, read_capture
from mhc.domain.chat_import import field_map_from_override, read_chat_page

ORIGIN = "https://plus.statbate.com"


def _fake(count: int = 250, shape: str = "shape_a") -> FakePlus:
    fake = FakePlus(per_page=50)
    fake.add_room("cam_room", make_messages(count, room="cam_room", shape=shape))  # type: ignore[arg-type]
    return fake


def _read_all(data: bytes | str) -> list[tuple[str, str]]:
    capture = read_capture(data)
    return [
        (m.external_id, m.room or "")
        for r in capture.responses
        for m in read_chat_page(r.body, url=r.url).messages
    ]


@pytest.mark.parametrize("shape", ["shape_a", "shape_b", "shape_c"])
def test_a_har_export_of_a_walk_gives_every_message(shape: str) -> None:
    # Given a HAR of a walk through 5 pages: an HTML first visit, XHR pages (some base64),
    # and the unrelated requests a browser makes
    fake = _fake(shape=shape)
    har = json.dumps(har_for_room(fake, "cam_room"))
    # When it is read
    capture = read_capture(har.encode())
    # Then the five chat pages are picked, in order, and nothing else
    assert capture.format == "har"
    assert [r.url for r in capture.responses] == [f"{ORIGIN}/room/statbate/cam_room/chat"] + [
        f"{ORIGIN}/room/statbate/cam_room/chat?page={n}" for n in range(2, 6)
    ]
    assert [r.where for r in capture.responses] == [
        "entry 1",
        "entry 7",
        "entry 8",
        "entry 9",
        "entry 10",
    ]
    assert capture.skipped == 5  # app.js, /api/me, a tips list, the favicon, a 409
    assert (capture.without_body, capture.problems) == (0, ())
    # And reading them through the map gives every message of the room exactly once
    read = [m for r in capture.responses for m in read_chat_page(r.body, url=r.url).messages]
    assert len(read) == 250
    assert len({m.external_id for m in read}) == 250
    assert {m.room for m in read} == {"cam_room"}


def test_base64_and_text_bodies_read_the_same() -> None:
    fake = _fake()
    plain = _read_all(json.dumps(har_for_room(fake, "cam_room", base64_every=0)))
    encoded = _read_all(json.dumps(har_for_room(fake, "cam_room", base64_every=1)))
    assert plain == encoded
    assert len(plain) == 250


def test_a_chat_entry_without_its_body_is_counted() -> None:
    har = har_for_room(_fake(), "cam_room", noise=False)
    del har["log"]["entries"][2]["response"]["content"]["text"]
    capture = read_capture(json.dumps(har))
    assert (len(capture.responses), capture.without_body) == (4, 1)


def test_a_bad_entry_is_a_problem_not_a_failure() -> None:
    har = har_for_room(_fake(), "cam_room", noise=False)
    entries = har["log"]["entries"]
    entries[1]["response"]["content"].update(text="***not base64***", encoding="base64")
    entries[2]["response"]["content"] = {"mimeType": "application/json", "text": '{"props": '}
    capture = read_capture(json.dumps(har))
    assert len(capture.responses) == 3
    assert capture.problems == (
        "entry 2: the base64 body cannot be decoded as UTF-8 text",
        "entry 3: the body is not JSON",
    )


def test_an_entry_at_an_unknown_url_counts_when_its_items_read_as_messages() -> None:
    # Given chat served from a route the map does not list, next to another API's list
    items = [m.raw for m in make_messages(3, room="cam_room", shape="shape_b")]
    har = har_document(
        [
            har_entry(f"{ORIGIN}/api/v2/chat-history?room=cam_room", text=json.dumps({"data": items})),
            har_entry(f"{ORIGIN}/api/model/statbate/cam_room/tips",
                      text=json.dumps({"data": [{"time": "2026-01-10 00:00:00", "name": "t", "tokens": 5}]})),
        ]
    )  # fmt: skip
    capture = read_capture(json.dumps(har))
    assert [r.where for r in capture.responses] == ["entry 1"]
    assert capture.skipped == 1
    # And a route added to the map takes in a chat entry whatever its items
    unmapped = har_document(
        [har_entry(f"{ORIGIN}/history/cam_room", text=json.dumps({"data": [{"who": "x"}]}))]
    )
    with pytest.raises(CaptureError, match="no chat responses found"):
        read_capture(json.dumps(unmapped))
    routed = field_map_from_override('{"routes": ["history/{room}"]}')
    (response,) = read_capture(json.dumps(unmapped), routed).responses
    read = read_chat_page(response.body, url=response.url, field_map=routed)
    assert (len(read.unmapped), read.route is not None) == (1, True)


def test_saved_json_a_list_of_them_and_json_lines() -> None:
    fake = _fake()
    pages = [fake.chat_page("room", "cam_room", n) for n in range(1, 6)]
    single = read_capture(json.dumps(pages[0]))
    assert (single.format, len(single.responses), single.responses[0].where) == ("json", 1, "file")
    assert single.responses[0].url == "/room/statbate/cam_room/chat"  # the page's own url
    listed = read_capture(json.dumps(pages))
    assert (listed.format, len(listed.responses)) == ("json-list", 5)
    lines = "\n".join(json.dumps(p) for p in pages) + "\n\n"
    by_line = read_capture(lines.encode("utf-8-sig"))
    assert (by_line.format, [r.where for r in by_line.responses]) == (
        "json-lines",
        [f"line {n}" for n in range(1, 6)],
    )
    assert _read_all(json.dumps(pages)) == _read_all(lines)


def test_a_bare_list_of_messages_is_one_response() -> None:
    items = [m.raw for m in make_messages(4, room="cam_room", shape="shape_c")]
    capture = read_capture(json.dumps(items))
    assert (capture.format, len(capture.responses)) == ("json", 1)
    assert len(read_chat_page(capture.responses[0].body).messages) == 4


def test_an_html_first_visit_saved_alone_is_not_json() -> None:
    with pytest.raises(CaptureError, match="not JSON"):
        read_capture(page_html(_fake().chat_page("room", "cam_room", 1)))


def _har_with(entries: list[dict[str, Any]]) -> str:
    return json.dumps(har_document(entries))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        ("caf\u00e9".encode("latin-1"), "not UTF-8"),
        (b"GIF89a\x01\x00", "not JSON, JSON lines or a HAR"),
        (b'{"a": 1}\n{"b": 2}\n{oops\n', "line 3 is not JSON"),
        (b'{"log": {"version": "1.2"}}', "not a HAR export"),
        (b'{"log": []}', "not a HAR export"),
        (_har_with([har_entry(f"{ORIGIN}/api/me", text='{"data": {"id": 1}}')]).encode(), "no chat responses found (1 entries read"),
        (b'{"component": "Model", "props": {"data": {"timezone": "UTC"}}, "url": "/room/statbate/x"}', "no chat responses found"),
        (base64.b64encode(b'{"data": []}'), "not JSON"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_problem(data: bytes, reason: str) -> None:
    with pytest.raises(CaptureError) as caught:
        read_capture(data)
    assert reason in str(caught.value)
