"""Stats API client against a real loopback server."""

from __future__ import annotations

from datetime import timedelta
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
from mhc.clients.chaturbate_stats import StatsClient
from mhc.clients.errors import (
    AuthError,
    Blocked,
    InvalidResponse,
    NotFound,
    Throttled,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import ClientDeps, RetryPolicy, Timeouts
from mhc.config import load_settings

TOKEN = "statsTOKEN0987654321"


@pytest.fixture
def client(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> StatsClient:
    return StatsClient(
        http,
        username="Owner_1",
        token=TOKEN,
        base_url=f"{server.url}/statsapi/",
        deps=deps,
        retry=retry,
        timeouts=Timeouts(connect=1.0, read=TEST_READ_TIMEOUT),
    )


def test_sample_is_normalized_and_raw_kept(
    server: FakeHttpServer, client: StatsClient, clock: FakeClock
) -> None:
    # Given the offline sample with an undocumented extra key and null tips_in_last_hour
    sample = load("stats_api_room_sample_chaturbate-mcp_tests.json")
    server.enqueue(json_reply(sample))
    # When the stats are fetched
    stats = client.fetch()
    # Then -1 sentinels became null, time_online was renamed, and raw is untouched
    assert stats.raw == sample
    assert stats.metrics["last_broadcast"] is None
    assert stats.metrics["time_online_minutes"] is None
    assert stats.metrics["tips_in_last_hour"] is None
    assert stats.metrics["satisfaction_score"] == 100
    assert "num_ad_anon_viewers" not in stats.metrics
    assert "time_online" not in stats.metrics
    assert stats.fetched_at == clock()
    # And the request named the user (case-folded) and carried the token
    request = server.requests[0]
    assert request.path == "/statsapi/"
    assert request.param("username") == "owner_1"
    assert request.param("token") == TOKEN


def test_online_sample_keeps_numbers(server: FakeHttpServer, client: StatsClient) -> None:
    sample = load("chaturbate_stats_api_sample.json")["response_online"]
    server.enqueue(json_reply(sample))
    metrics = client.fetch().metrics
    assert metrics["time_online_minutes"] == 120
    assert metrics["last_broadcast"] == "2026-01-10T23:15:00"
    assert metrics["tips_in_last_hour"] == 10
    assert metrics["num_tokened_viewers"] is None  # absent -> null, never invented


def test_unknown_value_shapes_become_null_not_errors(
    server: FakeHttpServer, client: StatsClient
) -> None:
    body = {"token_balance": "lots", "votes_up": True, "time_online": 5, "brand_new": {"x": 1}}
    server.enqueue(json_reply(body))
    stats = client.fetch()
    assert stats.metrics["token_balance"] is None
    assert stats.metrics["votes_up"] is None
    assert stats.metrics["time_online_minutes"] == 5
    assert stats.raw == body


@pytest.mark.parametrize("status", [403, 429])
def test_throttling_is_not_retried_and_asks_for_at_least_five_minutes(
    server: FakeHttpServer, client: StatsClient, status: int
) -> None:
    server.enqueue(Reply(status=status, headers={"Retry-After": "60"}))
    with pytest.raises(Throttled) as caught:
        client.fetch()
    assert caught.value.cool_down == timedelta(minutes=5)
    assert server.request_count == 1


def test_a_longer_retry_after_extends_the_cool_down(
    server: FakeHttpServer, client: StatsClient
) -> None:
    server.enqueue(Reply(status=429, headers={"Retry-After": "1020"}))
    with pytest.raises(Throttled) as caught:
        client.fetch()
    assert caught.value.cool_down == timedelta(minutes=17)


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthError), (404, NotFound), (418, UnexpectedStatus)]
)
def test_other_statuses(
    server: FakeHttpServer, client: StatsClient, status: int, error: type[Exception]
) -> None:
    server.enqueue(json_reply({"detail": "x"}, status=status))
    with pytest.raises(error):
        client.fetch()
    assert server.request_count == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_server_errors_are_retried(
    server: FakeHttpServer, client: StatsClient, clock: FakeClock, status: int
) -> None:
    server.enqueue(Reply(status=status), json_reply({"token_balance": 3}))
    assert client.fetch().metrics["token_balance"] == 3
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body={"a": 1}, delay=SLOW_REPLY_SECONDS),
        Reply(body={"a": 1}, drop="reset"),
        Reply(status=503),
    ],
    ids=["slow", "reset", "503"],
)
def test_transient_failures_end_in_transient_exhausted(
    server: FakeHttpServer, client: StatsClient, reply: Reply
) -> None:
    server.default = reply
    with pytest.raises(TransientExhausted):
        client.fetch()
    assert server.request_count == 3


@pytest.mark.parametrize("body", [b"{oops", b'"just a string"'])
def test_unreadable_bodies(server: FakeHttpServer, client: StatsClient, body: Any) -> None:
    server.enqueue(Reply(body=body, headers={"Content-Type": "application/json"}))
    with pytest.raises(InvalidResponse):
        client.fetch()


def test_cloudflare_page_is_blocked(server: FakeHttpServer, client: StatsClient) -> None:
    server.enqueue(cloudflare_reply(403))
    with pytest.raises(Blocked):
        client.fetch()


def test_built_from_settings(server: FakeHttpServer, http: httpx.Client) -> None:
    settings = load_settings(
        mhc_owner_username="owner",
        mhc_stats_token=TOKEN,
        mhc_stats_api_url=f"{server.url}/custom/",
    )
    server.enqueue(json_reply({"token_balance": 1}))
    StatsClient.from_settings(settings, http).fetch()
    assert server.requests[0].path == "/custom/"
