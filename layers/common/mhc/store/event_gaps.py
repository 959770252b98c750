"""SQL for event_gaps: stretches of the Events feed that may be lost (stale or unreadable cursor)."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.health import EventGap

_COLUMNS = "id, detected_at, last_event_id, last_event_at, reason, created_at"


def record(
    conn: Conn,
    *,
    detected_at: datetime,
    last_event_id: str | None,
    last_event_at: datetime | None,
    reason: str,
) -> EventGap:
    row = conn.execute(
        f"""INSERT INTO event_gaps (detected_at, last_event_id, last_event_at, reason)
            VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}""",
        (detected_at, last_event_id, last_event_at, reason[:500] or "stale cursor"),
    ).fetchone()
    return EventGap.model_validate(row)


def recent(conn: Conn, *, limit: int = 20) -> list[EventGap]:
    rows = conn.execute(
        f"""SELECT {_COLUMNS} FROM event_gaps ORDER BY detected_at DESC, id DESC LIMIT %s""",
        (limit,),
    ).fetchall()
    return [EventGap.model_validate(row) for row in rows]


def since(conn: Conn, detected_since: datetime) -> list[EventGap]:
    """Every gap detected from `detected_since` on, oldest first."""
    rows = conn.execute(
        f"""SELECT {_COLUMNS} FROM event_gaps WHERE detected_at >= %s
            ORDER BY detected_at, id""",
        (detected_since,),
    ).fetchall()
    return [EventGap.model_validate(row) for row in rows]
