"""Statbate Plus client against the fake Plus on loopback: the Inertia protocol as a browser
speaks it, cookie rotation kept and saved, every form of session expiry, Cloudflare, retries,
pacing and deadlines."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fakes.clock import FakeClock
from fakes.http import (
    SLOW_REPLY_SECONDS,
    TEST_READ_TIMEOUT,
    FakeHttpServer,
    RecordedRequest,
    Reply,
    cloudflare_reply,
)
from fakes.statbate_plus import (
    MEMBER_COMPONENT,
    ROOM_COMPONENT,
    SESSION_COOKIE,
    XSRF_COOKIE,
    Expiry,
    FakeMessage,
    FakePlus,
    make_messages,
    page_html,
)
from mhc.clients.errors import (
    AuthError,
    Blocked,
    InvalidClientConfig,
    InvalidResponse,
    NotFound,
    SessionExpired,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import ClientDeps, RetryPolicy, Timeouts
from mhc.clients.statbate_plus import PlusPage, StatbatePlusClient
from mhc.config import load_settings
from mhc.domain.chat_import import field_map_from_override, read_chat_page
from mhc.domain.plus_cookies import CorruptCookies, PlusCookies

ROOM = "cam_room"
MEMBER = "big_fan"


class MemoryCookies:
    """A CookieStore in memory that records every save."""

    def __init__(self, cookies: PlusCookies | None) -> None:
        self.cookies = cookies
        self.saved: list[PlusCookies] = []

    def load(self) -> PlusCookies | None:
        return self.cookies

    def save(self, cookies: PlusCookies) -> None:
        self.saved.append(cookies)
        self.cookies = cookies


@pytest.fixture
def fake(server: FakeHttpServer) -> FakePlus:
    fake = FakePlus(server, per_page=100)
    fake.add_room(ROOM, make_messages(5_200, room=ROOM, shape="shape_a"))
    fake.add_room("room_b", make_messages(330, room="room_b", shape="shape_b"))
    fake.add_room("room_c", make_messages(330, room="room_c", shape="shape_c"))
    fake.add_room("room_x", make_messages(150, room="room_x", shape="unmapped"))
    fake.add_member(MEMBER, make_messages(250, room=ROOM, shape="member", member=MEMBER))
    fake.add_live(ROOM, make_messages(230, room=ROOM, shape="shape_b", seed=9))
    return fake


@pytest.fixture
def store(fake: FakePlus) -> MemoryCookies:
    session, xsrf = fake.sign_in()
    return MemoryCookies(PlusCookies.pasted(session, xsrf))


def make_client(
    server: FakeHttpServer,
    http: httpx.Client,
    store: Any,
    deps: ClientDeps,
    retry: RetryPolicy,
    **kwargs: Any,
) -> StatbatePlusClient:
    return StatbatePlusClient(
        http,
        cookies=store,
        base_url=server.url,
        deps=deps,
        retry=retry,
        timeouts=Timeouts(connect=1.0, read=TEST_READ_TIMEOUT),
        **kwargs,
    )


@pytest.fixture
def client(
    server: FakeHttpServer,
    http: httpx.Client,
    store: MemoryCookies,
    deps: ClientDeps,
    retry: RetryPolicy,
) -> StatbatePlusClient:
    return make_client(server, http, store, deps, retry)


def walk_all(client: StatbatePlusClient, url: str) -> tuple[list[PlusPage], Any]:
    walk = client.walk(url)
    return list(walk), walk


def read_ids(pages: list[PlusPage]) -> list[str]:
    return [m.external_id for p in pages for m in read_chat_page(p.body, url=p.url).messages]


def expected_ids(messages: list[FakeMessage]) -> list[str]:
    return [f"id:{m.room}:{m.message_id}" for m in messages]


def cookie_header(request: RecordedRequest) -> dict[str, str]:
    return dict(p.strip().split("=", 1) for p in request.headers["cookie"].split(";"))


# -- the Inertia protocol ------------------------------------------------------------------
def test_first_visit_reads_the_page_from_data_page_then_speaks_inertia(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    # When the first two pages of a room are fetched
    first = client.room_chat(ROOM)
    second = client.fetch(first.next_url or "")
    # Then the first request was a browser's visit asking for HTML, answered by the page object
    visit, xhr = server.requests
    assert "x-inertia" not in visit.headers
    assert visit.headers["accept"].startswith("text/html")
    assert "Mozilla/5.0" in visit.headers["user-agent"]
    assert first.kind == "inertia"
    assert first.body == fake.chat_page("room", ROOM, 1)
    # And the next one an Inertia request with the version read from data-page
    assert xhr.headers["x-inertia"] == "true"
    assert xhr.headers["x-inertia-version"] == fake.version
    assert xhr.headers["x-requested-with"] == "XMLHttpRequest"
    assert xhr.target == f"/room/statbate/{ROOM}/chat?page=2"
    # As a partial reload of the props the map reads: the chat and the timezone's holder
    assert xhr.headers["x-inertia-partial-component"] == ROOM_COMPONENT
    assert xhr.headers["x-inertia-partial-data"] == "messages,data"
    assert set(second.body["props"]) == {"messages", "data"}
    assert second.next_url == f"{server.url}/room/statbate/{ROOM}/chat?page=3"


def test_a_walk_reads_5000_messages_once_across_a_version_change(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer, store: MemoryCookies
) -> None:
    # Given Plus deploys new assets in the middle of the walk
    fake.version_change_after = 20
    # When the whole room is walked
    pages, walk = walk_all(client, client.room_chat_url(ROOM))
    # Then every message came exactly once, over all 52 pages, and the walk ended
    assert read_ids(pages) == expected_ids(fake.rooms[ROOM])
    assert (len(pages), walk.pages, walk.ended, walk.checkpoint) == (52, 52, True, None)
    # And the 409 was answered by one HTML visit to its location and one retry
    assert fake.conflicts == 1
    refresh_at = next(
        n for n, r in enumerate(server.requests) if n and "x-inertia" not in r.headers
    )
    conflict, refresh, retried = server.requests[refresh_at - 1 : refresh_at + 2]
    assert refresh.headers["accept"].startswith("text/html")
    assert conflict.target == refresh.target == retried.target
    assert conflict.headers["x-inertia-version"] != fake.version
    assert retried.headers["x-inertia-version"] == fake.version
    assert len(server.requests) == 52 + 2
    # And every request carried the cookies the previous answer set
    for before, after in zip(server.requests, server.requests[1:], strict=False):
        assert cookie_header(after) != cookie_header(before)


@pytest.mark.parametrize("room", ["room_b", "room_c"])
def test_other_shapes_walk_through_the_default_map(
    client: StatbatePlusClient, fake: FakePlus, room: str
) -> None:
    pages, walk = walk_all(client, client.room_chat_url(room))
    read = [m for p in pages for m in read_chat_page(p.body, url=p.url).messages]
    assert [(m.sender, m.text, m.occurred_at, m.room) for m in read] == [
        (e.sender, e.text, e.occurred_at, room) for e in fake.rooms[room]
    ]
    assert len({m.external_id for m in read}) == 330
    assert walk.ended


def test_an_unmapped_room_walks_and_reports_every_item_unmapped(
    client: StatbatePlusClient, fake: FakePlus
) -> None:
    pages, _ = walk_all(client, client.room_chat_url("room_x"))
    read = [read_chat_page(p.body, url=p.url) for p in pages]
    assert sum(len(r.messages) for r in read) == 0
    assert [u.raw for r in read for u in r.unmapped] == [m.raw for m in fake.rooms["room_x"]]


def test_a_member_chat_and_a_page_number(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    page = client.member_chat(MEMBER, page=2)
    assert server.requests[0].target == f"/member/statbate/{MEMBER}/chat?page=2"
    assert page.body["component"] == MEMBER_COMPONENT
    read = read_chat_page(page.body, url=page.url)
    assert {(m.sender, m.room) for m in read.messages} == {(MEMBER, ROOM)}
    assert [m.external_id for m in read.messages] == expected_ids(fake.members[MEMBER][100:200])


def test_the_live_session_json(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    pages, walk = walk_all(client, client.live_session_chat_url(ROOM))
    assert {p.kind for p in pages} == {"json"}
    assert len(pages) == 3
    assert walk.ended
    for request in server.requests:
        assert request.headers["accept"] == "application/json"
        assert "x-inertia" not in request.headers
    read = [m for p in pages for m in read_chat_page(p.body, url=p.url).messages]
    assert [(m.sender, m.occurred_at, m.room) for m in read] == [
        (e.sender, e.occurred_at, ROOM) for e in fake.live[ROOM]
    ]


def test_an_inertia_answer_without_a_page_object_is_invalid(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    client.room_chat(ROOM)
    path = f"/room/statbate/{ROOM}/chat"
    server.enqueue(Reply(body=b'{"data": []}', headers={"X-Inertia": "true"}), path=path)
    with pytest.raises(InvalidResponse, match="not a page object"):
        client.room_chat(ROOM)
    server.enqueue(Reply(body="<html><body>maintenance</body></html>"), path=path)
    with pytest.raises(InvalidResponse, match="no Inertia data-page"):
        client.room_chat(ROOM)


def test_a_second_409_right_after_a_refresh_is_an_error(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    client.room_chat(ROOM)
    path = f"/room/statbate/{ROOM}/chat"
    conflict = Reply(status=409, headers={"X-Inertia-Location": f"{server.url}{path}"})
    html = Reply(
        body=page_html(fake.chat_page("room", ROOM, 1)), headers={"Content-Type": "text/html"}
    )
    server.enqueue(conflict, html, conflict, path=path)
    with pytest.raises(InvalidResponse, match="changed again"):
        client.room_chat(ROOM)
    assert len(server.requests) == 4


@pytest.mark.parametrize("where", ["location", "next"])
def test_urls_leaving_the_origin_are_never_followed(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer, where: str
) -> None:
    with FakeHttpServer() as elsewhere:
        client.room_chat(ROOM)
        path = f"/room/statbate/{ROOM}/chat"
        if where == "location":
            server.enqueue(
                Reply(status=409, headers={"X-Inertia-Location": f"{elsewhere.url}{path}"}),
                path=path,
            )
            with pytest.raises(InvalidResponse, match="X-Inertia-Location leaves"):
                client.room_chat(ROOM)
        else:
            page = fake.chat_page("room", ROOM, 1)
            page["props"]["messages"]["next_page_url"] = f"{elsewhere.url}{path}?page=2"
            server.enqueue(
                Reply(body=json.dumps(page).encode(), headers={"X-Inertia": "true"}), path=path
            )
            with pytest.raises(InvalidResponse, match="next page URL leaves"):
                client.room_chat(ROOM)
        assert elsewhere.request_count == 0
    with pytest.raises(InvalidResponse, match="leaves"):
        client.fetch("https://plus.statbate.com.evil.example/room/statbate/x/chat")


# -- cookies -------------------------------------------------------------------------------
def test_rotated_cookies_are_sent_next_and_saved_throttled(
    client: StatbatePlusClient, store: MemoryCookies, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a client whose pacing advances the fake clock 2 s per request
    initial = store.cookies
    assert initial is not None
    # When three pages are fetched
    first = client.room_chat(ROOM)
    client.fetch(first.next_url or "")
    client.fetch(client.room_chat_url(ROOM, 3))
    # Then the first rotation was saved at once, later ones wait for the save interval
    assert len(store.saved) == 1
    assert store.saved[0] != initial
    assert store.saved[0].session != initial.session
    # And each request carried the cookies the previous answer set
    assert cookie_header(server.requests[0])[SESSION_COOKIE] == initial.session
    assert cookie_header(server.requests[1])[SESSION_COOKIE] == store.saved[0].session
    # When a minute passes, the next rotation is saved
    clock.advance(60)
    client.room_chat(ROOM, page=4)
    assert len(store.saved) == 2
    # And save_cookies() at the end of a run saves the last rotation, which Plus accepts
    client.room_chat(ROOM, page=5)
    client.save_cookies()
    assert len(store.saved) == 3
    client.save_cookies()
    assert len(store.saved) == 3  # nothing new: nothing saved
    assert cookie_header(server.requests[-1])[SESSION_COOKIE] != store.saved[-1].session


def test_no_cookies_stored_fails_before_any_request(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> None:
    client = make_client(server, http, MemoryCookies(None), deps, retry)
    with pytest.raises(SessionExpired) as caught:
        client.room_chat(ROOM)
    assert caught.value.reason == "missing"
    assert server.request_count == 0


def test_unreadable_stored_cookies_mean_sign_in_again(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> None:
    class Corrupt:
        def load(self) -> PlusCookies | None:
            raise CorruptCookies("the cookie file /x/jar.json is unreadable")

        def save(self, cookies: PlusCookies) -> None:
            raise AssertionError("never saved")

    with pytest.raises(SessionExpired, match="unreadable") as caught:
        make_client(server, http, Corrupt(), deps, retry).room_chat(ROOM)
    assert caught.value.reason == "unreadable"


def test_xsrf_header_is_the_decoded_cookie_on_non_get_only(
    client: StatbatePlusClient, store: MemoryCookies, server: FakeHttpServer
) -> None:
    client.room_chat(ROOM)
    answer = client.request_json("POST", "/api/live-sessions/statuses", json_body={"rooms": [ROOM]})
    assert answer == {"data": [], "echo": {"rooms": [ROOM]}}
    get, post = server.requests
    assert "x-xsrf-token" not in get.headers
    sent_cookie = cookie_header(post)[XSRF_COOKIE]
    assert "%3D" in sent_cookie
    assert post.headers["x-xsrf-token"] == unquote(sent_cookie)
    assert post.headers["x-xsrf-token"].endswith("=")


def test_a_rejected_xsrf_token_is_419_session_expired(
    fake: FakePlus, server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> None:
    session, _ = fake.sign_in()
    store = MemoryCookies(PlusCookies.pasted(session, "bm90LWlzc3VlZA%3D%3D"))
    client = make_client(server, http, store, deps, retry, cookie_save_interval_seconds=3600)
    with pytest.raises(SessionExpired) as caught:
        client.request_json("POST", "/api/live-sessions/statuses", json_body={})
    assert (caught.value.reason, caught.value.status) == ("419", 419)


def test_the_shared_httpx_client_keeps_no_plus_cookie(
    client: StatbatePlusClient, http: httpx.Client
) -> None:
    client.room_chat(ROOM)
    client.room_chat(ROOM, page=2)
    assert list(http.cookies.jar) == []


# -- session expiry --------------------------------------------------------------------------
EXPIRIES: list[tuple[Expiry, str, int]] = [
    ("redirect", "redirect", 302),
    ("401", "401", 401),
    ("login_page", "login_page", 200),
]


@pytest.mark.parametrize(("how", "reason", "status"), EXPIRIES)
@pytest.mark.parametrize("when", ["first visit", "inertia", "json"])
def test_every_form_of_expiry_is_session_expired(
    client: StatbatePlusClient,
    fake: FakePlus,
    store: MemoryCookies,
    how: Expiry,
    reason: str,
    status: int,
    when: str,
) -> None:
    if when == "inertia":
        client.room_chat(ROOM)
    saves = len(store.saved)
    fake.expire(how)
    fetch = client.live_session_chat if when == "json" else client.room_chat
    with pytest.raises(SessionExpired) as caught:
        fetch(ROOM)
    assert (caught.value.reason, caught.value.status) == (reason, status)
    assert "sign in again" in str(caught.value)
    assert len(store.saved) == saves  # nothing from a dead session is saved


def test_a_409_sending_the_browser_to_login_is_session_expired(
    client: StatbatePlusClient, server: FakeHttpServer
) -> None:
    client.room_chat(ROOM)
    path = f"/room/statbate/{ROOM}/chat"
    server.enqueue(
        Reply(status=409, headers={"X-Inertia-Location": f"{server.url}/login"}), path=path
    )
    with pytest.raises(SessionExpired) as caught:
        client.room_chat(ROOM, page=2)
    assert caught.value.reason == "redirect"


@pytest.mark.parametrize(("how", "reason", "status"), EXPIRIES)
def test_expiry_mid_walk_keeps_the_checkpoint_and_fresh_cookies_resume(
    fake: FakePlus,
    server: FakeHttpServer,
    http: httpx.Client,
    deps: ClientDeps,
    retry: RetryPolicy,
    store: MemoryCookies,
    how: Expiry,
    reason: str,
    status: int,
) -> None:
    # Given the session expires after 7 pages of a walk
    fake.expiry = how
    fake.expire_after = 7
    client = make_client(server, http, store, deps, retry)
    walk = client.walk(client.room_chat_url(ROOM))
    got: list[PlusPage] = []
    # When the walk meets the expiry
    with pytest.raises(SessionExpired) as caught:
        got.extend(walk)
    # Then the pages before it were handed over, and the checkpoint is the page that failed
    assert caught.value.reason == reason
    assert len(got) == 7
    assert walk.checkpoint == got[-1].next_url
    assert not walk.ended
    # When the owner signs in again and a new run resumes from the checkpoint
    session, xsrf = fake.sign_in()
    fresh = make_client(server, http, MemoryCookies(PlusCookies.pasted(session, xsrf)), deps, retry)
    rest, resumed = walk_all(fresh, walk.checkpoint or "")
    # Then every message was read exactly once across the two runs
    assert read_ids(got + rest) == expected_ids(fake.rooms[ROOM])
    assert resumed.ended


# -- Cloudflare, failures, retries -----------------------------------------------------------
@pytest.mark.parametrize("status", [403, 503])
def test_a_cloudflare_challenge_is_blocked_and_not_retried(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer, status: int
) -> None:
    server.enqueue(cloudflare_reply(status))
    with pytest.raises(Blocked) as caught:
        client.room_chat(ROOM)
    assert caught.value.ray_id == "8c1d2e3f4a5b6c7d-AMS"
    assert server.request_count == 1
    # Mid-walk too
    client.room_chat(ROOM)
    fake.challenges = 1
    with pytest.raises(Blocked):
        client.room_chat(ROOM, page=2)


@pytest.mark.parametrize(
    "fault",
    [
        Reply(status=500, body={"message": "Server Error"}),
        Reply(status=502, body="<html>Bad gateway</html>"),
        Reply(status=429, body={"message": "Too Many Attempts."}, headers={"Retry-After": "3"}),
        Reply(status=522, body="<html>Connection timed out</html>"),
        Reply(body=b"{}", delay=SLOW_REPLY_SECONDS),
        Reply(body=b'{"props": {"x": "yyyyyyyy"}}', drop="reset"),
        Reply(body=b'{"props": {"x": "yyyyyyyy"}}', drop="mid_body"),
        Reply(drop="before_reply"),
    ],
    ids=["500", "502", "429", "522", "slow", "reset", "dropped", "no-reply"],
)
def test_transient_faults_are_retried_with_backoff(
    client: StatbatePlusClient,
    fake: FakePlus,
    server: FakeHttpServer,
    clock: FakeClock,
    fault: Reply,
) -> None:
    # Given one fault, then the real page
    client.room_chat(ROOM)
    server.enqueue(fault)
    clock.sleeps.clear()
    # When the next page is fetched
    page = client.room_chat(ROOM, page=2)
    # Then it arrived after one retry, the wait at least the backoff (or Retry-After)
    assert page.body["props"]["messages"]["current_page"] == 2
    assert server.request_count == 3
    # (the pacer's 2 s, then the backoff: 1 s, or the 3 s Retry-After asked for)
    assert clock.sleeps == [2.0, 3.0 if fault.status == 429 else 1.0]


def test_faults_that_outlast_the_retries_give_up(
    client: StatbatePlusClient, server: FakeHttpServer
) -> None:
    server.default = Reply(status=503, body={"message": "down"})
    server.handler = None
    with pytest.raises(TransientExhausted) as caught:
        client.room_chat(ROOM)
    assert caught.value.attempts == 3
    assert server.request_count == 3


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(status=404, body="<html>Not found</html>"), NotFound),
        (Reply(status=403, body={"message": "This action is unauthorized."}), AuthError),
        (Reply(status=302, headers={"Location": "/dashboard"}), InvalidResponse),
        (Reply(status=409, body=b""), InvalidResponse),
        (Reply(status=418, body=b""), UnexpectedStatus),
    ],
)
def test_other_statuses_are_typed_errors(
    client: StatbatePlusClient, server: FakeHttpServer, reply: Reply, error: type[Exception]
) -> None:
    server.enqueue(reply)
    with pytest.raises(error) as caught:
        client.room_chat(ROOM)
    assert not isinstance(caught.value, SessionExpired)


# -- pacing and deadlines ------------------------------------------------------------------
def test_requests_are_paced(
    client: StatbatePlusClient, server: FakeHttpServer, clock: FakeClock
) -> None:
    start = clock()
    list(client.walk(client.room_chat_url("room_b")))
    assert server.request_count == 4
    # The first request goes at once; each later one waits its 2 s (the clock only moves
    # when the client sleeps)
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert clock() - start == timedelta(seconds=6)


def test_a_deadline_stops_the_walk_with_its_checkpoint_and_a_new_walk_resumes(
    client: StatbatePlusClient, fake: FakePlus, clock: FakeClock
) -> None:
    # Given 11 s: time for 6 requests paced 2 s apart
    walk = client.walk(client.room_chat_url(ROOM), deadline=clock.after(11))
    got = list(walk)
    # Then the walk stopped on its own, the checkpoint on the first page not read
    assert (len(got), walk.stopped_at_deadline, walk.ended) == (6, True, False)
    assert walk.checkpoint == got[-1].next_url
    assert walk.checkpoint is not None
    assert walk.checkpoint.endswith("?page=7")
    # When a later run walks on from the checkpoint
    rest = list(client.walk(walk.checkpoint))
    assert read_ids(got + rest) == expected_ids(fake.rooms[ROOM])


def test_a_deadline_already_past_asks_nothing(
    client: StatbatePlusClient, server: FakeHttpServer, clock: FakeClock
) -> None:
    client.room_chat(ROOM)
    walk = client.walk(client.room_chat_url(ROOM, 2), deadline=clock.after(-1))
    assert list(walk) == []
    assert walk.stopped_at_deadline
    assert walk.checkpoint == client.room_chat_url(ROOM, 2)
    assert server.request_count == 1


def test_a_paginator_that_loops_is_stopped(
    client: StatbatePlusClient, fake: FakePlus, server: FakeHttpServer
) -> None:
    path = f"/room/statbate/{ROOM}/chat"
    page = fake.chat_page("room", ROOM, 1)
    page["props"]["messages"]["next_page_url"] = f"{server.url}{path}"
    server.enqueue(Reply(body=page_html(page), headers={"Content-Type": "text/html"}), path=path)
    with pytest.raises(InvalidResponse, match="leads back"):
        list(client.walk(client.room_chat_url(ROOM)))


# -- configuration ---------------------------------------------------------------------------
def test_bad_configuration_is_refused(http: httpx.Client, store: MemoryCookies) -> None:
    with pytest.raises(InvalidClientConfig, match="plain http"):
        StatbatePlusClient(http, cookies=store, base_url="http://plus.statbate.com")
    with pytest.raises(InvalidClientConfig, match="site"):
        StatbatePlusClient(http, cookies=store, site="Bad Site")
    client = StatbatePlusClient(http, cookies=store)
    assert (
        client.room_chat_url("Cam_Room", 2)
        == "https://plus.statbate.com/room/statbate/cam_room/chat?page=2"
    )
    assert (
        client.live_session_chat_url("x")
        == "https://plus.statbate.com/api/live-sessions/statbate/x/chat"
    )
    for bad in ("../admin", "a b", ""):
        with pytest.raises(ValueError, match="username"):
            client.member_chat_url(bad)
    with pytest.raises(ValueError, match="page"):
        client.room_chat_url("x", 0)


def test_a_chat_the_map_cannot_find_is_asked_for_whole(
    server: FakeHttpServer,
    http: httpx.Client,
    store: MemoryCookies,
    deps: ClientDeps,
    retry: RetryPolicy,
) -> None:
    # Given a map whose items path finds nothing on Plus's pages
    field_map = field_map_from_override('{"items": ["props.chatLines.data"]}')
    client = make_client(server, http, store, deps, retry, field_map=field_map)
    # When two pages are fetched
    client.room_chat(ROOM)
    second = client.room_chat(ROOM, page=2)
    # Then the second is a whole page (its raw props are what the owner needs to map it)
    assert "x-inertia-partial-data" not in server.requests[1].headers
    assert "messages" in second.body["props"]
    assert "translations" in second.body["props"]


def test_from_settings(
    server: FakeHttpServer, http: httpx.Client, store: MemoryCookies, tmp_path: Any
) -> None:
    settings = load_settings(
        mhc_statbate_plus_url=server.url,
        mhc_statbate_plus_site="statbate",
        mhc_statbate_plus_request_interval_seconds=0,
        mhc_statbate_plus_field_map='{"text": ["message"]}',
        mhc_data_dir=tmp_path,
    )
    client = StatbatePlusClient.from_settings(settings, http, cookies=store)
    page = client.room_chat(ROOM)
    assert page.url == f"{server.url}/room/statbate/{ROOM}/chat"
    assert len(read_chat_page(page.body, url=page.url).messages) == 100
