"""What every external API client shares.

- Explicit connect/read timeouts on every request (a dead socket must never hang a poller).
- Retries with exponential backoff and full jitter on 429, 5xx (Cloudflare 520-524 included),
  network errors and read timeouts, bounded by the caller's deadline and an attempt cap.
- An injected clock, sleeper and random source, so tests drive time instead of sleeping.
- Cloudflare challenge detection, JSON decoding, base-URL checks and redacted logging.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx

from mhc.clients.errors import (
    AuthError,
    BadRequest,
    Blocked,
    ClientError,
    InvalidClientConfig,
    InvalidResponse,
    NotFound,
    TransientExhausted,
    UnexpectedStatus,
    ValidationFailed,
)
from mhc.domain.clock import Clock, utc_now
from mhc.observability import logger, redact

if TYPE_CHECKING:
    from mhc.config import Settings

Sleeper = Callable[[float], None]
RandomSource = Callable[[], float]

#: Statuses worth retrying: rate limiting and every server error (Cloudflare 520-524 included).
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, *range(500, 600)})
#: Server errors only, for APIs where 429 means "cool down for minutes", not "retry soon".
SERVER_ERROR_STATUSES: frozenset[int] = frozenset(range(500, 600))

#: For sites behind Cloudflare that serve browsers (profiles, Statbate Plus), not API clients.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

_BODY_SNIPPET = 200
_CLOUDFLARE_MARKERS = (
    "just a moment...",
    "attention required! | cloudflare",
    "cf-chl",
    "challenge-platform",
    "cf_chl_opt",
)


class _RedactHttpxLogs(logging.Filter):
    """httpx logs every request URL at INFO (Events URLs carry the token in their path) and
    httpcore logs response headers at DEBUG (Location, Set-Cookie): redact both at the source.
    A filter only sees records of its own logger, hence one per httpcore module logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_HTTP_LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
for _name in _HTTP_LIBRARY_LOGGERS:
    _httpx_logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactHttpxLogs) for f in _httpx_logger.filters):
        _httpx_logger.addFilter(_RedactHttpxLogs())


@dataclass(frozen=True)
class ClientDeps:
    """Time and randomness as dependencies (tests pass a fake clock whose sleep advances it)."""

    clock: Clock = utc_now
    sleeper: Sleeper = time.sleep
    random: RandomSource = random.random


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds; "no timeout" is not an option."""

    connect: float = 10.0
    read: float = 30.0

    def __post_init__(self) -> None:
        if not (self.connect > 0 and self.read > 0):
            raise ValueError("timeouts must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(
            settings.mhc_http_connect_timeout_seconds, settings.mhc_http_read_timeout_seconds
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait = random() * min(max_delay, base * 2**n)."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    #: A Retry-After longer than this is not waited for: the caller gets TransientExhausted.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rand: RandomSource) -> float:
        return float(rand()) * min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))


def new_http_client(
    *, transport: httpx.BaseTransport | None = None, timeouts: Timeouts | None = None
) -> httpx.Client:
    """An httpx.Client as the clients expect it: no redirects, no proxy env, explicit timeouts."""
    t = timeouts or Timeouts()
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.connect, pool=t.connect),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "mhc-control-panel/0.1"},
    )


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(api: str, url: str) -> httpx.URL:
    """A usable base URL: absolute https (plain http only to loopback), no credentials in it."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidClientConfig(api, f"invalid base URL ({type(exc).__name__})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise InvalidClientConfig(api, "base URL must be an absolute http(s) URL")
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise InvalidClientConfig(api, "plain http is allowed only for loopback hosts")
    if parsed.userinfo:
        raise InvalidClientConfig(api, "base URL must not carry credentials")
    return parsed


def join_url(base: httpx.URL, path: str) -> httpx.URL:
    """`base` + `path` keeping the base path (httpx.URL.join would drop a base path without '/')."""
    return base.copy_with(path=base.path.rstrip("/") + "/" + path.lstrip("/"))


def retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    """The Retry-After header as a duration (seconds or HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)


def is_cloudflare_challenge(response: httpx.Response) -> bool:
    """Cloudflare's challenge or block page (not its 520-524 origin-error pages)."""
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if "html" not in response.headers.get("content-type", "").lower():
        return False
    head = response.text[:20_000].lower()
    return any(marker in head for marker in _CLOUDFLARE_MARKERS)


def blocked(api: str, response: httpx.Response) -> Blocked:
    return Blocked(
        api,
        f"Cloudflare answered HTTP {response.status_code} instead of the API",
        status=response.status_code,
        ray_id=response.headers.get("cf-ray"),
    )


def body_snippet(response: httpx.Response) -> str:
    """The start of a body, redacted, for error messages (never the whole body)."""
    text = response.content[:_BODY_SNIPPET].decode("utf-8", errors="replace")
    return redact(" ".join(text.split()))


def decode_json(api: str, response: httpx.Response) -> Any:
    """The JSON body, or InvalidResponse (Blocked for a Cloudflare page) naming what came back."""
    if is_cloudflare_challenge(response):
        raise blocked(api, response)
    try:
        return response.json()
    except ValueError:
        raise InvalidResponse(
            api,
            f"HTTP {response.status_code} body is not JSON: {body_snippet(response)!r}",
            status=response.status_code,
        ) from None


def json_object(api: str, response: httpx.Response) -> dict[str, Any]:
    body = decode_json(api, response)
    if not isinstance(body, dict):
        raise InvalidResponse(
            api, f"expected a JSON object, got {type(body).__name__}", status=response.status_code
        )
    return body


def error_text(body: Any) -> str:
    """The API's own explanation in an error body (`error`, `detail`, `message` or `status`)."""
    if isinstance(body, Mapping):
        for key in ("error", "detail", "message", "status"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return redact(value[:_BODY_SNIPPET])
    return ""


def optional_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def status_error(
    api: str,
    response: httpx.Response,
    *,
    auth: str = "access refused",
    not_found: str = "not found",
) -> ClientError:
    """The typed error for a status a client gives no meaning of its own (each client handles
    its own first: a stale cursor, a throttle, a gone profile, Statbate's 404 = None).

    A Cloudflare page is `Blocked` whatever its status; 400 `BadRequest` and 422
    `ValidationFailed` carry the API's own reason; 401/403 `AuthError` (`auth` says what was
    refused); 404 `NotFound`; a redirect `InvalidResponse` (clients never follow one);
    anything else `UnexpectedStatus`.
    """
    status = response.status_code
    if is_cloudflare_challenge(response):
        return blocked(api, response)
    if status == 400:
        reason = error_text(optional_json(response))
        return BadRequest(api, f"HTTP 400: {reason or 'bad request'}", status=status)
    if status in (401, 403):
        return AuthError(api, f"HTTP {status}: {auth}", status=status)
    if status == 404:
        return NotFound(api, f"HTTP 404: {not_found}", status=status)
    if status == 422:
        return ValidationFailed(api, error_text(optional_json(response)) or "validation error")
    if 300 <= status < 400:
        return InvalidResponse(api, f"unexpected redirect (HTTP {status})", status=status)
    return UnexpectedStatus(api, f"HTTP {status}", status=status)


class Pacer:
    """Keeps requests at least `interval` seconds apart, across every client that shares it.

    Thread-safe: a caller reserves its slot under the lock, then sleeps outside it.
    """

    def __init__(self, interval_seconds: float, deps: ClientDeps | None = None) -> None:
        if interval_seconds < 0:
            raise ValueError("interval must not be negative")
        self.interval = timedelta(seconds=interval_seconds)
        self._deps = deps or ClientDeps()
        self._lock = threading.Lock()
        self._next: datetime | None = None

    @classmethod
    def per_minute(cls, requests: int, deps: ClientDeps | None = None) -> Pacer:
        if requests < 1:
            raise ValueError("requests per minute must be at least 1")
        return cls(60.0 / requests, deps)

    def wait(self, api: str, deadline: datetime | None = None) -> None:
        """Block until this caller may send; TransientExhausted if that is past `deadline`."""
        with self._lock:
            now = self._deps.clock()
            ready = now if self._next is None else max(now, self._next)
            if deadline is not None and ready >= deadline:
                raise TransientExhausted(
                    api, "deadline reached while pacing", attempts=0, last_failure="pacing"
                )
            self._next = ready + self.interval
        pause = (ready - now).total_seconds()
        if pause > 0:
            self._deps.sleeper(pause)


@dataclass
class ApiHttp:
    """Sends one logical request with timeouts and bounded retries; returns the final response.

    Which statuses count as transient is the caller's choice (`retry_statuses`): for the Stats
    API a 429 means "cool down for minutes", for Statbate it means "retry soon". Status meaning
    beyond that is left to each client.
    """

    api: str
    client: httpx.Client
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    deps: ClientDeps = field(default_factory=ClientDeps)

    @classmethod
    def with_defaults(
        cls,
        api: str,
        client: httpx.Client,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        deps: ClientDeps | None = None,
    ) -> ApiHttp:
        """Each part a client's caller left out (None) at its default."""
        return cls(
            api, client, timeouts or Timeouts(), retry or RetryPolicy(), deps or ClientDeps()
        )

    def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        deadline: datetime | None = None,
        read_timeout: float | None = None,
        retry_statuses: Collection[int] = RETRYABLE_STATUSES,
        max_attempts: int | None = None,
    ) -> httpx.Response:
        attempts_allowed = max_attempts or self.retry.max_attempts
        attempt = 0
        while True:
            attempt += 1
            timeout = self._timeout(read_timeout, deadline, attempt)
            status: int | None = None
            wait_at_least = timedelta(0)
            try:
                response = self.client.request(
                    method, url, params=params, headers=headers, json=json_body, timeout=timeout
                )
            except httpx.UnsupportedProtocol:
                raise InvalidClientConfig(self.api, "unsupported URL scheme") from None
            except httpx.TimeoutException as exc:
                failure = f"{type(exc).__name__} (timeout)"
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {redact(exc)}"
            else:
                if response.status_code not in retry_statuses or is_cloudflare_challenge(response):
                    return response
                status = response.status_code
                failure = f"HTTP {status}"
                hint = retry_after(response, self.deps.clock())
                if hint is not None:
                    if hint.total_seconds() > self.retry.max_retry_after:
                        raise TransientExhausted(
                            self.api,
                            "server asked to retry later than we wait",
                            attempts=attempt,
                            last_failure=failure,
                            status=status,
                            retry_after=hint,
                        )
                    wait_at_least = hint
            self._pause_before_retry(
                attempt, attempts_allowed, failure, status, deadline, wait_at_least
            )

    def _timeout(
        self, read: float | None, deadline: datetime | None, attempt: int
    ) -> httpx.Timeout:
        connect = self.timeouts.connect
        read = read if read is not None else self.timeouts.read
        if deadline is not None:
            remaining = (deadline - self.deps.clock()).total_seconds()
            if remaining <= 0:
                raise TransientExhausted(
                    self.api,
                    "deadline reached before the request",
                    attempts=attempt - 1,
                    last_failure="deadline",
                )
            connect, read = min(connect, remaining), min(read, remaining)
        return httpx.Timeout(connect=connect, read=read, write=connect, pool=connect)

    def _pause_before_retry(
        self,
        attempt: int,
        attempts_allowed: int,
        failure: str,
        status: int | None,
        deadline: datetime | None,
        wait_at_least: timedelta,
    ) -> None:
        if attempt >= attempts_allowed:
            raise TransientExhausted(
                self.api, "giving up", attempts=attempt, last_failure=failure, status=status
            )
        wait = max(self.retry.backoff(attempt, self.deps.random), wait_at_least.total_seconds())
        now = self.deps.clock()
        if deadline is not None and now + timedelta(seconds=wait) >= deadline:
            raise TransientExhausted(
                self.api,
                "no time left to retry",
                attempts=attempt,
                last_failure=failure,
                status=status,
                retry_after=wait_at_least or None,
            )
        logger.warning(
            redact(f"{self.api}: transient failure, retrying"),
            extra={
                "api": self.api,
                "attempt": attempt,
                "failure": redact(failure),
                "wait_seconds": round(wait, 3),
            },
        )
        self.deps.sleeper(wait)
