"""Watchlists: the lists, their members (last interaction, last delta, online), add, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from mhc.api.deps import Context, Db
from mhc.api.routes import RouteTable
from mhc.api.schemas import MembershipResult
from mhc.domain.models import Watchlist
from mhc.services import watchlists
from mhc.services.watchlists import MemberView

routes = RouteTable(prefix="/watchlists", tags=["watchlists"])

WatchlistId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PersonId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@routes.get("", response_model=list[Watchlist])
def list_watchlists(db: Db) -> list[Watchlist]:
    return watchlists.list_all(db)


@routes.get("/{watchlist_id}/members", response_model=list[MemberView])
def list_members(db: Db, context: Context, watchlist_id: WatchlistId) -> list[MemberView]:
    """Newest members first; `online` is true when seen online recently, null when unknown."""
    return watchlists.members(db, watchlist_id, clock=context.clock)


@routes.put("/{watchlist_id}/members/{person_id}", response_model=MembershipResult)
def add_member(db: Db, watchlist_id: WatchlistId, person_id: PersonId) -> MembershipResult:
    """Add a person; adding twice is harmless (`changed: false`)."""
    changed = watchlists.add(db, watchlist_id, person_id)
    return MembershipResult(
        watchlist_id=watchlist_id, person_id=person_id, member=True, changed=changed
    )


@routes.delete("/{watchlist_id}/members/{person_id}", response_model=MembershipResult)
def remove_member(db: Db, watchlist_id: WatchlistId, person_id: PersonId) -> MembershipResult:
    """Remove a person; removing a non-member is harmless (`changed: false`)."""
    changed = watchlists.remove(db, watchlist_id, person_id)
    return MembershipResult(
        watchlist_id=watchlist_id, person_id=person_id, member=False, changed=changed
    )
