"""Health: is the database up (the public liveness check), what state each collector is in with
one verdict (the header pill and the Jobs & health page), and where live capture stands (last
event, lag, recent runs and gaps)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.health import (
    EVENTS_POLLER_JOB,
    CollectorStatus,
    EventGap,
    PollerHealth,
    PollerState,
    job_health,
    poller_health,
)
from mhc.domain.health import collector_status as judge
from mhc.domain.models import JobRun
from mhc.services import capture, job_runs, jobs
from mhc.store import health as store

RECENT_RUNS = 20
RECENT_GAPS = 20
#: Runs read per collector to find the one its state comes from (skipped and running runs are
#: passed over).
STATE_RUNS = 20


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
    #: The events poller's state, as in `GET /api/health/status`.
    poller: PollerState
    recent_job_runs: list[JobRun]
    recent_event_gaps: list[EventGap]


def database_status(db: TransactionSource) -> dict[str, object]:
    """Whether the database answers and its schema version (psycopg/OS errors propagate)."""
    with db.transaction() as conn:
        return store.database_status(conn)


def _poller(conn: Conn, now: datetime) -> tuple[PollerHealth, list[EventGap]]:
    newest = capture.newest_event(conn)
    gaps = capture.recent_gaps(conn, limit=RECENT_GAPS)
    health = poller_health(
        job_runs.recent(conn, job=EVENTS_POLLER_JOB, limit=STATE_RUNS),
        job_runs.last_succeeded(conn, EVENTS_POLLER_JOB),
        last_event_at=newest.occurred_at if newest else None,
        gaps=gaps,
        now=now,
    )
    return health, gaps


def collector_status(db: TransactionSource, *, clock: Clock = utc_now) -> CollectorStatus:
    """Every collector's state and one verdict with reasons, judged from each one's own runs
    (never from a window of all runs, where a busy job hides a failed one)."""
    now = clock()
    with db.transaction() as conn:
        poller, _ = _poller(conn, now)
    views = jobs.list_jobs(db, runs=STATE_RUNS, clock=clock)
    return judge(
        poller,
        [
            job_health(v.job, v.recent_runs, cool_down_until=v.cool_down_until, now=now)
            for v in views
        ],
        now=now,
    )


def ingest_health(db: TransactionSource, *, clock: Clock = utc_now) -> IngestHealth:
    now = clock()
    with db.transaction() as conn:
        newest = capture.newest_event(conn)
        poller, gaps = _poller(conn, now)
        runs = job_runs.recent(conn, limit=RECENT_RUNS)
    return IngestHealth(
        checked_at=now,
        last_event_at=poller.last_event_at,
        last_event_received_at=newest.received_at if newest else None,
        event_lag_seconds=poller.event_lag_seconds,
        last_successful_poll_at=poller.last_successful_poll_at,
        poll_lag_seconds=poller.poll_lag_seconds,
        poller=poller.state,
        recent_job_runs=runs,
        recent_event_gaps=gaps,
    )
