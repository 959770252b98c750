"""Watchlist members as the owner sees them: last interaction, last delta, online when known."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import NotFound
from mhc.domain.models import Person, SnapshotWithDelta
from mhc.domain.profiles import online_status
from mhc.services import snapshots
from mhc.store import interactions as interaction_store
from mhc.store import presence
from mhc.store import profiles as profile_store
from mhc.store import watchlists as store
from mhc.store.profiles import ProfileRow


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
        found = profile_store.get_many(conn, ids)
        for person_id, profile in found.items():
            seen = profile.last_seen_online_at
            if seen is not None and (person_id not in online_at or seen > online_at[person_id]):
                online_at[person_id] = seen
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
