"""Where live capture stands: the newest stored event and the stretches of the feed that may be
lost (gaps), written by the events poller and read by the health check. Kept apart from
`ingest` so the API's health check does not load the ingest path."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.health import EventGap
from mhc.store import event_gaps
from mhc.store import raw_events as raw_store
from mhc.store.raw_events import NewestEvent


def newest_event(conn: Conn) -> NewestEvent | None:
    return raw_store.newest(conn)


def record_gap(conn: Conn, *, detected_at: datetime, reason: str) -> EventGap:
    """Record that events after the newest stored one may be lost (a stale or unreadable
    cursor)."""
    newest = raw_store.newest(conn)
    return event_gaps.record(
        conn,
        detected_at=detected_at,
        last_event_id=newest.event_id if newest else None,
        last_event_at=newest.occurred_at if newest else None,
        reason=reason,
    )


def recent_gaps(conn: Conn, *, limit: int) -> list[EventGap]:
    return event_gaps.recent(conn, limit=limit)


def span(conn: Conn) -> tuple[datetime, datetime] | None:
    """When live capture began and where it stands (first and newest stored event)."""
    newest = raw_store.newest(conn)
    first = raw_store.oldest(conn)
    if newest is None or first is None:
        return None
    return first, newest.occurred_at


def gaps_since(conn: Conn, since: datetime) -> list[EventGap]:
    """Every gap detected from `since` on, oldest first."""
    return event_gaps.since(conn, since)
