"""SQL for jobs (the configurable schedule) and per-API cool-downs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.jobs import Job
from mhc.domain.models import JobStatus

COLUMNS = (
    "j.name, j.kind, j.enabled, j.interval_seconds, j.config, j.last_run_at, j.last_status,"
    " j.next_run_at, j.created_at, j.updated_at"
)


def list_all(conn: Conn) -> list[Job]:
    rows = conn.execute(f"SELECT {COLUMNS} FROM jobs j ORDER BY j.name").fetchall()
    return [Job.model_validate(row) for row in rows]


def get(conn: Conn, name: str, *, for_update: bool = False) -> Job | None:
    lock = " FOR UPDATE" if for_update else ""
    row = conn.execute(f"SELECT {COLUMNS} FROM jobs j WHERE j.name = %s{lock}", (name,)).fetchone()
    return None if row is None else Job.model_validate(row)


def claim(
    conn: Conn,
    name: str,
    *,
    now: datetime,
    due_by: datetime,
    until: datetime,
    force: bool,
    stale_before: datetime,
    configured_again: bool = False,
) -> Job | None:
    """Take the job for one run: it must be due (or `force`, or `configured_again` while it is
    still `not_configured`) and not running (a run older than `stale_before` died mid-way and
    no longer counts). `next_run_at` moves to `until`, so an overlapping invocation leaves it
    alone. None when it is not ours to run now."""
    row = conn.execute(
        f"""UPDATE jobs AS j SET next_run_at = %(until)s, last_status = 'running',
                last_run_at = %(now)s, updated_at = now()
            WHERE j.name = %(name)s
              AND (%(force)s OR (j.enabled AND (j.next_run_at IS NULL OR j.next_run_at <= %(due_by)s
                   OR (%(configured_again)s AND j.last_status = 'not_configured'))))
              AND (j.last_status IS DISTINCT FROM 'running' OR j.last_run_at < %(stale)s)
            RETURNING {COLUMNS}""",
        {
            "name": name,
            "now": now,
            "due_by": due_by,
            "until": until,
            "force": force,
            "stale": stale_before,
            "configured_again": configured_again,
        },
    ).fetchone()
    return None if row is None else Job.model_validate(row)


def record_run(
    conn: Conn, name: str, *, started_at: datetime, status: JobStatus, next_run_at: datetime
) -> None:
    conn.execute(
        """UPDATE jobs SET last_run_at = %s, last_status = %s, next_run_at = %s, updated_at = now()
           WHERE name = %s""",
        (started_at, status.value, next_run_at, name),
    )


def update(
    conn: Conn,
    name: str,
    *,
    enabled: bool | None = None,
    interval_seconds: int | None = None,
    config: dict[str, Any] | None = None,
) -> Job | None:
    row = conn.execute(
        f"""UPDATE jobs AS j SET enabled = coalesce(%s, j.enabled),
                interval_seconds = coalesce(%s, j.interval_seconds),
                config = coalesce(%s, j.config), updated_at = now()
            WHERE j.name = %s RETURNING {COLUMNS}""",
        (enabled, interval_seconds, None if config is None else Jsonb(config), name),
    ).fetchone()
    return None if row is None else Job.model_validate(row)


def request_run(conn: Conn, name: str, now: datetime) -> Job | None:
    """Make the job due at once (the next scheduled invocation runs it)."""
    row = conn.execute(
        f"""UPDATE jobs AS j SET next_run_at = %s, updated_at = now()
            WHERE j.name = %s RETURNING {COLUMNS}""",
        (now, name),
    ).fetchone()
    return None if row is None else Job.model_validate(row)


# -- cool-downs ---------------------------------------------------------------------------
def cool_down_until(conn: Conn, api: str, now: datetime) -> tuple[datetime, str] | None:
    row = conn.execute(
        "SELECT until, reason FROM api_cool_downs WHERE api = %s AND until > %s", (api, now)
    ).fetchone()
    return None if row is None else (row["until"], str(row["reason"]))


def cool_downs(conn: Conn, now: datetime) -> dict[str, tuple[datetime, str]]:
    rows = conn.execute(
        "SELECT api, until, reason FROM api_cool_downs WHERE until > %s", (now,)
    ).fetchall()
    return {str(row["api"]): (row["until"], str(row["reason"])) for row in rows}


def set_cool_down(conn: Conn, api: str, until: datetime, reason: str) -> None:
    """Remember a cool-down; a later one never shortens an earlier, longer one."""
    conn.execute(
        """INSERT INTO api_cool_downs AS c (api, until, reason) VALUES (%s, %s, %s)
           ON CONFLICT (api) DO UPDATE SET
               reason = CASE WHEN EXCLUDED.until > c.until THEN EXCLUDED.reason ELSE c.reason END,
               until = greatest(c.until, EXCLUDED.until), updated_at = now()""",
        (api, until, reason[:500]),
    )
