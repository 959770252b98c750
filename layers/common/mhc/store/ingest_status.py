"""SQL for ingest health: the newest stored event and the recorded event gaps (read only)."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.health import EventGap
from mhc.domain.models import JobRun, JobStatus
from mhc.store.job_runs import COLUMNS as JOB_COLUMNS


def last_event(conn: Conn) -> tuple[datetime | None, datetime | None]:
    """(occurred_at, received_at) of the newest raw event; (None, None) when none is stored."""
    row = conn.execute(
        """SELECT occurred_at, received_at FROM raw_events
           ORDER BY occurred_at DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None, None
    return row["occurred_at"], row["received_at"]


def last_run_with_status(conn: Conn, job: str, status: JobStatus) -> JobRun | None:
    row = conn.execute(
        f"""SELECT {JOB_COLUMNS} FROM job_runs r WHERE r.job = %s AND r.status = %s
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1""",
        (job, status.value),
    ).fetchone()
    return None if row is None else JobRun.model_validate(row)


def recent_gaps(conn: Conn, *, limit: int) -> list[EventGap]:
    rows = conn.execute(
        """SELECT id, detected_at, last_event_id, last_event_at, reason, created_at
           FROM event_gaps ORDER BY detected_at DESC, id DESC LIMIT %s""",
        (limit,),
    ).fetchall()
    return [EventGap.model_validate(row) for row in rows]
