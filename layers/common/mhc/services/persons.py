"""Persons: find-or-create with rename detection (one and a page at a time), the owner's
corrections (role, exclusion, aliases), search."""

from __future__ import annotations

from datetime import datetime, timedelta

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import Conflict, InvalidInput, NotFound
from mhc.domain.models import AliasSource, Person, PersonAlias
from mhc.domain.persons import Candidate, Resolution, resolve_identity
from mhc.domain.roles import Role, merge_role
from mhc.domain.usernames import (
    USERNAME_PATTERN,
    InvalidUsername,
    is_auto_excluded,
    normalize_username,
)
from mhc.observability import logger
from mhc.store import persons as store

MAX_SEARCH_RESULTS = 50
#: last_seen_at moves in steps of at least this much during ingest: a regular chatting all
#: night would otherwise rewrite their person row on every page.
LAST_SEEN_RESOLUTION = timedelta(minutes=10)


def valid_username(value: str, field: str = "username") -> str:
    try:
        return normalize_username(value)
    except InvalidUsername as exc:
        raise InvalidInput(field, str(exc)) from None


def _candidate(person: Person | None) -> Candidate | None:
    if person is None:
        return None
    return Candidate(person.id, person.username, person.did, person.rid)


def find_or_create(
    conn: Conn,
    username: str,
    *,
    role: Role = Role.UNKNOWN,
    did: int | None = None,
    rid: int | None = None,
    seen_at: datetime,
) -> tuple[Person, Resolution]:
    """The person behind a sighting of `username` (with optional Statbate ids), inside `conn`'s
    transaction. A Statbate id already held under another name is a rename, not a new person.
    """
    name = valid_username(username)
    by_name = store.find_by_username(conn, name, for_update=True)
    by_id = (
        None if by_name is not None else store.find_by_statbate_id(conn, did, rid, for_update=True)
    )
    by_alias = None if by_name is not None or by_id is not None else store.find_by_alias(conn, name)
    resolution, match = resolve_identity(
        _candidate(by_name), _candidate(by_alias), _candidate(by_id), did, rid
    )
    if resolution is Resolution.CONFLICT:
        raise Conflict(
            f"{name} is known with a different Statbate id; link or rename the person by hand"
        )
    if resolution is Resolution.NEW:
        created = store.insert(
            conn,
            name,
            role=role,
            did=did,
            rid=rid,
            is_excluded=is_auto_excluded(name),
            seen_at=seen_at,
        )
        if created is not None:
            return created, resolution
        # Another transaction created the name first: use it.
        existing = store.find_by_username(conn, name, for_update=True)
        assert existing is not None
        return _sighted(conn, existing, role, did, rid, seen_at), Resolution.EXISTING
    assert match is not None
    person = store.get(conn, match.person_id, for_update=True)
    assert person is not None
    if resolution is Resolution.RENAMED:
        source = (
            AliasSource.STATBATE_DID
            if did is not None and person.did == did
            else AliasSource.STATBATE_RID
        )
        logger.info("rename detected", extra={"person_id": person.id, "source": source.value})
        person = store.rename(conn, person, name, at=seen_at, source=source)
    return _sighted(conn, person, role, did, rid, seen_at), resolution


def _sighted(
    conn: Conn, person: Person, role: Role, did: int | None, rid: int | None, seen_at: datetime
) -> Person:
    # Ids held by someone else are not copied over: that would break uniqueness and needs a
    # manual merge decision.
    if did is not None and person.did is None and store.find_by_statbate_id(conn, did, None):
        did = None
    if rid is not None and person.rid is None and store.find_by_statbate_id(conn, None, rid):
        rid = None
    new_role = merge_role(person.role, role)
    unchanged = (
        new_role == person.role
        and (did is None or person.did is not None)
        and (rid is None or person.rid is not None)
        and person.first_seen_at <= seen_at <= person.last_seen_at
    )
    if unchanged:
        return person
    return store.record_sighting(conn, person.id, role=new_role, did=did, rid=rid, seen_at=seen_at)


def get(conn: Conn, person_id: int) -> Person:
    person = store.get(conn, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def by_current_name(conn: Conn, username: str) -> Person | None:
    """The person whose current name is `username` (no side effects; past names not matched)."""
    return store.find_by_username(conn, username)


def aliases_of(conn: Conn, person_id: int) -> list[PersonAlias]:
    return store.aliases(conn, person_id)


def update(
    db: TransactionSource,
    person_id: int,
    *,
    change_role: bool = False,
    role: Role | None = None,
    excluded: bool | None = None,
) -> Person:
    """The owner's corrections, applied together. `change_role` with `role=None` hands the role
    back to the automatic rules; a role given is manual and sticks."""
    with db.transaction() as conn:
        person = get(conn, person_id)
        if change_role:
            changed = store.set_role(conn, person_id, role or Role.UNKNOWN, manual=role is not None)
            assert changed is not None
            person = changed
        if excluded is not None:
            changed = store.set_excluded(conn, person_id, excluded)
            assert changed is not None
            person = changed
        return person


def link_alias(
    db: TransactionSource,
    person_id: int,
    old_username: str,
    *,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    clock: Clock = utc_now,
) -> Person:
    """Record by hand that `old_username` was a past name of the person."""
    name = valid_username(old_username, "old_username")
    now = clock()
    end = valid_to or now
    start = valid_from or end
    if start > end:
        raise InvalidInput("valid_from", "must not be after valid_to")
    with db.transaction() as conn:
        person = get(conn, person_id)
        if name == person.username:
            raise InvalidInput("old_username", "is the person's current name")
        holder = store.find_by_username(conn, name)
        if holder is not None:
            raise Conflict(f"{name} is the current name of person {holder.id}")
        store.add_alias(
            conn, person_id, name, valid_from=start, valid_to=end, source=AliasSource.MANUAL
        )
        return person


def search(
    db: TransactionSource, prefix: str, *, limit: int = 20, include_excluded: bool = False
) -> list[Person]:
    text = prefix.strip().lower()
    if not USERNAME_PATTERN.match(text):
        raise InvalidInput("q", "must be 1-64 letters, digits or underscores")
    if not 1 <= limit <= MAX_SEARCH_RESULTS:
        raise InvalidInput("limit", f"must be between 1 and {MAX_SEARCH_RESULTS}")
    with db.transaction() as conn:
        return store.search(conn, text, limit=limit, include_excluded=include_excluded)


def resolve_sightings(
    conn: Conn,
    roles: dict[str, Role],
    first_seen: dict[str, datetime],
    last_seen: dict[str, datetime],
) -> dict[str, int]:
    """Bulk find-or-create for one page of events: username -> person id.

    Names are matched on current names, then past names (aliases); the rest are created.
    Events carry no Statbate ids, so no rename can be detected here.
    """
    names = sorted(roles)
    if not names:
        return {}
    found = store.sighting_states(conn, names)
    missing = [name for name in names if name not in found]
    if missing:
        found.update(store.sighting_states_by_alias(conn, missing))
    new_rows = [
        (name, roles[name], is_auto_excluded(name), first_seen[name], last_seen[name])
        for name in names
        if name not in found
    ]
    created = store.insert_sighted(conn, new_rows)
    raced = [row[0] for row in new_rows if row[0] not in created]
    if raced:  # created concurrently by another transaction: treat as existing
        found.update(store.sighting_states(conn, raced))
    updates = []
    for name, person in found.items():
        role = person.role if person.role_is_manual else merge_role(person.role, roles[name])
        if (
            role != person.role
            or first_seen[name] < person.first_seen_at
            or last_seen[name] - person.last_seen_at >= LAST_SEEN_RESOLUTION
        ):
            updates.append((person.id, role, first_seen[name], last_seen[name]))
    store.record_sightings_many(conn, updates)
    return {name: person.id for name, person in {**found, **created}.items()}
