"""The owner's broadcast sessions: start, end, current, list and statistics."""

from __future__ import annotations

from datetime import datetime, timedelta

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import NotFound
from mhc.domain.models import SessionSource, SessionStats, StreamSession
from mhc.domain.paging import check_limit
from mhc.domain.sessions import continues_session, duration_seconds
from mhc.store import sessions as store

DEFAULT_MERGE_GAP = timedelta(minutes=30)


def open_segment(
    conn: Conn, at: datetime, source: SessionSource, *, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> StreamSession:
    """Start a broadcast segment: the open session if any, the last one if it ended within the
    merge gap (reopened), or a new session."""
    store.lock_sessions(conn)
    current = store.current(conn)
    if current is not None:
        return current
    last = store.latest(conn)
    if last is not None and continues_session(last.ended_at, at, merge_gap):
        return store.reopen(conn, last.id)
    return store.insert(conn, at, source)


def close_segment(conn: Conn, at: datetime) -> StreamSession | None:
    """End the open session at `at`; None when no session is open (ending twice is harmless)."""
    store.lock_sessions(conn)
    current = store.current(conn)
    if current is None:
        return None
    return store.close(conn, current.id, at)


def start(
    db: TransactionSource, *, clock: Clock = utc_now, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> StreamSession:
    with db.transaction() as conn:
        return open_segment(conn, clock(), SessionSource.MANUAL, merge_gap=merge_gap)


def end(db: TransactionSource, *, clock: Clock = utc_now) -> StreamSession | None:
    with db.transaction() as conn:
        return close_segment(conn, clock())


def current(db: TransactionSource) -> StreamSession | None:
    with db.transaction() as conn:
        return store.current(conn)


def get(conn: Conn, session_id: int) -> StreamSession:
    session = store.get(conn, session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    return session


def list_recent(
    db: TransactionSource, *, limit: int = 20, before: datetime | None = None
) -> list[StreamSession]:
    check_limit(limit)
    with db.transaction() as conn:
        return store.list_recent(conn, limit=limit, before=before)


def stats_of(conn: Conn, session: StreamSession, *, owner: str, now: datetime) -> SessionStats:
    end_at = session.ended_at or now
    counts = store.room_activity(conn, owner, session.started_at, end_at)
    return SessionStats(
        session_id=session.id,
        duration_seconds=duration_seconds(session.started_at, session.ended_at, now),
        **counts,
    )


def stats(
    db: TransactionSource, session_id: int, *, owner: str, clock: Clock = utc_now
) -> SessionStats:
    with db.transaction() as conn:
        return stats_of(conn, get(conn, session_id), owner=owner, now=clock())
