"""Small builders shared by tests, always through the production code path."""

from __future__ import annotations

from datetime import UTC, datetime

from mhc.db.connection import TransactionSource
from mhc.domain.models import Person
from mhc.domain.persons import Resolution
from mhc.domain.roles import Role
from mhc.services import persons

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
