"""Job runs: the one way a run of anything (the events poller, a scheduled job, a lookup's
Statbate call) is recorded, so a failure is visible in the API and UI, never only in logs.

A run is started (`running`) before its work, so even a crash mid-run leaves a row; `finish`
closes it. Error text is redacted and capped here, whoever the writer is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.models import JobRun, JobStatus
from mhc.observability import redact
from mhc.store import job_runs as store

#: Longest error text kept on a run.
MAX_ERROR_LENGTH = 2000


def start(conn: Conn, job: str, at: datetime) -> JobRun:
    return store.start(conn, job, at)


def finish(
    conn: Conn,
    run_id: int,
    *,
    status: JobStatus,
    at: datetime,
    counts: dict[str, Any],
    error: str | None = None,
) -> JobRun:
    text = redact(error)[:MAX_ERROR_LENGTH] if error else None
    return store.finish(conn, run_id, status=status, finished_at=at, counts=counts, error=text)


def record(
    conn: Conn,
    job: str,
    *,
    at: datetime,
    status: JobStatus,
    counts: dict[str, Any],
    error: str | None = None,
) -> JobRun:
    """A run that happened at once (one request inside a use case)."""
    run = start(conn, job, at)
    return finish(conn, run.id, status=status, at=at, counts=counts, error=error)


def close_abandoned(conn: Conn, job: str, *, at: datetime, except_id: int | None = None) -> int:
    """Mark `job`'s runs still `running` as failed; call only while holding the job."""
    return store.close_abandoned(conn, job, at=at, except_id=except_id)


def recent(conn: Conn, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
    return store.recent(conn, job=job, limit=limit)


def last_succeeded(conn: Conn, job: str) -> JobRun | None:
    return store.last_with_status(conn, job, JobStatus.SUCCEEDED)
