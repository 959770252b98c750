"""The shared HTTP layer: backoff, Retry-After, pacing, base URLs, lenient parsing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, Reply
from mhc.clients.errors import InvalidClientConfig, Throttled, TransientExhausted
from mhc.clients.http import (
    ApiHttp,
    ClientDeps,
    Pacer,
    RetryPolicy,
    check_base_url,
    is_cloudflare_challenge,
    retry_after,
)
from mhc.domain.lenient import LenientModel, parse_lenient
from mhc.observability import REDACTED
from pydantic import Field


def test_full_jitter_scales_the_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert [policy.backoff(n, lambda: 0.5) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert policy.backoff(3, lambda: 0.0) == 0.0


def test_retry_after_accepts_seconds_and_http_dates(clock: FakeClock) -> None:
    def response(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(response("120"), clock()) == timedelta(seconds=120)
    assert retry_after(response("Thu, 01 Jan 2026 12:00:30 GMT"), clock()) == timedelta(seconds=30)
    assert retry_after(response("soon"), clock()) is None
    assert retry_after(httpx.Response(429), clock()) is None


def test_a_retry_after_beyond_what_we_wait_gives_up_at_once(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, clock: FakeClock
) -> None:
    server.default = Reply(status=503, headers={"Retry-After": "3600"})
    api = ApiHttp("test", http, retry=RetryPolicy(max_retry_after=60), deps=deps)
    with pytest.raises(TransientExhausted) as caught:
        api.request("GET", server.url)
    assert caught.value.retry_after == timedelta(hours=1)
    assert server.request_count == 1
    assert clock.sleeps == []


def test_cloudflare_origin_errors_are_not_challenges() -> None:
    page = httpx.Response(
        522,
        headers={"cf-ray": "x", "content-type": "text/html"},
        text="<h1>Connection timed out</h1>",
    )
    assert not is_cloudflare_challenge(page)
    challenge = httpx.Response(
        403, headers={"content-type": "text/html"}, text="<title>Just a moment...</title>"
    )
    assert is_cloudflare_challenge(challenge)


def test_pacer_spaces_requests_and_respects_the_deadline(clock: FakeClock) -> None:
    pacer = Pacer.per_minute(30, ClientDeps(clock=clock, sleeper=clock.sleep))
    pacer.wait("t")
    pacer.wait("t")
    clock.advance(10)
    pacer.wait("t")  # long after the previous slot: no wait
    assert clock.sleeps == [2.0]
    pacer.wait("t", deadline=clock.after(5))
    with pytest.raises(TransientExhausted, match="pacing"):
        pacer.wait("t", deadline=clock.after(1))


@pytest.mark.parametrize(
    "url",
    ["http://example.com/api", "ftp://127.0.0.1/", "https://user:pw@example.com/", "not a url", ""],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidClientConfig):
        check_base_url("test", url)


@pytest.mark.parametrize(
    "url",
    ["https://example.com/api", "http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/"],
)
def test_safe_base_urls_are_accepted(url: str) -> None:
    assert check_base_url("test", url).host


def test_error_text_is_redacted_in_str_repr_and_args() -> None:
    error = Throttled("stats", "GET /?token=abc123secret", cool_down=timedelta(minutes=5))
    for text in (str(error), repr(error), repr(error.args)):
        assert "abc123secret" not in text
        assert REDACTED in text


class _Thing(LenientModel):
    name: str
    count: int | None = None
    tags: list[str] = Field(default_factory=list)


def test_lenient_parsing_drops_only_what_does_not_fit() -> None:
    thing, problems = parse_lenient(
        _Thing, {"name": "a", "count": "many", "tags": ["x", 3], "z": 1}
    )
    assert thing is not None
    assert (thing.count, thing.tags, thing.model_extra) == (None, ["x"], {"z": 1})
    assert problems == ("count: int_parsing", "tags.1: string_type")
    assert parse_lenient(_Thing, {"count": 1}) == (None, ("name: missing",))
    assert parse_lenient(_Thing, [1]) == (None, ("expected an object, got list",))  # type: ignore[arg-type]
