"""SQL for raw_events (append-only): every Events API envelope exactly as received."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.store.copy_rows import AlreadyStored as AlreadyStored  # raised by insert_new
from mhc.store.copy_rows import (
    copy_all_new,
    copy_straight,
    insert_skipping_stored,
    json_field,
    rows_text,
    text_field,
    time_field,
)


@dataclass(frozen=True)
class RawEvent:
    event_id: str
    method: str
    occurred_at: datetime
    payload: Any


def copy_text(events: Sequence[RawEvent]) -> bytes:
    """The events as COPY text for `insert_new` (pure: ingest formats pages in a second process)."""
    return rows_text(
        (
            text_field(event.event_id),
            text_field(event.method),
            time_field(event.occurred_at),
            json_field(event.payload),
        )
        for event in events
    )


_COLUMNS = "event_id, method, occurred_at, payload"


def insert_new(conn: Conn, text: bytes, *, skip_stored: bool = True) -> set[str] | None:
    """Insert the events (`copy_text`) not stored yet: None when all of them were new, else the
    ids that were (dedupe on event id).

    Live pages are new events: COPY them straight in. Only when one is already stored (a
    re-read page, a replay) does the page take the slower conflict-skipping path; with
    `skip_stored=False` it raises AlreadyStored instead (no savepoint, the transaction is lost).
    """
    if not text:
        return None
    if not skip_stored:
        copy_straight(conn, "raw_events", _COLUMNS, text)
        return None
    if copy_all_new(conn, "raw_events", _COLUMNS, text):
        return None
    ids = insert_skipping_stored(
        conn, "raw_events", _COLUMNS, text, conflict="event_id", returning="event_id"
    )
    return {str(event_id) for event_id in ids}


def commit_unflushed(conn: Conn) -> None:
    """This transaction's commit does not wait for its WAL to reach the disk: should the server
    crash right after, the commit may be lost (never half of it). For replays only, which are
    simply run again."""
    conn.execute("SET LOCAL synchronous_commit = off")


@dataclass(frozen=True)
class NewestEvent:
    """The newest stored event: where live capture stands."""

    event_id: str
    occurred_at: datetime
    received_at: datetime


def newest(conn: Conn) -> NewestEvent | None:
    row = conn.execute(
        """SELECT event_id, occurred_at, received_at FROM raw_events
           ORDER BY occurred_at DESC, event_id DESC LIMIT 1"""
    ).fetchone()
    return None if row is None else NewestEvent(**row)


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


def oldest(conn: Conn) -> datetime | None:
    """When the first stored event happened: where live capture began."""
    row = conn.execute("SELECT min(occurred_at) AS at FROM raw_events").fetchone()
    return None if row is None else row["at"]
