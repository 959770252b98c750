"""Health: is the database up (the public liveness check) and is live capture alive (last event,
last successful poll, lag, recent runs and gaps)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.health import EVENTS_POLLER_JOB, EventGap, lag_seconds, poller_status
from mhc.domain.models import JobRun
from mhc.services import capture, job_runs
from mhc.store import health as store

RECENT_RUNS = 20
RECENT_GAPS = 20


class IngestHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    checked_at: datetime
    #: When the newest stored Events API event happened, and when we received it.
    last_event_at: datetime | None
    last_event_received_at: datetime | None
    event_lag_seconds: int | None
    #: The newest events-poller run that succeeded (its finish, or start while unfinished).
    last_successful_poll_at: datetime | None
    poll_lag_seconds: int | None
    poller: Literal["ok", "stale", "never"]
    recent_job_runs: list[JobRun]
    recent_event_gaps: list[EventGap]


def database_status(db: TransactionSource) -> dict[str, object]:
    """Whether the database answers and its schema version (psycopg/OS errors propagate)."""
    with db.transaction() as conn:
        return store.database_status(conn)


def ingest_health(db: TransactionSource, *, clock: Clock = utc_now) -> IngestHealth:
    now = clock()
    with db.transaction() as conn:
        newest = capture.newest_event(conn)
        success = job_runs.last_succeeded(conn, EVENTS_POLLER_JOB)
        runs = job_runs.recent(conn, limit=RECENT_RUNS)
        gaps = capture.recent_gaps(conn, limit=RECENT_GAPS)
    occurred = newest.occurred_at if newest else None
    last_poll = None if success is None else (success.finished_at or success.started_at)
    return IngestHealth(
        checked_at=now,
        last_event_at=occurred,
        last_event_received_at=newest.received_at if newest else None,
        event_lag_seconds=lag_seconds(occurred, now),
        last_successful_poll_at=last_poll,
        poll_lag_seconds=lag_seconds(last_poll, now),
        poller=poller_status(last_poll, now),
        recent_job_runs=runs,
        recent_event_gaps=gaps,
    )
