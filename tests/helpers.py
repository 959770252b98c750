"""Small builders shared by tests, always through the production code path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mhc.db.connection import TransactionSource
from mhc.domain.models import Person
from mhc.domain.persons import Resolution
from mhc.domain.roles import Role
from mhc.services import ingest, persons
from mhc.services.ingest import IngestCounts

T0 = datetime(2026, 4, 1, 20, 0, tzinfo=UTC)


def seen(
    db: TransactionSource,
    username: str,
    *,
    at: datetime = T0,
    role: Role = Role.UNKNOWN,
    did: int | None = None,
    rid: int | None = None,
) -> tuple[Person, Resolution]:
    """A sighting of `username` as every collector records one (`persons.find_or_create`)."""
    with db.transaction() as conn:
        return persons.find_or_create(conn, username, role=role, did=did, rid=rid, seen_at=at)


def person_id(db: TransactionSource, username: str, *, at: datetime = T0) -> int:
    return seen(db, username, at=at)[0].id


def ingest_events(
    db: TransactionSource, envelopes: Sequence[Any], *, owner: str, received_at: datetime
) -> IngestCounts:
    """Store envelopes as one page through the live ingest path (its own transaction)."""
    return ingest.store_pages(db, [envelopes], owner=owner, received_at=received_at)
