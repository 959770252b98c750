"""Watchlists: the lists, their members (with last interaction and last delta), add/remove."""

from __future__ import annotations

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.errors import NotFound
from mhc.domain.models import Watchlist, WatchlistMember
from mhc.services import snapshots
from mhc.services.persons import get as get_person
from mhc.store import interactions as interaction_store
from mhc.store import watchlists as store


def list_all(db: TransactionSource) -> list[Watchlist]:
    with db.transaction() as conn:
        return store.list_all(conn)


def _get(conn: Conn, watchlist_id: int) -> Watchlist:
    watchlist = store.get(conn, watchlist_id)
    if watchlist is None:
        raise NotFound(f"watchlist {watchlist_id} not found")
    return watchlist


def members(db: TransactionSource, watchlist_id: int) -> list[WatchlistMember]:
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        rows = store.members(conn, watchlist_id)
        last_seen = interaction_store.last_occurred_at(conn, [person.id for person, _ in rows])
        return [
            WatchlistMember(
                person=person,
                added_at=added_at,
                last_interaction_at=last_seen.get(person.id),
                last_snapshot=snapshots.latest(conn, person.id),
            )
            for person, added_at in rows
        ]


def add(db: TransactionSource, watchlist_id: int, person_id: int) -> bool:
    """Add a person; adding twice is harmless (returns False the second time)."""
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        get_person(conn, person_id)
        return store.add_member(conn, watchlist_id, person_id)


def remove(db: TransactionSource, watchlist_id: int, person_id: int) -> bool:
    """Remove a person; removing a non-member is harmless (returns False)."""
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        get_person(conn, person_id)
        return store.remove_member(conn, watchlist_id, person_id)


def of_person(conn: Conn, person_id: int) -> list[Watchlist]:
    return store.of_person(conn, person_id)
