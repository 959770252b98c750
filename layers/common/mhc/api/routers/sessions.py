"""The owner's broadcast sessions: start, end, current (live stats), list, detail, delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Path, Query

from mhc.api.deps import Context, Db, Owner
from mhc.api.routes import RouteTable
from mhc.api.schemas import DateTimeInRange, SessionResult
from mhc.domain.errors import InvalidInput
from mhc.domain.models import StreamSession
from mhc.domain.paging import MAX_PAGE_SIZE
from mhc.services import sessions
from mhc.services.deletions import BY_OWNER_API
from mhc.services.sessions import CurrentSession, SessionDeletion, SessionDetail

routes = RouteTable(prefix="/sessions", tags=["sessions"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
SessionId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@routes.post("/start", response_model=SessionResult)
def start_session(db: Db, context: Context) -> SessionResult:
    """Start a session by hand (or continue one that ended within the merge gap)."""
    gap = timedelta(minutes=context.settings().mhc_session_merge_gap_minutes)
    return SessionResult(session=sessions.start(db, clock=context.clock, merge_gap=gap))


@routes.post("/end", response_model=SessionResult)
def end_session(db: Db, context: Context) -> SessionResult:
    """End the open session; `session` is null when none was open."""
    return SessionResult(session=sessions.end(db, clock=context.clock))


@routes.get("/current", response_model=CurrentSession)
def current_session(db: Db, context: Context, owner: Owner) -> CurrentSession:
    """The open session with live statistics, or `live: false`."""
    return sessions.current(db, owner=owner, clock=context.clock)


@routes.get("", response_model=list[StreamSession])
def list_sessions(
    db: Db,
    limit: Limit = 20,
    before: Annotated[DateTimeInRange | None, Query(description="sessions started before")] = None,
) -> list[StreamSession]:
    """Newest first."""
    return sessions.list_recent(db, limit=limit, before=before)


@routes.get("/{session_id}", response_model=SessionDetail)
def get_session(
    db: Db,
    context: Context,
    owner: Owner,
    session_id: SessionId,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SessionDetail:
    """Statistics and the interactions in the owner's room during the session."""
    return sessions.detail(
        db, session_id, owner=owner, limit=limit, cursor=cursor, clock=context.clock
    )


@routes.delete("/{session_id}", response_model=SessionDeletion)
def delete_session(
    db: Db,
    context: Context,
    session_id: SessionId,
    confirm: Annotated[
        bool, Query(description="must be true: a deletion cannot be undone (it is recorded)")
    ] = False,
) -> SessionDeletion:
    """Delete a session started by hand (a stray Start/End click); one made from broadcast
    events is a 409. The session is recorded in `deletions` first; deleting again answers that
    record with `changed: false`."""
    if not confirm:
        raise InvalidInput(
            "confirm", f"must be true to delete session {session_id} (this cannot be undone)"
        )
    return sessions.delete_manual(db, session_id, deleted_by=BY_OWNER_API, clock=context.clock)
