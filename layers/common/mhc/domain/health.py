"""Ingest health: how far behind live capture is, as plain figures the API and UI show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

#: The events poller's job name in `job_runs`.
EVENTS_POLLER_JOB = "events_poller"

#: No successful poll for this long means the poller is down (it polls continuously).
POLLER_STALE_AFTER = timedelta(minutes=10)


class EventGap(BaseModel):
    """A stretch of time in which events may have been lost (stale Events API cursor)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    detected_at: datetime
    last_event_id: str | None
    last_event_at: datetime | None
    reason: str
    created_at: datetime


def lag_seconds(latest: datetime | None, now: datetime) -> int | None:
    """Whole seconds from `latest` to `now` (never negative); None when nothing happened yet."""
    if latest is None:
        return None
    return max(0, int((now - latest).total_seconds()))


PollerStatus = Literal["ok", "stale", "never"]


def poller_status(last_success: datetime | None, now: datetime) -> PollerStatus:
    """ "ok" when the poller succeeded recently, "stale" when not, "never" before its first run."""
    if last_success is None:
        return "never"
    return "ok" if now - last_success <= POLLER_STALE_AFTER else "stale"
