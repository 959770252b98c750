"""Watchlist members as the owner sees them: last interaction, last delta, online when known."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import NotFound
from mhc.domain.models import Person, SnapshotWithDelta
from mhc.services import snapshots
from mhc.store import interactions as interaction_store
from mhc.store import presence
from mhc.store import watchlists as store

#: An affiliate-feed sighting newer than this means "online now" (the sweep runs every 5 min).
ONLINE_WINDOW = timedelta(minutes=10)


class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: Person
    added_at: datetime
    last_interaction_at: datetime | None
    last_snapshot: SnapshotWithDelta | None
    #: True when seen in the online-rooms feed within ONLINE_WINDOW; None when unknown.
    online: bool | None
    last_seen_online_at: datetime | None


def members(
    db: TransactionSource, watchlist_id: int, *, clock: Clock = utc_now
) -> list[MemberView]:
    now = clock()
    with db.transaction() as conn:
        if store.get(conn, watchlist_id) is None:
            raise NotFound(f"watchlist {watchlist_id} not found")
        rows = store.members(conn, watchlist_id)
        ids = [person.id for person, _ in rows]
        last_seen = interaction_store.last_occurred_at(conn, ids)
        online_at = presence.last_seen_online(conn, ids)
        return [
            MemberView(
                person=person,
                added_at=added_at,
                last_interaction_at=last_seen.get(person.id),
                last_snapshot=snapshots.latest(conn, person.id),
                online=True
                if person.id in online_at and now - online_at[person.id] <= ONLINE_WINDOW
                else None,
                last_seen_online_at=online_at.get(person.id),
            )
            for person, added_at in rows
        ]
