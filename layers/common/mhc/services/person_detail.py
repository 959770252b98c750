"""The person-detail read: everything MHC knows about one person, in one transaction."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.models import (
    Attribute,
    Interaction,
    Person,
    PersonAlias,
    SnapshotSource,
    SnapshotWithDelta,
    Watchlist,
)
from mhc.services import memory, snapshots, watchlists
from mhc.services.interactions import latest_for_person
from mhc.services.persons import get as get_person
from mhc.store import interactions as interaction_store
from mhc.store import persons as person_store

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


def person_detail(db: TransactionSource, person_id: int) -> PersonDetail:
    with db.transaction() as conn:
        return PersonDetail(
            person=get_person(conn, person_id),
            aliases=person_store.aliases(conn, person_id),
            latest_snapshots=snapshots.latest_per_source(conn, person_id),
            recent_interactions=latest_for_person(conn, person_id, RECENT_INTERACTIONS),
            interaction_counts=interaction_store.count_by_type(conn, person_id),
            watchlists=watchlists.of_person(conn, person_id),
            attributes=memory.attributes_of(conn, person_id),
        )
