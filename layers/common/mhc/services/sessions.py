"""The owner's broadcast sessions: start and end (by hand or from broadcast events), the open
session with live statistics, the list, one session with its interactions, and rebuilding the
event-made sessions from derived signals (ids kept, nothing overlapping)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.deletions import Deletion
from mhc.domain.errors import Conflict, NotFound
from mhc.domain.models import Interaction, Page, SessionSource, SessionStats, StreamSession
from mhc.domain.paging import check_limit, decode_cursor
from mhc.domain.sessions import (
    RebuildReport,
    Span,
    StoredSession,
    continues_session,
    duration_seconds,
    plan_rebuild,
)
from mhc.services import deletions, interactions
from mhc.store import sessions as store

DEFAULT_MERGE_GAP = timedelta(minutes=30)


class CurrentSession(BaseModel):
    model_config = ConfigDict(frozen=True)

    live: bool
    session: StreamSession | None
    stats: SessionStats | None


class SessionDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    session: StreamSession
    stats: SessionStats
    #: Interactions in the owner's room during the session, newest first.
    interactions: Page[Interaction]


class SessionDeletion(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: The session as it was.
    session: StreamSession
    #: The record kept of it.
    deletion: Deletion
    #: False when it had already been deleted (this call changed nothing).
    changed: bool


#: `deletions.kind` of a deleted session.
DELETION_KIND = "stream_sessions"


# -- steps (inside the caller's transaction) ------------------------------------------------
def open_segment(
    conn: Conn, at: datetime, source: SessionSource, *, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> StreamSession:
    """Start a broadcast segment: the open session if any, the last one if it ended within the
    merge gap (reopened), or a new session."""
    store.lock_sessions(conn)
    current_session = store.current(conn)
    if current_session is not None:
        return current_session
    last = store.latest(conn)
    if last is not None and continues_session(last.ended_at, at, merge_gap):
        return store.reopen(conn, last.id)
    return store.insert(conn, at, source)


def close_segment(conn: Conn, at: datetime) -> StreamSession | None:
    """End the open session at `at`; None when no session is open (ending twice is harmless)."""
    store.lock_sessions(conn)
    current_session = store.current(conn)
    if current_session is None:
        return None
    return store.close(conn, current_session.id, at)


def lock(conn: Conn) -> None:
    """Serialize session changes until the caller's transaction ends."""
    store.lock_sessions(conn)


def reconcile_event_sessions(conn: Conn, spans: list[Span]) -> RebuildReport:
    """Make the stored sessions match `spans` rebuilt from broadcast events
    (`mhc.domain.sessions.plan_rebuild`): ids stay where a session still exists, spans fold
    into the manual sessions they overlap, and no two sessions overlap afterwards."""
    store.lock_sessions(conn)
    existing = [
        StoredSession(s.id, s.started_at, s.ended_at, s.source is SessionSource.MANUAL)
        for s in store.all_sessions(conn)
    ]
    plan = plan_rebuild(existing, spans)
    # At most one session may be open at any moment (a unique index): removals first, then
    # the sessions that end, then the one that stays open.
    store.delete(conn, plan.delete)
    store.set_bounds(conn, sorted(plan.update, key=lambda bounds: bounds[2] is None))
    store.insert_many(
        conn, sorted(plan.insert, key=lambda span: span[1] is None), SessionSource.CB_EVENTS
    )
    return RebuildReport(
        spans=len(spans),
        kept=len(plan.kept),
        updated=len(plan.update),
        added=len(plan.insert),
        removed=len(plan.delete),
        merged_into_manual=len(plan.merged),
    )


def get(conn: Conn, session_id: int) -> StreamSession:
    session = store.get(conn, session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    return session


def open_session(conn: Conn) -> StreamSession | None:
    return store.current(conn)


def recent(conn: Conn, *, limit: int) -> list[StreamSession]:
    return store.list_recent(conn, limit=limit)


def stats_of(conn: Conn, session: StreamSession, *, owner: str, now: datetime) -> SessionStats:
    end_at = session.ended_at or now
    counts = interactions.room_counts(conn, owner, session.started_at, end_at)
    return SessionStats(
        session_id=session.id,
        duration_seconds=duration_seconds(session.started_at, session.ended_at, now),
        **counts,
    )


# -- use cases (each its own transaction) ----------------------------------------------------
def start(
    db: TransactionSource, *, clock: Clock = utc_now, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> StreamSession:
    with db.transaction() as conn:
        return open_segment(conn, clock(), SessionSource.MANUAL, merge_gap=merge_gap)


def end(db: TransactionSource, *, clock: Clock = utc_now) -> StreamSession | None:
    with db.transaction() as conn:
        return close_segment(conn, clock())


def current(db: TransactionSource, *, owner: str, clock: Clock = utc_now) -> CurrentSession:
    """The open session with its statistics so far, or `live: false`."""
    with db.transaction() as conn:
        session = store.current(conn)
        if session is None:
            return CurrentSession(live=False, session=None, stats=None)
        return CurrentSession(
            live=True, session=session, stats=stats_of(conn, session, owner=owner, now=clock())
        )


def list_recent(
    db: TransactionSource, *, limit: int = 20, before: datetime | None = None
) -> list[StreamSession]:
    check_limit(limit)
    with db.transaction() as conn:
        return store.list_recent(conn, limit=limit, before=before)


def detail(
    db: TransactionSource,
    session_id: int,
    *,
    owner: str,
    limit: int = 50,
    cursor: str | None = None,
    clock: Clock = utc_now,
) -> SessionDetail:
    check_limit(limit)
    after = decode_cursor(cursor) if cursor else None
    now = clock()
    with db.transaction() as conn:
        session = get(conn, session_id)
        page = interactions.in_room(
            conn,
            owner,
            since=session.started_at,
            until=session.ended_at or now,
            limit=limit,
            after=after,
        )
        return SessionDetail(
            session=session, stats=stats_of(conn, session, owner=owner, now=now), interactions=page
        )


def delete_manual(
    db: TransactionSource,
    session_id: int,
    *,
    deleted_by: str,
    clock: Clock = utc_now,
) -> SessionDeletion:
    """Delete a session started by hand (a stray Start/End click), recording it first.

    A session made from broadcast events is refused (Conflict): it is what the feed says, and
    `rebuild-sessions` would bring it back. Deleting again answers the first record."""
    with db.transaction() as conn:
        store.lock_sessions(conn)
        session = store.get(conn, session_id)
        if session is None:
            previous = deletions.find(conn, DELETION_KIND, session_id)
            if previous is None:
                raise NotFound(f"session {session_id} not found")
            return SessionDeletion(
                session=StreamSession.model_validate(previous.deleted_row),
                deletion=previous,
                changed=False,
            )
        if session.source is not SessionSource.MANUAL:
            raise Conflict(
                f"session {session_id} was recorded from broadcast events, not by hand: "
                "only a manual session can be deleted"
            )
        deletion = deletions.record(
            conn,
            kind=DELETION_KIND,
            row_key=session_id,
            deleted_row=session.model_dump(mode="json"),
            deleted_by=deleted_by,
            deleted_at=clock(),
        )
        store.delete(conn, [session_id])
        return SessionDeletion(session=session, deletion=deletion, changed=True)
