"""The person-detail read: everything MHC knows about one person, in one transaction (a
combined read over the concept services)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.models import (
    Attribute,
    Interaction,
    Person,
    PersonAlias,
    SnapshotSource,
    SnapshotWithDelta,
    Watchlist,
)
from mhc.domain.profiles import online_status
from mhc.services import interactions, memory, persons, profiles, snapshots, watchlists
from mhc.services.profiles import ProfileRow

RECENT_INTERACTIONS = 20


class PersonDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: Person
    aliases: list[PersonAlias]
    latest_snapshots: dict[SnapshotSource, SnapshotWithDelta]
    recent_interactions: list[Interaction]
    interaction_counts: dict[str, int]
    watchlists: list[Watchlist]
    attributes: list[Attribute]
    #: Broadcaster profile (affiliate feed + profile JSON); None when never seen broadcasting.
    profile: ProfileRow | None = None
    #: True when seen online in the affiliate feed within 10 minutes; None when unknown.
    online: bool | None = None
    #: Person rows merged into this one (one human found under two rows); each can be unmerged.
    merged: list[Person] = []
    #: The newest pastes that name them (a paste naming several people is recorded once).
    pastes: list[Interaction] = []


def person_detail(db: TransactionSource, person_id: int, *, clock: Clock = utc_now) -> PersonDetail:
    with db.transaction() as conn:
        person = persons.get(conn, person_id)
        person_id = person.id  # a merged row reads as its survivor
        profile = profiles.get(conn, person_id)
        return PersonDetail(
            person=person,
            aliases=persons.aliases_of(conn, person_id),
            latest_snapshots=snapshots.latest_per_source(conn, person_id),
            recent_interactions=interactions.latest_for_person(
                conn, person_id, RECENT_INTERACTIONS
            ),
            interaction_counts=interactions.counts_by_type(conn, person_id),
            watchlists=watchlists.of_person(conn, person_id),
            attributes=memory.attributes_of(conn, person_id),
            profile=profile,
            online=online_status(profile.last_seen_online_at if profile else None, clock()),
            merged=persons.merged_into(conn, person_id),
            pastes=interactions.pastes_naming(conn, person_id),
        )
