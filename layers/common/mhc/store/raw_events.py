"""SQL for raw_events (append-only): every Events API envelope exactly as received."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn


@dataclass(frozen=True)
class RawEvent:
    event_id: str
    method: str
    occurred_at: datetime
    payload: Any


def insert_new(conn: Conn, events: Sequence[RawEvent]) -> set[str]:
    """Insert the events not stored yet; return the ids that were new (dedupe on event id)."""
    if not events:
        return set()
    rows = conn.execute(
        """INSERT INTO raw_events (event_id, method, occurred_at, payload)
           SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::jsonb[])
           ON CONFLICT (event_id) DO NOTHING
           RETURNING event_id""",
        (
            [e.event_id for e in events],
            [e.method for e in events],
            [e.occurred_at for e in events],
            [Jsonb(e.payload) for e in events],
        ),
    ).fetchall()
    return {str(row["event_id"]) for row in rows}


def newest(conn: Conn) -> RawEvent | None:
    row = conn.execute(
        """SELECT event_id, method, occurred_at, payload FROM raw_events
           ORDER BY occurred_at DESC, event_id DESC LIMIT 1"""
    ).fetchone()
    return None if row is None else RawEvent(**row)


def iterate(
    conn: Conn, *, methods: Sequence[str] | None = None, batch: int = 5000
) -> Iterator[RawEvent]:
    """Every stored event in time order (server-side cursor, constant memory)."""
    with conn.cursor(name="raw_events_scan") as cur:
        cur.itersize = batch
        cur.execute(
            """SELECT event_id, method, occurred_at, payload FROM raw_events
               WHERE %(methods)s::text[] IS NULL OR method = ANY(%(methods)s)
               ORDER BY occurred_at, event_id""",
            {"methods": list(methods) if methods is not None else None},
        )
        for row in cur:
            yield RawEvent(**row)
