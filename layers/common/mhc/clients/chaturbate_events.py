"""Chaturbate Events API: fetch one long-poll page.

The token sits in the URL path (and in every `nextUrl`), so URLs are secrets: they are
registered with the redactor, never logged raw, and a `nextUrl` that would send the token to
another scheme, host or port is rejected. Delivery is at-least-once; callers dedupe on event id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from mhc.clients.errors import (
    InvalidNextUrl,
    InvalidResponse,
)
from mhc.clients.http import (
    ApiHttp,
    ClientDeps,
    RetryPolicy,
    Timeouts,
    check_base_url,
    error_text,
    is_cloudflare_challenge,
    is_loopback_host,
    json_object,
    optional_json,
    status_error,
)
from mhc.domain.events import EventMethod, event_time
from mhc.observability import redact, register_secret

if TYPE_CHECKING:
    from mhc.config import Settings

__all__ = [
    "EventMethod",
    "EventsClient",
    "EventsPage",
    "StaleCursor",
    "event_time",
]

API = "events"
MAX_SERVER_TIMEOUT = 90
_STALE_MARKER = "waited too long"


@dataclass(frozen=True)
class EventsPage:
    """One 200 answer: the envelopes exactly as sent, in feed order (possibly none, some
    unreadable: ingest keeps those too), and the cursor to request next."""

    envelopes: list[Any]
    next_url: str
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return redact(f"EventsPage(envelopes={len(self.envelopes)}, next_url={self.next_url!r})")


@dataclass(frozen=True)
class StaleCursor:
    """HTTP 400 "waited too long": continue from `next_url` (None: restart from the base URL)
    and record a gap, since events in between may be lost."""

    next_url: str | None
    reason: str

    def __repr__(self) -> str:
        return redact(f"StaleCursor(next_url={self.next_url!r}, reason={self.reason!r})")


class EventsClient:
    """Long-polls one Events API feed (exactly one poller per token)."""

    def __init__(
        self,
        events_url: str,
        client: httpx.Client,
        *,
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 10.0,
        read_margin_seconds: float = 15.0,
    ) -> None:
        register_secret(events_url)
        self._register_path_token(events_url)
        self._base = check_base_url(API, events_url)
        self._read_margin = read_margin_seconds
        self._http = ApiHttp.with_defaults(
            API,
            client,
            timeouts=Timeouts(connect=connect_timeout, read=connect_timeout + read_margin_seconds),
            retry=retry,
            deps=deps,
        )

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.Client, **kwargs: Any) -> EventsClient:
        return cls(settings.require_secret("MHC_EVENTS_URL"), client, **kwargs)

    @staticmethod
    def _register_path_token(url: str) -> None:
        parts = [p for p in httpx.URL(url).path.split("/") if p]
        if len(parts) >= 3 and parts[0] == "events":
            register_secret(parts[2])

    @property
    def base_url(self) -> str:
        """The configured feed URL: where polling starts (and restarts after a stale cursor)."""
        return str(self._base)

    def validate_next_url(self, url: str) -> str:
        """`url` when it keeps the configured scheme, host and port; else InvalidNextUrl."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise InvalidNextUrl(API, "nextUrl is not a URL") from None
        same_origin = (
            parsed.scheme == self._base.scheme
            and parsed.host.lower() == self._base.host.lower()
            and parsed.port == self._base.port
        )
        if not same_origin:
            raise InvalidNextUrl(API, "nextUrl leaves the configured scheme/host/port")
        if parsed.scheme != "https" and not (
            parsed.scheme == "http" and is_loopback_host(parsed.host)
        ):
            raise InvalidNextUrl(API, "nextUrl must use https (http only for loopback hosts)")
        if parsed.userinfo:
            raise InvalidNextUrl(API, "nextUrl must not carry credentials")
        register_secret(url)
        return url

    def fetch_page(
        self, url: str, *, timeout_seconds: int = 10, deadline: datetime | None = None
    ) -> EventsPage | StaleCursor:
        """Request `url` (the base URL or a `nextUrl`) with the server holding it `timeout_seconds`.

        Transient failures are retried until `deadline`; everything else raises a typed error.
        """
        if not 0 <= timeout_seconds <= MAX_SERVER_TIMEOUT:
            raise ValueError(f"timeout_seconds must be within 0..{MAX_SERVER_TIMEOUT}")
        target = httpx.URL(self.validate_next_url(url)).copy_set_param(
            "timeout", str(timeout_seconds)
        )
        response = self._http.request(
            "GET",
            target,
            headers={"Accept": "application/json"},
            deadline=deadline,
            read_timeout=timeout_seconds + self._read_margin,
        )
        status = response.status_code
        if status == 200:
            return self._page(json_object(API, response))
        if status == 400 and not is_cloudflare_challenge(response):
            body = optional_json(response)
            reason = error_text(body)
            if _STALE_MARKER in reason.lower() and isinstance(body, dict):
                return self._stale(body, reason)
        raise status_error(
            API,
            response,
            auth="token rejected or revoked",
            not_found="wrong username or token in the events URL",
        )

    def _stale(self, body: Mapping[str, Any], reason: str) -> StaleCursor:
        next_url = body.get("nextUrl")
        if next_url is None or next_url == "":
            return StaleCursor(next_url=None, reason=reason)
        if not isinstance(next_url, str):
            raise InvalidResponse(API, "stale-cursor nextUrl is not a string", status=400)
        return StaleCursor(next_url=self.validate_next_url(next_url), reason=reason)

    def _page(self, body: Mapping[str, Any]) -> EventsPage:
        raw_events, next_url = body.get("events"), body.get("nextUrl")
        if not isinstance(raw_events, list):
            raise InvalidResponse(API, "200 body has no 'events' list", status=200)
        if not isinstance(next_url, str) or not next_url:
            raise InvalidResponse(API, "200 body has no 'nextUrl'", status=200)
        self.validate_next_url(next_url)
        return EventsPage(envelopes=raw_events, next_url=next_url, raw=body)
