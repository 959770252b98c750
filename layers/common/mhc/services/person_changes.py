"""The owner's corrections to a person (role, exclusion) applied together in one transaction."""

from __future__ import annotations

from mhc.db.connection import TransactionSource
from mhc.domain.models import Person
from mhc.domain.roles import Role
from mhc.services.persons import get as get_person
from mhc.store import persons as store


def update(
    db: TransactionSource,
    person_id: int,
    *,
    change_role: bool = False,
    role: Role | None = None,
    excluded: bool | None = None,
) -> Person:
    """`change_role` with `role=None` hands the role back to the automatic rules."""
    with db.transaction() as conn:
        person = get_person(conn, person_id)
        if change_role:
            changed = store.set_role(conn, person_id, role or Role.UNKNOWN, manual=role is not None)
            assert changed is not None
            person = changed
        if excluded is not None:
            changed = store.set_excluded(conn, person_id, excluded)
            assert changed is not None
            person = changed
        return person
