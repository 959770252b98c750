"""Is the owner live? Decided from every live signal MHC has, saying which one decided.

Signals, each with when it was observed and how far its source lags:

- the owner's sessions (broadcast events, or started and ended by hand): an open session says
  live since its start; otherwise the latest session's end says offline since then. Events
  arrive within seconds, so they do not lag;
- the owner's Stats API snapshot: `time_online` minutes (live since captured - that) or -1
  (offline). Fresh for STATS_FRESH_FOR; its figures may be STATS_LAG old when fetched;
- the affiliate online-rooms feed: a sighting says live. Fresh for ONLINE_WINDOW (decision
  28); the feed keeps listing rooms up to FEED_LAG after they went offline, and absence from
  it proves nothing.

The fresh signal observed last, once its source's lag is taken off, decides: a broadcastStop a
minute ago beats a feed sighting two minutes ago; a Stats snapshot three minutes ago saying
offline beats a session opened hours ago and never closed. No fresh signal: unknown (None),
never "offline" by default. Pure: callers pass the rows and `now`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mhc.domain.profiles import ONLINE_WINDOW

Provider = Literal["chaturbate", "statbate", "mhc"]
LiveSource = Literal["stream_sessions", "cb_stats", "affiliate"]

#: A Stats API snapshot younger than this is a live signal (the job polls every 5 minutes).
STATS_FRESH_FOR = timedelta(minutes=15)
#: The Stats API refreshes its figures every 5 minutes: a snapshot may describe then.
STATS_LAG = timedelta(minutes=5)
#: A feed sighting younger than this says live.
FEED_FRESH_FOR = ONLINE_WINDOW
#: The feed lists rooms up to ~25 minutes after they went offline.
FEED_LAG = timedelta(minutes=25)

_LAG: dict[LiveSource, timedelta] = {
    "stream_sessions": timedelta(0),
    "cb_stats": STATS_LAG,
    "affiliate": FEED_LAG,
}
#: On an exact tie, the more direct source wins.
_RANK: dict[LiveSource, int] = {"stream_sessions": 2, "cb_stats": 1, "affiliate": 0}
_PROVIDER: dict[LiveSource, Provider] = {
    "stream_sessions": "mhc",
    "cb_stats": "chaturbate",
    "affiliate": "chaturbate",
}


class LiveSignal(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: LiveSource
    provider: Provider
    is_live: bool
    #: When the source observed it.
    observed_at: datetime
    age_seconds: int
    #: Within its source's freshness window; a stale signal is listed but decides nothing.
    fresh: bool
    #: When the broadcast began, when the signal tells.
    since: datetime | None
    detail: str


class LiveStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Provider and source of the deciding signal (mhc / stream_sessions when none decided).
    provider: Provider = "mhc"
    source: str = "stream_sessions"
    #: None: no fresh signal, so MHC does not know.
    is_live: bool | None
    since: datetime | None
    decided_by: LiveSignal | None
    #: Every signal considered, deciding or not, newest observation first.
    signals: list[LiveSignal]


def _signal(
    source: LiveSource,
    is_live: bool,
    observed_at: datetime,
    now: datetime,
    *,
    fresh_for: timedelta | None,
    since: datetime | None,
    detail: str,
) -> LiveSignal:
    age = max(timedelta(0), now - observed_at)
    return LiveSignal(
        source=source,
        provider=_PROVIDER[source],
        is_live=is_live,
        observed_at=observed_at,
        age_seconds=int(age.total_seconds()),
        fresh=fresh_for is None or age <= fresh_for,
        since=since,
        detail=detail,
    )


def session_signal(
    started_at: datetime, ended_at: datetime | None, *, manual: bool, now: datetime
) -> LiveSignal:
    """From the open session, or else the latest one."""
    how = "started by hand" if manual else "from broadcast events"
    if ended_at is None:
        return _signal(
            "stream_sessions",
            True,
            started_at,
            now,
            fresh_for=None,
            since=started_at,
            detail=f"a session is open ({how})",
        )
    return _signal(
        "stream_sessions",
        False,
        ended_at,
        now,
        fresh_for=None,
        since=None,
        detail=f"the last session ended ({how})",
    )


def stats_signal(
    captured_at: datetime, raw_payload: Mapping[str, Any], *, now: datetime
) -> LiveSignal | None:
    """From the Stats API's `time_online` (minutes, or -1 = offline); None without it."""
    minutes = raw_payload.get("time_online")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < -1:
        return None
    if minutes == -1:
        return _signal(
            "cb_stats",
            False,
            captured_at,
            now,
            fresh_for=STATS_FRESH_FOR,
            since=None,
            detail="the Stats API says offline (time_online -1)",
        )
    return _signal(
        "cb_stats",
        True,
        captured_at,
        now,
        fresh_for=STATS_FRESH_FOR,
        since=captured_at - timedelta(minutes=minutes),
        detail=f"the Stats API says online for {minutes} min",
    )


def feed_signal(seen_at: datetime, *, now: datetime) -> LiveSignal:
    return _signal(
        "affiliate",
        True,
        seen_at,
        now,
        fresh_for=FEED_FRESH_FOR,
        since=None,
        detail="seen in the affiliate online-rooms feed",
    )


def live_status(signals: Sequence[LiveSignal | None]) -> LiveStatus:
    """The fresh signal observed last (its source's lag taken off) decides."""
    present = sorted(
        (s for s in signals if s is not None), key=lambda s: s.observed_at, reverse=True
    )
    fresh = [s for s in present if s.fresh]
    if not fresh:
        return LiveStatus(is_live=None, since=None, decided_by=None, signals=present)
    winner = max(fresh, key=lambda s: (s.observed_at - _LAG[s.source], _RANK[s.source]))
    return LiveStatus(
        provider=winner.provider,
        source=winner.source,
        is_live=winner.is_live,
        since=winner.since if winner.is_live else None,
        decided_by=winner,
        signals=present,
    )
