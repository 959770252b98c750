"""SQL for raw_events (append-only): every Events API envelope exactly as received."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from mhc.db.connection import Conn
from mhc.store.copy_rows import json_field, rows_text, text_field, time_field


@dataclass(frozen=True)
class RawEvent:
    event_id: str
    method: str
    occurred_at: datetime
    payload: Any


def _copy_text(events: Sequence[RawEvent]) -> bytes:
    return rows_text(
        (
            text_field(event.event_id),
            text_field(event.method),
            time_field(event.occurred_at),
            json_field(event.payload),
        )
        for event in events
    )


def insert_new(conn: Conn, events: Sequence[RawEvent]) -> set[str]:
    """Insert the events not stored yet; return the ids that were new (dedupe on event id).

    Live pages are new events: COPY them straight in, inside a savepoint. Only when one is
    already stored (a re-read page, a replay) does the page take the slower idempotent path.
    """
    if not events:
        return set()
    text = _copy_text(events)
    try:
        with (
            conn.transaction(),
            conn.cursor() as cur,
            cur.copy(_COPY_RAW.format(table="raw_events")) as copy,
        ):
            copy.write(text)
        return {event.event_id for event in events}
    except psycopg.errors.UniqueViolation:
        return _insert_skipping_stored(conn, text)


_COPY_RAW = "COPY {table} (event_id, method, occurred_at, payload) FROM STDIN"


def _insert_skipping_stored(conn: Conn, text: bytes) -> set[str]:
    """COPY into a staging table, then one INSERT ... ON CONFLICT DO NOTHING."""
    # ON COMMIT DELETE ROWS empties the table in place at commit (no catalog churn, and no
    # dead rows piling up in a temp table autovacuum never visits).
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS raw_events_staging ON COMMIT DELETE ROWS AS
           SELECT event_id, method, occurred_at, payload FROM raw_events WITH NO DATA"""
    )
    with conn.cursor() as cur:
        cur.execute("DELETE FROM raw_events_staging")  # another page earlier in this transaction
        with cur.copy(_COPY_RAW.format(table="raw_events_staging")) as copy:
            copy.write(text)
        rows = cur.execute(
            """INSERT INTO raw_events (event_id, method, occurred_at, payload)
               SELECT event_id, method, occurred_at, payload FROM raw_events_staging
               ON CONFLICT (event_id) DO NOTHING
               RETURNING event_id"""
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
