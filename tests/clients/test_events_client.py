"""Events API client against a real loopback server: every documented status and failure."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fakes.clock import FakeClock
from fakes.http import (
    SLOW_REPLY_SECONDS,
    TEST_READ_TIMEOUT,
    FakeHttpServer,
    Reply,
    cloudflare_reply,
    json_reply,
)
from fakes.samples import load
from mhc.clients.chaturbate_events import EventsClient, EventsPage, StaleCursor
from mhc.clients.errors import (
    AuthError,
    BadRequest,
    Blocked,
    InvalidClientConfig,
    InvalidNextUrl,
    InvalidResponse,
    NotFound,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import ClientDeps, RetryPolicy
from mhc.domain.events import event_time

TOKEN = "evtTOKENabc123xyz"


@pytest.fixture
def base(server: FakeHttpServer) -> str:
    return f"{server.url}/events/owner/{TOKEN}/"


@pytest.fixture
def client(base: str, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy) -> EventsClient:
    return EventsClient(
        base,
        http,
        deps=deps,
        retry=retry,
        connect_timeout=1.0,
        read_margin_seconds=TEST_READ_TIMEOUT,
    )


def page_body(base: str, sample: dict[str, Any]) -> dict[str, Any]:
    """A sample body whose nextUrl points back at the fake server."""
    body = copy.deepcopy(sample)
    body["nextUrl"] = f"{base}?i=1755377041589-0&timeout=10"
    return body


def test_a_real_testbed_page_is_passed_on_untouched(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    # Given the verbatim testbed capture
    body = page_body(base, load("events_testbed_2025_cb-events_api_response.json"))
    server.enqueue(json_reply(body))
    # When one page is fetched with a 5 s server timeout
    page = client.fetch_page(base, timeout_seconds=5)
    # Then every envelope is there, in order, exactly as sent (ingest stores and derives these)
    assert isinstance(page, EventsPage)
    assert page.envelopes == body["events"]
    assert [e["method"] for e in page.envelopes][:3] == ["chatMessage", "privateMessage", "tip"]
    assert page.raw == body
    assert page.next_url == body["nextUrl"]
    # And the request carried the server timeout on the tokened path
    request = server.requests[0]
    assert request.path == f"/events/owner/{TOKEN}/"
    assert request.param("timeout") == "5"


def test_unknown_methods_and_values_are_kept_never_fatal(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    user = {"username": "u1", "recentTips": "few", "inFanclub": {"odd": 1}, "newField": [1]}
    events: list[Any] = [
        {"method": "brandNewMethod", "id": "1768167770126-0", "object": {"what": "ever"}},
        {
            "method": "tip",
            "id": "1768167770127-0",
            "object": {
                "broadcaster": "",
                "user": user,
                "tip": {"tokens": 0, "isAnon": False, "message": ""},
            },
        },
        {
            "method": "mediaPurchase",
            "id": "1768167770128-0",
            "object": {
                "broadcaster": "b",
                "user": user,
                "media": {"id": "abc-9", "type": "socialMedia", "name": "x", "tokens": 5},
            },
        },
        {
            "method": "userEnter",
            "id": "UNIQUE_EVENT_ID",
            "broadcaster": "someothermodel",
            "object": {"user": user},
        },
        {"method": "follow", "object": {}},  # no id: cannot be deduped
        "not an object",
    ]
    server.enqueue(json_reply(page_body(base, {"events": events, "extraTopLevel": True})))
    page = client.fetch_page(base)
    assert isinstance(page, EventsPage)
    # What ingest stores: every envelope, unreadable ones included, in feed order.
    assert page.envelopes == events
    assert page.raw["extraTopLevel"] is True


def test_event_time_comes_from_the_millisecond_prefix() -> None:
    assert event_time("1712618428324-0") == datetime(2024, 4, 8, 23, 20, 28, 324000, tzinfo=UTC)
    assert event_time("1712618428324-17") == event_time("1712618428324-0")
    for bad in ("UNIQUE_EVENT_ID", "-1", "12a-0", "", "1712618428324"):
        with pytest.raises(ValueError, match="prefix"):
            event_time(bad)


def test_waited_too_long_returns_a_stale_cursor_with_the_body_next_url(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    body = load("events_http400_waited_too_long_cb-events_test.json")
    body["nextUrl"] = f"{base}?i=1755377041589-0&timeout=10"
    server.enqueue(json_reply(body, status=400))
    result = client.fetch_page(f"{base}?i=1-0")
    assert result == StaleCursor(next_url=body["nextUrl"], reason=body["status"])
    assert server.request_count == 1  # the rejected URL is not retried


def test_waited_too_long_without_next_url_means_restart_from_the_base(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    server.enqueue(
        json_reply({"status": "You waited too long. Please start over using 'nextUrl'"}, status=400)
    )
    result = client.fetch_page(base)
    assert isinstance(result, StaleCursor)
    assert result.next_url is None


def test_a_stale_cursor_pointing_elsewhere_is_rejected(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    body = load("events_http400_waited_too_long_cb-events_test.json")  # points at the testbed host
    server.enqueue(json_reply(body, status=400))
    with pytest.raises(InvalidNextUrl):
        client.fetch_page(base)


def test_other_400s_are_bad_requests(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    server.enqueue(json_reply({"status": "invalid timeout"}, status=400))
    with pytest.raises(BadRequest, match="invalid timeout"):
        client.fetch_page(base)


@pytest.mark.parametrize(("status", "error"), [(401, AuthError), (403, AuthError), (404, NotFound)])
def test_auth_and_path_errors_fail_fast(
    server: FakeHttpServer, client: EventsClient, base: str, status: int, error: type[Exception]
) -> None:
    server.enqueue(json_reply({"status": "nope"}, status=status))
    with pytest.raises(error) as caught:
        client.fetch_page(base)
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert server.request_count == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_transient_statuses_are_retried_with_backoff(
    server: FakeHttpServer, client: EventsClient, base: str, clock: FakeClock, status: int
) -> None:
    # Given one transient failure, then a good page
    server.enqueue(
        Reply(status=status, body="<html>oops</html>"), json_reply(page_body(base, {"events": []}))
    )
    # When the page is fetched
    page = client.fetch_page(base, deadline=clock.after(60))
    # Then it succeeded on the second attempt after one full-jitter wait (random=1 -> base delay)
    assert isinstance(page, EventsPage)
    assert page.envelopes == []
    assert server.request_count == 2
    assert clock.sleeps == [1.0]


def test_transient_failures_give_up_after_the_attempt_cap(
    server: FakeHttpServer, client: EventsClient, base: str, clock: FakeClock
) -> None:
    server.default = Reply(status=503)
    with pytest.raises(TransientExhausted) as caught:
        client.fetch_page(base)
    assert caught.value.attempts == 3
    assert caught.value.status == 503
    assert server.request_count == 3
    assert clock.sleeps == [1.0, 2.0]  # exponential


def test_retries_stop_at_the_deadline(
    server: FakeHttpServer, client: EventsClient, base: str, clock: FakeClock
) -> None:
    server.default = Reply(status=502)
    with pytest.raises(TransientExhausted, match="no time left"):
        client.fetch_page(base, deadline=clock.after(2.5))
    assert server.request_count == 2  # waited 1 s; the next 2 s wait would pass the deadline
    assert clock.sleeps == [1.0]


def test_a_passed_deadline_sends_nothing(
    server: FakeHttpServer, client: EventsClient, base: str, clock: FakeClock
) -> None:
    with pytest.raises(TransientExhausted, match="deadline"):
        client.fetch_page(base, deadline=clock.after(0))
    assert server.request_count == 0


def test_retry_after_is_honoured(
    server: FakeHttpServer, client: EventsClient, base: str, clock: FakeClock
) -> None:
    server.enqueue(
        Reply(status=429, headers={"Retry-After": "7"}), json_reply(page_body(base, {"events": []}))
    )
    assert isinstance(client.fetch_page(base), EventsPage)
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize("drop", ["mid_body", "reset", "before_reply"])
def test_a_connection_dropped_mid_reply_is_retried(
    server: FakeHttpServer, client: EventsClient, base: str, drop: str
) -> None:
    good = page_body(base, load("events_testbed_2025_cb-events_api_response.json"))
    server.enqueue(Reply(body=good, drop=drop), json_reply(good))
    page = client.fetch_page(base)
    assert isinstance(page, EventsPage)
    assert len(page.envelopes) == 8
    assert server.request_count == 2


def test_a_reply_slower_than_the_read_timeout_is_retried_then_exhausted(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    # read timeout = server timeout (0) + margin (0.2 s); the server takes 2 s
    server.default = Reply(body={"events": [], "nextUrl": base}, delay=SLOW_REPLY_SECONDS)
    with pytest.raises(TransientExhausted) as caught:
        client.fetch_page(base, timeout_seconds=0)
    assert "ReadTimeout" in caught.value.last_failure
    assert server.request_count == 3


def test_a_refused_connection_is_transient(
    http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> None:
    with FakeHttpServer() as gone:
        url = f"{gone.url}/events/owner/{TOKEN}/"
    client = EventsClient(url, http, deps=deps, retry=retry, connect_timeout=0.5)
    with pytest.raises(TransientExhausted, match="ConnectError"):
        client.fetch_page(url)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", {"events": []}, {"nextUrl": "x"}, {"events": {}, "nextUrl": "x"}],
    ids=["malformed", "array", "no-next-url", "no-events", "events-not-list"],
)
def test_unreadable_200_bodies_are_invalid_responses(
    server: FakeHttpServer, client: EventsClient, base: str, body: Any
) -> None:
    server.enqueue(Reply(body=body, headers={"Content-Type": "application/json"}))
    with pytest.raises(InvalidResponse):
        client.fetch_page(base)
    assert server.request_count == 1


def test_a_cloudflare_page_is_blocked_not_an_auth_error(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    server.enqueue(cloudflare_reply(403))
    with pytest.raises(Blocked) as caught:
        client.fetch_page(base)
    assert caught.value.ray_id == "8c1d2e3f4a5b6c7d-AMS"


@pytest.mark.parametrize(("status", "error"), [(418, UnexpectedStatus), (302, InvalidResponse)])
def test_undocumented_statuses_are_errors(
    server: FakeHttpServer, client: EventsClient, base: str, status: int, error: type[Exception]
) -> None:
    server.enqueue(Reply(status=status, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(error):
        client.fetch_page(base)


def test_a_200_whose_next_url_leaves_the_host_is_rejected(
    server: FakeHttpServer, client: EventsClient, base: str
) -> None:
    server.enqueue(json_reply(load("events_mediapurchase_example_chaturbate_poller.json")))
    with pytest.raises(InvalidNextUrl):
        client.fetch_page(base)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://127.0.0.1:{port}/events/owner/t/",  # other scheme
        "http://127.0.0.1:1/events/owner/t/",  # other port
        "http://localhost:{port}/events/owner/t/",  # other host name
        "http://user:pw@127.0.0.1:{port}/events/owner/t/",  # credentials
        "/events/owner/t/",  # relative
        "not a url at all",
    ],
)
def test_next_url_must_keep_scheme_host_and_port(
    server: FakeHttpServer, client: EventsClient, next_url: str
) -> None:
    with pytest.raises(InvalidNextUrl):
        client.validate_next_url(next_url.format(port=server.port))


def test_next_url_on_the_same_origin_is_accepted(
    server: FakeHttpServer, client: EventsClient
) -> None:
    url = f"{server.url}/events/owner/{TOKEN}/?i=5-0&timeout=10"
    assert client.validate_next_url(url) == url


def test_plain_http_is_refused_for_public_hosts(http: httpx.Client) -> None:
    with pytest.raises(InvalidClientConfig, match="loopback"):
        EventsClient(f"http://eventsapi.chaturbate.com/events/owner/{TOKEN}/", http)
    https = EventsClient(f"https://eventsapi.chaturbate.com/events/owner/{TOKEN}/", http)
    with pytest.raises(InvalidNextUrl):
        https.validate_next_url(f"http://eventsapi.chaturbate.com/events/owner/{TOKEN}/")


def test_server_timeout_must_be_within_the_documented_range(
    client: EventsClient, base: str
) -> None:
    for bad in (-1, 91):
        with pytest.raises(ValueError, match="timeout_seconds"):
            client.fetch_page(base, timeout_seconds=bad)


def test_results_never_show_the_token_in_repr(client: EventsClient, base: str) -> None:
    page = EventsPage(envelopes=[], next_url=f"{base}?i=1-0")
    stale = StaleCursor(next_url=base, reason="waited too long")
    assert TOKEN not in repr(page)
    assert TOKEN not in repr(stale)
    assert TOKEN in page.next_url  # the caller still gets the real cursor
