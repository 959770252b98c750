"""Persons: find-or-create with rename detection (one and a page at a time), the owner's
corrections (role, exclusion, aliases), search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.deletions import Deletion
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
from mhc.services import deletions
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
    seen_at: datetime | None,
    at: datetime | None = None,
) -> tuple[Person, Resolution]:
    """The person behind `username` (with optional Statbate ids), inside `conn`'s transaction.

    `seen_at` is when they were observed (an event, a feed sighting, a snapshot); None when the
    owner only looked them up (`at`): that never moves their seen window. A Statbate id already
    held under another name is a rename, not a new person; when that other name's row exists
    too, the two rows are merged (reversibly: `unmerge`).
    """
    when = seen_at or at
    if when is None:
        raise ValueError("find_or_create needs seen_at or at")
    name = valid_username(username)
    by_name = store.find_by_username(conn, name, for_update=True)
    by_id = store.find_by_statbate_id(conn, did, rid, for_update=True)
    by_alias = None if by_name is not None or by_id is not None else store.find_by_alias(conn, name)
    resolution, match = resolve_identity(
        _candidate(by_name), _candidate(by_alias), _candidate(by_id), did, rid
    )
    if resolution is Resolution.CONFLICT:
        raise Conflict(
            f"{name} is known with a different Statbate id; merge or rename the person by hand"
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
            at=when,
        )
        if created is not None:
            return created, resolution
        # Another transaction created the name first: use it.
        existing = store.find_by_username(conn, name, for_update=True)
        assert existing is not None
        return _sighted(conn, existing, role, did, rid, seen_at), Resolution.EXISTING
    assert match is not None
    source = (
        AliasSource.STATBATE_DID
        if did is not None and match.did == did
        else AliasSource.STATBATE_RID
    )
    if resolution is Resolution.MERGED:
        assert by_name is not None
        logger.info(
            "rename detected: merging", extra={"person_id": match.person_id, "merged": by_name.id}
        )
        person = _merge(conn, match.person_id, by_name.id, reason=source.value, at=when)
        return _sighted(conn, person, role, did, rid, seen_at), resolution
    found = store.get(conn, match.person_id, for_update=True)
    assert found is not None
    person = found
    if resolution is Resolution.RENAMED:
        logger.info("rename detected", extra={"person_id": person.id, "source": source.value})
        person = store.rename(conn, person, name, at=when, source=source)
    return _sighted(conn, person, role, did, rid, seen_at), resolution


def _sighted(
    conn: Conn,
    person: Person,
    role: Role,
    did: int | None,
    rid: int | None,
    seen_at: datetime | None,
) -> Person:
    # Ids held by someone else are not copied over: that would break uniqueness and needs a
    # merge decision.
    if did is not None and person.did is None and store.find_by_statbate_id(conn, did, None):
        did = None
    if rid is not None and person.rid is None and store.find_by_statbate_id(conn, None, rid):
        rid = None
    new_role = merge_role(person.role, role)
    seen_inside = seen_at is None or (
        person.first_seen_at is not None
        and person.last_seen_at is not None
        and person.first_seen_at <= seen_at <= person.last_seen_at
    )
    unchanged = (
        new_role == person.role
        and (did is None or person.did is not None)
        and (rid is None or person.rid is not None)
        and seen_inside
    )
    if unchanged:
        return person
    return store.record_sighting(conn, person.id, role=new_role, did=did, rid=rid, seen_at=seen_at)


def get(conn: Conn, person_id: int) -> Person:
    """The person `person_id` counts as: itself, or the person it was merged into."""
    person = store.get(conn, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    if person.merged_into is not None:
        survivor = store.get(conn, person.merged_into)
        assert survivor is not None
        return survivor
    return person


def group_ids(conn: Conn, person_id: int) -> list[int]:
    """Every row id that counts as this (current) person: reads of their history use these."""
    return store.group_ids(conn, person_id)


def groups(conn: Conn, person_ids: list[int]) -> dict[int, list[int]]:
    return store.groups(conn, person_ids)


def named(db: TransactionSource, reference: str) -> Person:
    """The person a command line names: an id, or a current or past name (no side effects)."""
    with db.transaction() as conn:
        if reference.isdigit():
            return get(conn, int(reference))
        name = valid_username(reference, "person")
        found = store.find_by_username(conn, name) or store.find_by_alias(conn, name)
        if found is None:
            raise NotFound(f"no person is or was called {name}")
        return found


def known_as(conn: Conn, username: str) -> int | None:
    """The person MHC knows by this current or past name, without creating anyone."""
    found = store.find_by_username(conn, username) or store.find_by_alias(conn, username)
    return None if found is None else found.id


def by_current_name(conn: Conn, username: str) -> Person | None:
    """The person whose current name is `username` (no side effects; past names not matched)."""
    return store.find_by_username(conn, username)


def aliases_of(conn: Conn, person_id: int) -> list[PersonAlias]:
    """Past names of the person and of every row merged into them."""
    return store.aliases(conn, store.group_ids(conn, person_id))


def merged_into(conn: Conn, person_id: int) -> list[Person]:
    """The rows merged into this person (each can be unmerged)."""
    return store.merged_into_this(conn, person_id)


def update(
    db: TransactionSource,
    person_id: int,
    *,
    change_role: bool = False,
    role: Role | None = None,
    excluded: bool | None = None,
) -> Person:
    """The owner's corrections, applied together. `change_role` with `role=None` hands the role
    back to the automatic rules; a role given is manual and sticks. Excluding a person puts them
    on the Excluded watchlist and back (the database keeps the two equal)."""
    with db.transaction() as conn:
        person = get(conn, person_id)
        if change_role:
            person = set_role(conn, person.id, role)
        if excluded is not None:
            changed = store.set_excluded(conn, person.id, excluded)
            assert changed is not None
            person = changed
        return person


def set_role(conn: Conn, person_id: int, role: Role | None) -> Person:
    """The owner's role for a person (manual: later observations never change it); None hands
    it back to the automatic rules."""
    changed = store.set_role(conn, person_id, role or Role.UNKNOWN, manual=role is not None)
    assert changed is not None
    return changed


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
            raise Conflict(
                f"{name} is the current name of person {holder.id}: if they are one human, "
                f"merge them (POST /api/persons/{person.id}/merge with from={holder.id})"
            )
        store.add_alias(
            conn, person.id, name, valid_from=start, valid_to=end, source=AliasSource.MANUAL
        )
        return person


def remove_alias(db: TransactionSource, person_id: int, alias_id: int) -> Person:
    """Remove a past name the owner added by hand (Statbate's and merges' are evidence: they
    stay, an unmerge removes a merge's)."""
    with db.transaction() as conn:
        person = get(conn, person_id)
        alias = store.get_alias(conn, alias_id)
        if alias is None or alias.person_id not in store.group_ids(conn, person.id):
            raise NotFound(f"alias {alias_id} of person {person.id} not found")
        if alias.source is not AliasSource.MANUAL:
            raise Conflict(
                f"alias {alias_id} comes from {alias.source.value}, not from the owner: "
                "only manual aliases can be removed"
            )
        store.delete_aliases(conn, [alias_id])
        return person


# -- merges ------------------------------------------------------------------------------
MergeReason = str  # "statbate_did" | "statbate_rid" | "manual"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _merge(conn: Conn, into_id: int, from_id: int, *, reason: MergeReason, at: datetime) -> Person:
    """Merge person `from_id` into `into_id` inside the caller's transaction; returns the
    survivor. A Statbate merge (`reason` statbate_*) means the human now goes by the merged
    row's name: the survivor takes it and keeps its old one as an alias. A manual merge keeps
    the survivor's name and records the merged row's as an alias. History is never rewritten:
    the merged row only points at the survivor, and every change is logged for `unmerge`."""
    first, second = sorted((into_id, from_id))
    locked = {pid: store.get(conn, pid, for_update=True) for pid in (first, second)}
    into, other = locked[into_id], locked[from_id]
    if into is None or other is None:
        missing = into_id if into is None else from_id
        raise NotFound(f"person {missing} not found")
    if into.merged_into is not None:
        raise Conflict(
            f"person {into.id} is merged into person {into.merged_into}: merge into that one"
        )
    if other.merged_into == into.id:
        return into  # already merged: idempotent
    if other.merged_into is not None:
        raise Conflict(f"person {other.id} is already merged into person {other.merged_into}")
    for kind in ("did", "rid"):
        mine, theirs = getattr(into, kind), getattr(other, kind)
        if mine is not None and theirs is not None and mine != theirs:
            raise Conflict(
                f"persons {into.id} and {other.id} have different Statbate {kind}s "
                f"({mine} and {theirs}): Statbate says they are two members, refusing to merge"
            )
    take_name = reason != "manual"
    repointed = [p.id for p in store.merged_into_this(conn, other.id)]
    changes: dict[str, Any] = {
        "survivor": {
            "username": into.username,
            "username_since": _iso(into.username_since),
            "did": into.did,
            "rid": into.rid,
            "role": into.role.value,
            "role_is_manual": into.role_is_manual,
            "is_excluded": into.is_excluded,
            "first_seen_at": _iso(into.first_seen_at),
            "last_seen_at": _iso(into.last_seen_at),
        },
        "merged": {"did": other.did, "rid": other.rid},
        "took_name": take_name,
        "repointed": repointed,
    }
    store.repoint_merged(conn, repointed, into.id)
    # Free the merged row's name and ids before the survivor takes them (unique indexes).
    store.set_identity(
        conn,
        other.id,
        username=other.username,
        username_since=other.username_since,
        did=None,
        rid=None,
    )
    store.set_merged_into(conn, other.id, into.id)
    alias_ids: list[int | None] = []
    if take_name:
        valid_to = max(at, into.username_since)
        alias_ids.append(
            store.add_alias(
                conn,
                into.id,
                into.username,
                valid_from=into.username_since,
                valid_to=valid_to,
                source=AliasSource(reason),
            )
        )
        username, since = other.username, valid_to
    else:
        alias_ids.append(
            store.add_alias(
                conn,
                into.id,
                other.username,
                valid_from=min(other.username_since, at),
                valid_to=at,
                source=AliasSource.MERGE,
            )
        )
        username, since = into.username, into.username_since
    store.set_identity(
        conn,
        into.id,
        username=username,
        username_since=since,
        did=into.did if into.did is not None else other.did,
        rid=into.rid if into.rid is not None else other.rid,
    )
    changes["alias_ids"] = [alias_id for alias_id in alias_ids if alias_id is not None]
    seen = [t for t in (into.first_seen_at, other.first_seen_at) if t is not None]
    last = [t for t in (into.last_seen_at, other.last_seen_at) if t is not None]
    survivor = store.set_state(
        conn,
        into.id,
        role=into.role if into.role_is_manual else merge_role(into.role, other.role),
        role_is_manual=into.role_is_manual,
        is_excluded=into.is_excluded or other.is_excluded,
        first_seen_at=min(seen) if seen else None,
        last_seen_at=max(last) if last else None,
    )
    store.log_merge(
        conn,
        action="merge",
        person_id=into.id,
        merged_id=other.id,
        reason=reason,
        at=at,
        changes=changes,
    )
    return survivor


def merge(db: TransactionSource, into_id: int, from_id: int, *, clock: Clock = utc_now) -> Person:
    """The owner says persons `into_id` and `from_id` are one human: `from_id` is merged into
    `into_id` (idempotent, reversible by `unmerge`)."""
    if into_id == from_id:
        raise InvalidInput("from", "is the same person")
    with db.transaction() as conn:
        return _merge(conn, into_id, from_id, reason="manual", at=clock())


def unmerge(db: TransactionSource, into_id: int, from_id: int, *, clock: Clock = utc_now) -> Person:
    """Undo the merge of `from_id` into `into_id`: both are persons of their own again, with
    the names, Statbate ids, flags and aliases they had (idempotent)."""
    with db.transaction() as conn:
        first, second = sorted((into_id, from_id))
        locked = {pid: store.get(conn, pid, for_update=True) for pid in (first, second)}
        into, other = locked.get(into_id), locked.get(from_id)
        if into is None or other is None:
            missing = into_id if into is None else from_id
            raise NotFound(f"person {missing} not found")
        if other.merged_into is None:
            return other  # nothing to undo
        if other.merged_into != into.id:
            raise Conflict(f"person {other.id} is merged into person {other.merged_into}")
        record = store.last_merge(conn, into.id, other.id)
        if record is None or record["action"] != "merge":
            raise Conflict(f"no recorded merge of person {other.id} into person {into.id}")
        changes: dict[str, Any] = record["changes"]
        before = changes["survivor"]
        if changes.get("took_name") and into.username != other.username:
            raise Conflict(
                f"person {into.id} was renamed since the merge ({into.username}); "
                "rename it back before unmerging"
            )
        store.delete_aliases(conn, changes.get("alias_ids", []))
        # The survivor gives back the merged row's name and ids before the row takes them.
        store.set_identity(
            conn,
            into.id,
            username=before["username"] if changes.get("took_name") else into.username,
            username_since=_time(before["username_since"]) or into.username_since
            if changes.get("took_name")
            else into.username_since,
            did=before["did"],
            rid=before["rid"],
        )
        store.set_merged_into(conn, other.id, None)
        store.set_identity(
            conn,
            other.id,
            username=other.username,
            username_since=other.username_since,
            did=changes["merged"]["did"],
            rid=changes["merged"]["rid"],
        )
        store.repoint_merged(conn, changes.get("repointed", []), other.id)
        store.set_state(
            conn,
            into.id,
            role=Role(before["role"]) if not into.role_is_manual else into.role,
            role_is_manual=into.role_is_manual,
            is_excluded=before["is_excluded"],
            first_seen_at=_time(before["first_seen_at"]),
            last_seen_at=max(
                (t for t in (_time(before["last_seen_at"]),) if t is not None), default=None
            ),
        )
        store.log_merge(
            conn,
            action="unmerge",
            person_id=into.id,
            merged_id=other.id,
            reason=record["reason"],
            at=clock(),
            changes={},
        )
        restored = store.get(conn, other.id)
        assert restored is not None
        return restored


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
    """Bulk find-or-create for a batch of sightings: username -> person id (`resolve_names`)."""
    names = sorted(roles)
    batch = sighted(
        names,
        [roles[name].value for name in names],
        [first_seen[name] for name in names],
        [last_seen[name] for name in names],
    )
    return dict(zip(names, resolve_names(conn, batch), strict=True))


#: A batch of sightings, ready for `resolve_names`.
Sighted = store.Sighted


def sighted(
    names: Sequence[str],
    roles: Sequence[str],
    first_seen: Sequence[datetime],
    last_seen: Sequence[datetime],
) -> Sighted:
    """`names` (distinct, valid, sorted: every writer creates names in one order), each seen in
    its role between its first and last sighting, ready for `resolve_names` (pure: ingest builds
    it in its second process)."""
    return store.sighted(
        names, roles, [is_auto_excluded(name) for name in names], first_seen, last_seen
    )


def resolve_names(conn: Conn, batch: Sighted) -> list[int]:
    """The person id of each name of `batch`, in its order, in one statement.

    Names are matched on current names, then past names (as the person they count as now); the
    rest are created (auto-excluded ones on the Excluded list). Events carry no Statbate ids, so
    no rename can be detected here. A known person's row is rewritten only for news: a role, an
    earlier first sighting, or a last one `LAST_SEEN_RESOLUTION` later (decision 18).
    """
    return store.resolve_sighted(conn, batch, last_seen_step=LAST_SEEN_RESOLUTION)


# -- deleting a person who has no history -------------------------------------------------
#: `deletions.kind` of a deleted person.
DELETION_KIND = "persons"


class PersonDeletion(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: The person as it was.
    person: Person
    #: The record kept of it.
    deletion: Deletion
    #: False when it had already been deleted (this call changed nothing).
    changed: bool


def delete_unobserved(
    db: TransactionSource,
    person_id: int,
    *,
    confirm: str,
    deleted_by: str,
    clock: Clock = utc_now,
) -> PersonDeletion:
    """Delete a person with no history of their own (a lookup typo): no interactions, snapshots,
    follower counts, broadcasts, attributes or merges. `confirm` must be their username. The row
    is recorded in `deletions` first; deleting again answers that record."""
    with db.transaction() as conn:
        person = store.get(conn, person_id, for_update=True)
        if person is None:
            previous = deletions.find(conn, DELETION_KIND, person_id)
            if previous is None:
                raise NotFound(f"person {person_id} not found")
            return PersonDeletion(
                person=Person.model_validate(previous.deleted_row),
                deletion=previous,
                changed=False,
            )
        if confirm != person.username:
            raise InvalidInput("confirm", f"must be the person's username ({person.username})")
        if person.merged_into is not None:
            raise Conflict(
                f"person {person_id} is merged into person {person.merged_into}: unmerge it first"
            )
        history = store.history_of(conn, person_id)
        if history:
            held = ", ".join(f"{count} {kind}" for kind, count in history.items())
            raise Conflict(f"{person.username} has history of their own ({held}): kept")
        deletion = deletions.record(
            conn,
            kind=DELETION_KIND,
            row_key=person_id,
            deleted_row=jsonable(store.deletable_row(conn, person_id)),
            deleted_by=deleted_by,
            deleted_at=clock(),
        )
        store.delete(conn, person_id)
        return PersonDeletion(person=person, deletion=deletion, changed=True)


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
    }
