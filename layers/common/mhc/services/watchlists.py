"""Watchlists: the lists, their members as the owner sees them (last interaction, last delta,
online when known), adding and removing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import NotFound
from mhc.domain.models import Person, SnapshotWithDelta, Watchlist
from mhc.domain.profiles import online_status
from mhc.services import interactions, persons, profiles, snapshots
from mhc.services.profiles import ProfileRow
from mhc.store import watchlists as store


class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: Person
    added_at: datetime
    last_interaction_at: datetime | None
    last_snapshot: SnapshotWithDelta | None
    #: True when seen in the online-rooms feed within ONLINE_WINDOW; None when unknown.
    online: bool | None
    last_seen_online_at: datetime | None
    #: Broadcaster profile (affiliate feed + profile JSON), when there is one.
    profile: ProfileRow | None = None


def list_all(db: TransactionSource) -> list[Watchlist]:
    with db.transaction() as conn:
        return store.list_all(conn)


def _get(conn: Conn, watchlist_id: int) -> Watchlist:
    watchlist = store.get(conn, watchlist_id)
    if watchlist is None:
        raise NotFound(f"watchlist {watchlist_id} not found")
    return watchlist


def members(
    db: TransactionSource, watchlist_id: int, *, clock: Clock = utc_now
) -> list[MemberView]:
    now = clock()
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        rows = store.members(conn, watchlist_id)
        ids = [person.id for person, _ in rows]
        last_seen = interactions.last_occurred_at(conn, ids)
        found = profiles.get_many(conn, ids)
        online_at = profiles.last_seen_online(conn, ids, found)
        return [
            MemberView(
                person=person,
                added_at=added_at,
                last_interaction_at=last_seen.get(person.id),
                last_snapshot=snapshots.latest(conn, person.id),
                online=online_status(online_at.get(person.id), now),
                last_seen_online_at=online_at.get(person.id),
                profile=found.get(person.id),
            )
            for person, added_at in rows
        ]


def add(db: TransactionSource, watchlist_id: int, person_id: int) -> bool:
    """Add a person; adding twice is harmless (returns False the second time)."""
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        person = persons.get(conn, person_id)
        return store.add_member(conn, watchlist_id, person.id)


def remove(db: TransactionSource, watchlist_id: int, person_id: int) -> bool:
    """Remove a person; removing a non-member is harmless (returns False)."""
    with db.transaction() as conn:
        _get(conn, watchlist_id)
        person = persons.get(conn, person_id)
        return store.remove_member(conn, watchlist_id, persons.group_ids(conn, person.id))


def of_person(conn: Conn, person_id: int) -> list[Watchlist]:
    return store.of_person(conn, persons.get(conn, person_id).id)


def watchlisted_usernames(conn: Conn, usernames: Sequence[str]) -> set[str]:
    """Which of these current usernames belong to watchlist members."""
    return store.watchlisted_usernames(conn, usernames)
