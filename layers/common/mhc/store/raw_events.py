"""SQL for raw_events (append-only): every Events API envelope exactly as received."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.store.copy_rows import json_field, rows_text, text_field, time_field


@dataclass(frozen=True)
class RawEvent:
    event_id: str
    method: str
    occurred_at: datetime
    payload: Any


def insert_new(conn: Conn, events: Sequence[RawEvent]) -> set[str]:
    """Insert the events not stored yet; return the ids that were new (dedupe on event id).

    COPY into a staging table, then one INSERT ... ON CONFLICT DO NOTHING: the fastest way in
    that stays idempotent.
    """
    if not events:
        return set()
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS raw_events_staging AS
           SELECT event_id, method, occurred_at, payload FROM raw_events WITH NO DATA"""
    )
    with conn.cursor() as cur:
        with cur.copy(
            "COPY raw_events_staging (event_id, method, occurred_at, payload) FROM STDIN"
        ) as copy:
            copy.write(
                rows_text(
                    (
                        text_field(event.event_id),
                        text_field(event.method),
                        time_field(event.occurred_at),
                        json_field(event.payload),
                    )
                    for event in events
                )
            )
        rows = cur.execute(
            """INSERT INTO raw_events (event_id, method, occurred_at, payload)
               SELECT event_id, method, occurred_at, payload FROM raw_events_staging
               ON CONFLICT (event_id) DO NOTHING
               RETURNING event_id"""
        ).fetchall()
        # DELETE, not TRUNCATE: a temp-table truncate rewrites catalog rows on every page.
        cur.execute("DELETE FROM raw_events_staging")
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
