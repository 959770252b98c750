"""Profile (biocontext) client against a real loopback server."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
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
from mhc.clients.biocontext import (
    BiocontextClient,
    Profile,
    ProfileGone,
    ProfileRestricted,
    parse_last_broadcast,
    sanitize_html,
)
from mhc.clients.errors import (
    Blocked,
    InvalidResponse,
    Throttled,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import ClientDeps, Pacer, RetryPolicy, Timeouts

FIXTURES = load("profile_biocontext_fixtures_anonymized.json")
SAMPLE: dict[str, Any] = {
    k: v for k, v in FIXTURES["chaturbatetv_fixture"].items() if not k.startswith("_")
}
RESTRICTED = load("profile_misc_endpoint_shapes.json")["error_body_shapes"][
    "http_401_region_or_gender_restricted"
]


@pytest.fixture
def pacer(deps: ClientDeps) -> Pacer:
    return Pacer.per_minute(25, deps)


@pytest.fixture
def client(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy, pacer: Pacer
) -> BiocontextClient:
    return BiocontextClient(
        http,
        base_url=server.url,
        pacer=pacer,
        deps=deps,
        retry=retry,
        timeouts=Timeouts(connect=1.0, read=TEST_READ_TIMEOUT),
    )


def test_a_profile_is_typed_sanitized_and_kept_raw(
    server: FakeHttpServer, client: BiocontextClient
) -> None:
    # Given a profile whose HTML carries a script and a javascript: link
    body = copy.deepcopy(SAMPLE)
    body["about_me"] = (
        '<p onclick="x()">hi <a href="javascript:alert(1)">me</a><script>evil()</script></p>'
    )
    body["brand_new_field"] = {"x": 1}
    server.enqueue(json_reply(body))
    # When the profile is fetched
    result = client.fetch_profile("Model_A")
    # Then the typed view is sanitized, the raw payload is untouched
    assert isinstance(result, Profile)
    assert result.raw == body
    assert result.username == "model_a"
    assert result.about_me_html == '<p>hi <a rel="noopener noreferrer nofollow">me</a></p>'
    assert result.wish_list_html == "<p>your love</p>"
    assert result.data.follower_count == 155945
    assert result.data.interested_in == ["Men"]
    assert result.data.photo_sets[0].video_duration_in_seconds == 179
    assert result.data.social_medias[0].target_url == "https://x.com/PLACEHOLDER"
    assert result.data.model_extra is not None
    assert result.data.model_extra["brand_new_field"] == {"x": 1}
    # And last_broadcast (naive, Pacific daylight time in April) is 7 hours behind UTC
    assert result.last_broadcast_at == datetime(2026, 4, 29, 2, 56, 30, 950000, tzinfo=UTC)


def test_the_required_headers_are_sent(server: FakeHttpServer, client: BiocontextClient) -> None:
    server.enqueue(json_reply(SAMPLE))
    client.fetch_profile("model_a")
    request = server.requests[0]
    assert request.path == "/api/biocontext/model_a/"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-requested-with"] == "XMLHttpRequest"
    assert request.headers["referer"] == f"{server.url}/p/model_a/"
    assert request.headers["cookie"] == "agreeterms=1"
    assert request.headers["user-agent"].startswith("Mozilla/5.0")


def test_the_other_fixture_shapes_parse(server: FakeHttpServer, client: BiocontextClient) -> None:
    foot = {k: v for k, v in FIXTURES["foot_queen_fixture"].items() if not k.startswith("_")}
    server.enqueue(json_reply(foot))
    result = client.fetch_profile("model_b")
    assert isinstance(result, Profile)
    assert result.data.social_medias[0].target_url == "https://onlyfans.com/PLACEHOLDER"
    assert result.about_me_html is not None
    assert 'rel="noopener noreferrer nofollow"' in result.about_me_html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-15T10:00:00", datetime(2026, 1, 15, 18, 0, tzinfo=UTC)),  # PST, UTC-8
        ("2026-09-01T17:20:31", datetime(2026, 9, 2, 0, 20, 31, tzinfo=UTC)),  # PDT, UTC-7
        ("2026-09-01T18:00:00+00:00", datetime(2026, 9, 1, 18, 0, tzinfo=UTC)),  # zoned: as is
        (-1, None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_last_broadcast_is_read_as_pacific_time(value: Any, expected: datetime | None) -> None:
    assert parse_last_broadcast(value) == expected


def test_sanitizer_keeps_formatting_and_https_links() -> None:
    html = '<b>Hi</b><br><a href="https://x.com/a" style="x">x</a><img src=x onerror=y><iframe>'
    assert sanitize_html(html) == (
        '<b>Hi</b><br><a href="https://x.com/a" rel="noopener noreferrer nofollow">x</a>'
    )


def test_404_means_gone(server: FakeHttpServer, client: BiocontextClient) -> None:
    server.enqueue(json_reply({"detail": "Not found"}, status=404))
    assert client.fetch_profile("gone_user") == ProfileGone("gone_user")


def test_401_means_restricted_with_code_and_detail(
    server: FakeHttpServer, client: BiocontextClient
) -> None:
    server.enqueue(json_reply(RESTRICTED, status=401))
    assert client.fetch_profile("far_away") == ProfileRestricted(
        "far_away", code="access-denied", detail=RESTRICTED["detail"]
    )


@pytest.mark.parametrize(
    "reply",
    [
        cloudflare_reply(403),
        cloudflare_reply(503),
        Reply(status=403, body=b"", headers={"cf-ray": "abc-LHR"}),
        Reply(status=200, body="<html><title>Just a moment...</title></html>"),
    ],
    ids=["challenge-403", "challenge-503", "403-cf-ray", "200-html-challenge"],
)
def test_cloudflare_means_blocked(
    server: FakeHttpServer, client: BiocontextClient, reply: Reply
) -> None:
    server.enqueue(reply)
    with pytest.raises(Blocked):
        client.fetch_profile("someone")
    assert server.request_count == 1


def test_429_is_throttled_with_the_server_cool_down(
    server: FakeHttpServer, client: BiocontextClient
) -> None:
    server.enqueue(Reply(status=429, headers={"Retry-After": "90"}))
    with pytest.raises(Throttled) as caught:
        client.fetch_profile("someone")
    assert caught.value.cool_down == timedelta(seconds=90)
    assert server.request_count == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_server_errors_are_retried(
    server: FakeHttpServer, client: BiocontextClient, status: int
) -> None:
    server.enqueue(Reply(status=status), json_reply(SAMPLE))
    assert isinstance(client.fetch_profile("someone"), Profile)


@pytest.mark.parametrize(
    "reply",
    [Reply(body=SAMPLE, delay=SLOW_REPLY_SECONDS), Reply(body=SAMPLE, drop="reset")],
    ids=["slow", "reset"],
)
def test_network_failures_exhaust(
    server: FakeHttpServer, client: BiocontextClient, reply: Reply
) -> None:
    server.default = reply
    with pytest.raises(TransientExhausted):
        client.fetch_profile("someone")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(body=b"{bad", headers={"Content-Type": "application/json"}), InvalidResponse),
        (Reply(body=b"[]", headers={"Content-Type": "application/json"}), InvalidResponse),
        (Reply(status=410), UnexpectedStatus),
    ],
)
def test_odd_answers(
    server: FakeHttpServer, client: BiocontextClient, reply: Reply, error: type[Exception]
) -> None:
    server.enqueue(reply)
    with pytest.raises(error):
        client.fetch_profile("someone")


def test_requests_are_paced_to_the_rate_limit(
    server: FakeHttpServer, client: BiocontextClient, clock: FakeClock
) -> None:
    server.default = json_reply(SAMPLE)
    for name in ("a_1", "a_2", "a_3"):
        client.fetch_profile(name)
    assert clock.sleeps == [2.4, 2.4]  # 25 per minute


def test_a_pacer_is_shared_between_clients(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, clock: FakeClock, pacer: Pacer
) -> None:
    server.default = json_reply(SAMPLE)
    one = BiocontextClient(http, base_url=server.url, pacer=pacer, deps=deps)
    two = BiocontextClient(http, base_url=server.url, pacer=pacer, deps=deps)
    one.fetch_profile("a_1")
    two.fetch_profile("a_2")
    assert clock.sleeps == [2.4]


def test_online_endpoint(server: FakeHttpServer, client: BiocontextClient) -> None:
    server.enqueue(json_reply({"online": False}), json_reply({"online": "yes"}))
    assert client.is_online("someone") is False
    assert server.requests[0].path == "/api/online/someone/"
    with pytest.raises(InvalidResponse):
        client.is_online("someone")


def test_a_batch_stops_after_three_throttles_in_a_row(
    server: FakeHttpServer, client: BiocontextClient
) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.path == "/api/biocontext/ok_1/":
            return json_reply(SAMPLE)
        if request.path == "/api/biocontext/gone_1/":
            return json_reply({}, status=404)
        return Reply(status=429, headers={"Retry-After": "5"})

    server.handler = handle
    names = ["ok_1", "gone_1", "t_1", "t_2", "t_3", "never_asked"]
    batch = client.fetch_batch(names)
    assert set(batch.results) == {"ok_1", "gone_1"}
    assert batch.not_done == ["t_1", "t_2", "t_3", "never_asked"]
    assert batch.stopped_because == "throttled"
    assert server.request_count == 5


def test_a_batch_stops_when_blocked_and_skips_bad_names(
    server: FakeHttpServer, client: BiocontextClient
) -> None:
    server.enqueue(json_reply(SAMPLE), cloudflare_reply(403))
    batch = client.fetch_batch(["ok_1", "bad name!", "blocked_1", "later_1"])
    assert list(batch.results) == ["ok_1"]
    assert batch.not_done == ["bad name!", "blocked_1", "later_1"]
    assert batch.stopped_because == "blocked"


def test_a_batch_stops_at_the_deadline(
    server: FakeHttpServer, client: BiocontextClient, clock: FakeClock
) -> None:
    server.default = json_reply(SAMPLE)
    batch = client.fetch_batch(["a_1", "a_2", "a_3"], deadline=clock.after(3))
    assert list(batch.results) == ["a_1", "a_2"]  # the third slot would start at 4.8 s
    assert batch.not_done == ["a_3"]
    assert batch.stopped_because == "transient"
