"""Chaturbate Stats API: the owner's room statistics (data refreshes every 5 minutes).

Polling faster than that earns a 403 for ~17 minutes, so 403 and 429 are not retried: they
raise Throttled with a cool-down of at least 5 minutes for the scheduler to honour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from mhc.clients.errors import Throttled
from mhc.clients.http import (
    SERVER_ERROR_STATUSES,
    ApiHttp,
    ClientDeps,
    RetryPolicy,
    Timeouts,
    blocked,
    check_base_url,
    is_cloudflare_challenge,
    json_object,
    retry_after,
    status_error,
)
from mhc.domain.metrics import normalize_cb_stats
from mhc.domain.usernames import normalize_username
from mhc.observability import register_secret

if TYPE_CHECKING:
    from mhc.config import Settings

API = "stats"
#: The shortest wait after a 403/429 (data refreshes every 5 minutes).
MIN_COOL_DOWN = timedelta(minutes=5)


@dataclass(frozen=True)
class RoomStats:
    """One Stats API answer: `raw` exactly as received, `metrics` normalized for snapshots."""

    raw: Mapping[str, Any] = field(repr=False)
    metrics: dict[str, Any]
    fetched_at: datetime


class StatsClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        username: str,
        token: str,
        base_url: str = "https://chaturbate.com/statsapi/",
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        register_secret(token)
        self._username = normalize_username(username)
        self._token = token
        self._base = check_base_url(API, base_url)
        self._http = ApiHttp.with_defaults(API, client, timeouts=timeouts, retry=retry, deps=deps)
        self._deps = self._http.deps

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.Client, **kwargs: Any) -> StatsClient:
        return cls(
            client,
            username=settings.require_owner(),
            token=settings.require_secret("MHC_STATS_TOKEN"),
            base_url=settings.mhc_stats_api_url,
            timeouts=Timeouts.from_settings(settings),
            **kwargs,
        )

    def fetch(self, *, deadline: datetime | None = None) -> RoomStats:
        response = self._http.request(
            "GET",
            self._base,
            params={"username": self._username, "token": self._token},
            headers={"Accept": "application/json"},
            deadline=deadline,
            retry_statuses=SERVER_ERROR_STATUSES,
        )
        status = response.status_code
        if status == 200:
            raw = json_object(API, response)
            return RoomStats(
                raw=raw, metrics=normalize_cb_stats(raw), fetched_at=self._deps.clock()
            )
        if is_cloudflare_challenge(response):
            raise blocked(API, response)
        if status in (403, 429):
            hint = retry_after(response, self._deps.clock()) or timedelta(0)
            raise Throttled(
                API,
                f"HTTP {status}: polled too often",
                cool_down=max(MIN_COOL_DOWN, hint),
                status=status,
            )
        raise status_error(API, response, auth="stats token rejected", not_found="unknown username")
