"""Affiliate online-rooms feed against a real loopback server."""

from __future__ import annotations

import copy
from typing import Any

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
    json_reply,
)
from fakes.samples import load
from mhc.clients.affiliate import PAGE_SIZE, AffiliateClient
from mhc.clients.errors import (
    AuthError,
    BadRequest,
    Blocked,
    InvalidResponse,
    NotFound,
    TransientExhausted,
)
from mhc.clients.http import ClientDeps, RetryPolicy, Timeouts

SAMPLE_ROOM: dict[str, Any] = load("affiliate_onlinerooms_shape_synthesized.json")["results"][0]


def room(name: str, **extra: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE_ROOM)
    data.update(username=name, slug=name, **extra)
    return data


@pytest.fixture
def client(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> AffiliateClient:
    return AffiliateClient(
        http,
        campaign="WMCODE",
        base_url=f"{server.url}/api/public/affiliates/onlinerooms/",
        page_delay_seconds=0.5,
        deps=deps,
        retry=retry,
        timeouts=Timeouts(connect=1.0, read=TEST_READ_TIMEOUT),
    )


def feed_handler(total: int) -> Any:
    """Serve `total` rooms, sliced by the request's offset and limit."""

    def handle(request: RecordedRequest) -> Reply:
        offset, limit = int(request.param("offset") or 0), int(request.param("limit") or 0)
        names = [f"room_{i:05d}" for i in range(total)][offset : offset + limit]
        return json_reply({"count": total, "results": [room(n) for n in names]})

    return handle


def test_the_whole_feed_is_paged_once_and_paced(
    server: FakeHttpServer, client: AffiliateClient, clock: FakeClock
) -> None:
    # Given a feed of 1,234 rooms
    server.handler = feed_handler(1234)
    # When the feed is fetched with filters
    feed = client.fetch_feed(gender=["m", "f"], region=["europe_russia"], tags=["feet"], hd=True)
    # Then three pages of 500 were read, 0.5 s apart, and every room arrived once
    assert feed.pages == 3
    assert len(feed.rooms) == 1234
    assert feed.reported_count == 1234
    assert feed.is_complete()
    assert clock.sleeps == [0.5, 0.5]
    assert [r.param("offset") for r in server.requests] == ["0", "500", "1000"]
    first = server.requests[0]
    assert first.query["gender"] == ["m", "f"]
    assert first.param("region") == "europe_russia"
    assert first.param("tag") == "feet"
    assert first.param("hd") == "true"
    assert first.param("limit") == str(PAGE_SIZE)
    assert first.param("wm") == "WMCODE"
    assert first.param("client_ip") == "request_ip"
    assert first.param("format") == "json"


def test_rooms_are_typed_and_keep_unknown_fields(
    server: FakeHttpServer, client: AffiliateClient
) -> None:
    sample = load("chaturbate_affiliate_onlinerooms_sample.json")["response"]
    extra = room("new_fields", current_show="hidden", brand_new={"a": 1}, num_users="many")
    server.enqueue(json_reply({"count": 2, "results": [sample["results"][0], extra]}))
    rooms = list(client.iter_rooms())
    assert [r.username for r in rooms] == ["example_model", "new_fields"]
    assert rooms[0].age == 24
    assert rooms[0].tags == ["feet", "weights", "muscles"]
    assert rooms[1].current_show == "hidden"
    assert rooms[1].num_users is None  # wrong shape dropped from the typed view...
    assert rooms[1].model_extra == {
        "chat_room_url_revshare": SAMPLE_ROOM["chat_room_url_revshare"],
        "iframe_embed": SAMPLE_ROOM["iframe_embed"],
        "iframe_embed_revshare": SAMPLE_ROOM["iframe_embed_revshare"],
        "brand_new": {"a": 1},
    }


def test_raw_pages_keep_everything(server: FakeHttpServer, client: AffiliateClient) -> None:
    body = {"count": 2, "results": [room("a"), {"no_username": True}], "extra": 1}
    server.enqueue(json_reply(body))
    page = client.fetch_page(0)
    assert page.raw == body  # ...but the raw page keeps it
    assert page.rejected == [{"no_username": True}]


def test_a_shifting_feed_is_deduplicated_and_its_shortfall_reported(
    server: FakeHttpServer, client: AffiliateClient
) -> None:
    # Given a feed that reports 1,000 rooms but repeats 10 across the page boundary
    first = [room(f"r{i}") for i in range(500)]
    second = [room(f"r{i}") for i in range(490, 990)]
    server.enqueue(json_reply({"count": 1000, "results": first}))
    server.enqueue(json_reply({"count": 1000, "results": second}))
    feed = client.fetch_feed()
    assert feed.duplicates == 10
    assert len(feed.rooms) == 990
    assert feed.missing == 10
    assert feed.is_complete(tolerance=0.01)
    assert not feed.is_complete(tolerance=0.005)


@pytest.mark.parametrize(
    ("status", "error"), [(400, BadRequest), (401, AuthError), (403, AuthError), (404, NotFound)]
)
def test_client_errors(
    server: FakeHttpServer, client: AffiliateClient, status: int, error: type[Exception]
) -> None:
    server.enqueue(json_reply({"detail": "no"}, status=status))
    with pytest.raises(error):
        client.fetch_feed()
    assert server.request_count == 1


@pytest.mark.parametrize("status", [429, 500, 503, 520, 524])
def test_transient_errors_are_retried_mid_feed(
    server: FakeHttpServer, client: AffiliateClient, clock: FakeClock, status: int
) -> None:
    server.enqueue(json_reply({"count": 600, "results": [room(f"a{i}") for i in range(500)]}))
    server.enqueue(Reply(status=status))
    server.enqueue(json_reply({"count": 600, "results": [room(f"b{i}") for i in range(100)]}))
    feed = client.fetch_feed()
    assert len(feed.rooms) == 600
    assert clock.sleeps == [0.5, 1.0]  # page pacing, then one backoff


@pytest.mark.parametrize(
    "reply",
    [Reply(body={"count": 1}, delay=SLOW_REPLY_SECONDS), Reply(body={"count": 1}, drop="mid_body")],
    ids=["slow", "dropped"],
)
def test_network_failures_exhaust(
    server: FakeHttpServer, client: AffiliateClient, reply: Reply
) -> None:
    server.default = reply
    with pytest.raises(TransientExhausted):
        client.fetch_feed()


@pytest.mark.parametrize(
    "body",
    [b"<html>", b"[]", {"results": []}, {"count": "3", "results": []}, {"count": 3}],
)
def test_unreadable_pages(server: FakeHttpServer, client: AffiliateClient, body: Any) -> None:
    server.enqueue(Reply(body=body, headers={"Content-Type": "application/json"}))
    with pytest.raises(InvalidResponse):
        client.fetch_feed()


def test_cloudflare_page_is_blocked(server: FakeHttpServer, client: AffiliateClient) -> None:
    server.enqueue(cloudflare_reply(503))
    with pytest.raises(Blocked):
        client.fetch_feed()
    assert server.request_count == 1  # a challenge is not retried even on 503


@pytest.mark.parametrize(
    "filters",
    [{"gender": ["x"]}, {"region": ["mars"]}, {"tags": ["a", "b", "c", "d", "e", "f"]}],
)
def test_bad_filters_are_refused_before_any_request(
    server: FakeHttpServer, client: AffiliateClient, filters: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"gender|region|tags"):
        client.fetch_feed(**filters)
    assert server.request_count == 0
