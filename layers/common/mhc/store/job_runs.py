"""SQL for job_runs: one row per poller or job run, so failures are visible."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import JobRun, JobStatus

COLUMNS = "r.id, r.job, r.started_at, r.finished_at, r.status, r.counts, r.error"


def start(conn: Conn, job: str, started_at: datetime) -> JobRun:
    row = conn.execute(
        f"""INSERT INTO job_runs AS r (job, started_at, status) VALUES (%s, %s, 'running')
            RETURNING {COLUMNS}""",
        (job, started_at),
    ).fetchone()
    return JobRun.model_validate(row)


def finish(
    conn: Conn,
    run_id: int,
    *,
    status: JobStatus,
    finished_at: datetime,
    counts: dict[str, Any],
    error: str | None,
) -> JobRun:
    row = conn.execute(
        f"""UPDATE job_runs AS r SET status = %s, finished_at = greatest(%s, r.started_at),
                counts = %s, error = %s
            WHERE r.id = %s RETURNING {COLUMNS}""",
        (status.value, finished_at, Jsonb(counts), error, run_id),
    ).fetchone()
    return JobRun.model_validate(row)


def recent(conn: Conn, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM job_runs r WHERE %(job)s::text IS NULL OR r.job = %(job)s
            ORDER BY r.started_at DESC, r.id DESC LIMIT %(limit)s""",
        {"job": job, "limit": limit},
    ).fetchall()
    return [JobRun.model_validate(row) for row in rows]


def last_with_status(conn: Conn, job: str, status: JobStatus) -> JobRun | None:
    row = conn.execute(
        f"""SELECT {COLUMNS} FROM job_runs r WHERE r.job = %s AND r.status = %s
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        (job, status.value),
    ).fetchone()
    return None if row is None else JobRun.model_validate(row)


ABANDONED = "the run did not finish (the process died or timed out)"


def close_abandoned(conn: Conn, job: str, *, at: datetime, except_id: int | None = None) -> int:
    """Mark `job`'s runs still 'running' as failed. Call only while holding the job (claim or
    lock): then no other run of it is alive, and a 'running' row is one whose process died."""
    cur = conn.execute(
        """UPDATE job_runs SET status = 'failed', finished_at = greatest(%s, started_at), error = %s
           WHERE job = %s AND status = 'running' AND id IS DISTINCT FROM %s""",
        (at, ABANDONED, job, except_id),
    )
    return cur.rowcount
