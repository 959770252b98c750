"""Every client, every failure: a recognisable token never reaches a log record, `str()`,
`repr()` or a formatted traceback.

Each case runs twice: with the clients registering their secrets with the redactor (as in
production), and with registration disabled, so the redaction patterns alone must hold.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fakes.http import (
    SLOW_REPLY_SECONDS,
    TEST_READ_TIMEOUT,
    FakeHttpServer,
    Reply,
    cloudflare_reply,
    json_reply,
)
from mhc.clients import affiliate, biocontext, chaturbate_events, chaturbate_stats, statbate
from mhc.clients.affiliate import AffiliateClient
from mhc.clients.biocontext import BiocontextClient
from mhc.clients.chaturbate_events import EventsClient
from mhc.clients.chaturbate_stats import StatsClient
from mhc.clients.http import ClientDeps, Pacer, RetryPolicy, Timeouts
from mhc.clients.statbate import StatbateClient

FAST = Timeouts(connect=0.5, read=TEST_READ_TIMEOUT)


@dataclass(frozen=True)
class Target:
    build: Callable[[str, str, httpx.Client, ClientDeps, RetryPolicy], Any]
    call: Callable[[Any], Any]


def _events(url: str, canary: str, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy) -> Any:
    client = EventsClient(
        f"{url}/events/owner/{canary}/",
        http,
        deps=deps,
        retry=retry,
        read_margin_seconds=TEST_READ_TIMEOUT,
    )
    return client


TARGETS: dict[str, Target] = {
    "events": Target(
        build=_events,
        call=lambda c: c.fetch_page(c.base_url, timeout_seconds=0),
    ),
    "stats": Target(
        build=lambda url, canary, http, deps, retry: StatsClient(
            http,
            username="owner",
            token=canary,
            base_url=f"{url}/statsapi/",
            deps=deps,
            retry=retry,
            timeouts=FAST,
        ),
        call=lambda c: c.fetch(),
    ),
    "affiliate": Target(
        build=lambda url, canary, http, deps, retry: AffiliateClient(
            http,
            campaign="WM",
            base_url=f"{url}/onlinerooms/",
            deps=deps,
            retry=retry,
            timeouts=FAST,
        ),
        call=lambda c: c.fetch_feed(),
    ),
    "profiles": Target(
        build=lambda url, canary, http, deps, retry: BiocontextClient(
            http, base_url=url, pacer=Pacer(0, deps), deps=deps, retry=retry, timeouts=FAST
        ),
        call=lambda c: c.fetch_profile("someone"),
    ),
    "statbate": Target(
        build=lambda url, canary, http, deps, retry: StatbateClient(
            http,
            token=f"77|{canary}",
            base_url=f"{url}/api",
            deps=deps,
            retry=retry,
            timeouts=FAST,
        ),
        call=lambda c: c.members_info_batch(["a", "b"]),
    ),
}


def echo(url: str, canary: str) -> dict[str, str]:
    """An error body that quotes our secrets back at us, as a careless server might."""
    return {
        "status": f"You waited too long, token={canary}",
        "error": f"bad token={canary}",
        "detail": f"Authorization: Bearer 77|{canary}",
        "message": f"{url}/events/owner/{canary}/?timeout=10",
        "nextUrl": f"https://evil.example/events/owner/{canary}/",
    }


FAILURES: dict[str, Callable[[str, str], Reply | None]] = {
    "400": lambda url, canary: json_reply(echo(url, canary), status=400),
    "401": lambda url, canary: json_reply(echo(url, canary), status=401),
    "403": lambda url, canary: json_reply(echo(url, canary), status=403),
    "404": lambda url, canary: json_reply(echo(url, canary), status=404),
    "418": lambda url, canary: json_reply(echo(url, canary), status=418),
    "422": lambda url, canary: json_reply(echo(url, canary), status=422),
    "429": lambda url, canary: json_reply(echo(url, canary), status=429),
    "429-retry-after-long": lambda url, canary: Reply(status=429, headers={"Retry-After": "9999"}),
    "500": lambda url, canary: json_reply(echo(url, canary), status=500),
    "503": lambda url, canary: json_reply(echo(url, canary), status=503),
    "520": lambda url, canary: Reply(status=520, body=f"<html>token={canary}</html>"),
    "524": lambda url, canary: Reply(status=524, body=f"<html>Bearer {canary}</html>"),
    "302": lambda url, canary: Reply(
        status=302, headers={"Location": f"{url}/events/owner/{canary}/"}
    ),
    "cloudflare": lambda url, canary: cloudflare_reply(403),
    "malformed-json": lambda url, canary: Reply(
        body=f'{{"nextUrl": "{url}/events/owner/{canary}/", token={canary} Bearer {canary}'.encode(),
        headers={"Content-Type": "application/json"},
    ),
    "wrong-shape": lambda url, canary: json_reply(echo(url, canary)),
    "slow": lambda url, canary: Reply(body=echo(url, canary), delay=SLOW_REPLY_SECONDS),
    "reset-mid-body": lambda url, canary: Reply(body=echo(url, canary), drop="reset"),
    "dropped-mid-body": lambda url, canary: Reply(body=echo(url, canary), drop="mid_body"),
    "no-reply": lambda url, canary: Reply(drop="before_reply"),
    "connection-refused": lambda url, canary: None,
}


def texts_of(outcome: Any) -> list[str]:
    if isinstance(outcome, BaseException):
        return [
            str(outcome),
            repr(outcome),
            repr(outcome.args),
            repr(vars(outcome)),
            "".join(traceback.format_exception(outcome)),
        ]
    return [repr(outcome)]


def record_texts(record: logging.LogRecord) -> list[str]:
    plain = logging.Formatter("%(message)s %(exc_text)s")
    return [record.getMessage(), repr(record.__dict__), plain.format(record)]


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "patterns-only"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("api", sorted(TARGETS))
def test_no_failure_leaks_the_token(
    api: str,
    failure: str,
    registered: bool,
    http: httpx.Client,
    deps: ClientDeps,
    log_records: list[logging.LogRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a client holding a fresh recognisable token, and a server failing in one way
    canary = f"CANARY{uuid.uuid4().hex[:16]}"
    if not registered:
        for module in (affiliate, biocontext, chaturbate_events, chaturbate_stats, statbate):
            monkeypatch.setattr(module, "register_secret", lambda value: None, raising=False)
    retry = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=1.0, max_retry_after=60)
    with FakeHttpServer() as server:
        reply = FAILURES[failure](server.url, canary)
        target = TARGETS[api]
        if reply is None:
            server.close()  # nothing listens on that port any more
        else:
            server.default = reply
        client = target.build(server.url, canary, http, deps, retry)
        # When the client is called
        try:
            outcome: Any = target.call(client)
        except Exception as exc:
            outcome = exc
    # Then the token appears nowhere the outside world could see
    texts = texts_of(outcome) + [t for r in log_records for t in record_texts(r)]
    leaks = [t for t in texts if canary in t]
    assert not leaks, leaks
    # And the request really reached the failing server
    assert server.request_count >= 1 or failure == "connection-refused"
