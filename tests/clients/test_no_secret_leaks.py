"""Every client, every failure: a recognisable token never reaches a log record, `str()`,
`repr()` or a formatted traceback.

Each case runs twice: with the clients registering their secrets with the redactor (as in
production), and with registration disabled, so the redaction patterns alone must hold.
"""

from __future__ import annotations

import json
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
from fakes.statbate_plus import FakePlus, page_html
from mhc.clients import (
    affiliate,
    biocontext,
    chaturbate_events,
    chaturbate_stats,
    statbate,
    statbate_plus,
)
from mhc.clients.affiliate import AffiliateClient
from mhc.clients.biocontext import BiocontextClient
from mhc.clients.chaturbate_events import EventsClient
from mhc.clients.chaturbate_stats import StatsClient
from mhc.clients.http import ClientDeps, Pacer, RetryPolicy, Timeouts
from mhc.clients.statbate import StatbateClient
from mhc.clients.statbate_plus import StatbatePlusClient
from mhc.domain.plus_cookies import SESSION_COOKIE, XSRF_COOKIE, PlusCookies

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


class _Jar:
    """The Plus client's CookieStore, holding the canary as both cookies."""

    def __init__(self, canary: str) -> None:
        self.cookies = PlusCookies({SESSION_COOKIE: canary, XSRF_COOKIE: f"{canary}%3D"})

    def load(self) -> PlusCookies:
        return self.cookies

    def save(self, cookies: PlusCookies) -> None:
        self.cookies = cookies


def _plus(url: str, canary: str, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy) -> Any:
    return StatbatePlusClient(
        http,
        cookies=_Jar(canary),
        base_url=url,
        pacer=Pacer(0, deps),
        deps=deps,
        retry=retry,
        timeouts=FAST,
    )


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
    "statbate_plus": Target(build=_plus, call=lambda c: c.room_chat("someone")),
}

CLIENT_MODULES = (
    affiliate,
    biocontext,
    chaturbate_events,
    chaturbate_stats,
    statbate,
    statbate_plus,
)


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
        for module in CLIENT_MODULES:
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


# -- Statbate Plus: its own ways to fail, with cookies (not tokens) as the secret -----------
def _plus_echo(url: str, canary: str) -> dict[str, str]:
    """A careless Plus echoing the cookies it got, in every form a header can take."""
    return {
        "message": f"Cookie: {SESSION_COOKIE}={canary}; {XSRF_COOKIE}={canary}%3D",
        "exception": f"TokenMismatchException X-XSRF-TOKEN: {canary}=",
        "headers": json.dumps({"cookie": f"remember_web_59ba={canary}", "x-xsrf-token": canary}),
    }


def _set_cookies(canary: str) -> list[tuple[str, str]]:
    """Set-Cookie lines carrying the second canary, including a cookie our patterns do not
    know by name (Laravel's remember-me)."""
    return [
        ("Set-Cookie", f"{SESSION_COOKIE}={canary}; path=/; httponly"),
        ("Set-Cookie", f"{XSRF_COOKIE}={canary}%3D; path=/"),
        ("Set-Cookie", f"remember_web_59ba={canary}; path=/; httponly"),
    ]


PLUS_FAILURES: dict[str, Callable[[str, str], Reply]] = {
    "401": lambda url, c: Reply(status=401, body=_plus_echo(url, c), header_list=_set_cookies(c)),
    "419": lambda url, c: Reply(status=419, body=_plus_echo(url, c), header_list=_set_cookies(c)),
    "302-login": lambda url, c: Reply(
        status=302, headers={"Location": f"{url}/login?session={c}"}, header_list=_set_cookies(c)
    ),
    "login-page": lambda url, c: Reply(
        body=page_html({**FakePlus(origin=url).login_page(), "props": _plus_echo(url, c)}),
        header_list=_set_cookies(c),
    ),
    "409-elsewhere": lambda url, c: Reply(
        status=409,
        headers={"X-Inertia-Location": f"https://evil.example/login?session={c}"},
        header_list=_set_cookies(c),
    ),
    "html-without-page": lambda url, c: Reply(
        body=f"<html><body>{json.dumps(_plus_echo(url, c))}</body></html>",
        header_list=_set_cookies(c),
    ),
    "cloudflare": lambda url, c: Reply(
        status=403,
        body=cloudflare_reply(403).body + f"<!-- Cookie: {SESSION_COOKIE}={c} -->",
        headers=cloudflare_reply(403).headers,
        header_list=_set_cookies(c),
    ),
    "500": lambda url, c: Reply(status=500, body=_plus_echo(url, c), header_list=_set_cookies(c)),
    "not-json": lambda url, c: Reply(
        body=f"Cookie: {SESSION_COOKIE}={c}".encode(),
        headers={"X-Inertia": "true", "Content-Type": "application/json"},
        header_list=_set_cookies(c),
    ),
}


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "patterns-only"])
@pytest.mark.parametrize("failure", sorted(PLUS_FAILURES))
def test_no_plus_failure_leaks_a_cookie(
    failure: str,
    registered: bool,
    http: httpx.Client,
    deps: ClientDeps,
    log_records: list[logging.LogRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a Plus session whose cookies are one canary, and an answer that rotates them to a
    # second canary, then a failure that echoes the rotated ones back
    canary = f"CANARY{uuid.uuid4().hex[:16]}"
    rotated = f"ROTATED{uuid.uuid4().hex[:16]}"
    if not registered:
        monkeypatch.setattr(statbate_plus, "register_secret", lambda value: None)
    retry = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=1.0, max_retry_after=60)
    with FakeHttpServer() as server:
        fake = FakePlus(origin=server.url)
        fake.add_room("someone", [])
        first = Reply(
            body=page_html(fake.chat_page("room", "someone", 1)),
            header_list=_set_cookies(rotated),
        )
        server.enqueue(first)
        server.default = PLUS_FAILURES[failure](server.url, rotated)
        client = _plus(server.url, canary, http, deps, retry)
        # When the client reads the first page, then fails on the next
        client.room_chat("someone")
        try:
            outcome: Any = client.room_chat("someone", page=2)
        except Exception as exc:
            outcome = exc
    # Then neither the cookies it held nor the ones Plus set appear anywhere
    texts = texts_of(outcome) + [t for r in log_records for t in record_texts(r)]
    texts.append(repr(client.__dict__))
    leaks = [t for t in texts if canary in t or rotated in t]
    assert not leaks, leaks
    assert isinstance(outcome, Exception)
    assert server.request_count >= 2
