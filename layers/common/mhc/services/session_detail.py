"""Session views: the current session with live stats, one session with its interactions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.models import Interaction, Page, SessionStats, StreamSession
from mhc.domain.paging import check_limit, decode_cursor
from mhc.services.person_history import page_of
from mhc.services.sessions import get as get_session
from mhc.services.sessions import stats_of
from mhc.store import interactions as interaction_store
from mhc.store import sessions as session_store
from mhc.store.interactions import InteractionFilter


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


def current(db: TransactionSource, *, owner: str, clock: Clock = utc_now) -> CurrentSession:
    with db.transaction() as conn:
        session = session_store.current(conn)
        if session is None:
            return CurrentSession(live=False, session=None, stats=None)
        return CurrentSession(
            live=True, session=session, stats=stats_of(conn, session, owner=owner, now=clock())
        )


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
        session = get_session(conn, session_id)
        flt = InteractionFilter(
            broadcaster=owner, since=session.started_at, until=session.ended_at or now
        )
        rows = interaction_store.list_page(conn, flt, limit=limit, after=after)
        return SessionDetail(
            session=session,
            stats=stats_of(conn, session, owner=owner, now=now),
            interactions=page_of(rows, limit),
        )
