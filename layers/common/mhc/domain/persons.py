"""Identity rules: how a sighting (name, Statbate id) resolves to a person."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Resolution(StrEnum):
    EXISTING = "existing"  # the name is the person's current name
    ALIAS = "alias"  # the name is a past name of the person
    RENAMED = "renamed"  # the Statbate id belongs to a person known under another name
    #: The name's holder and the Statbate id's holder are one human under two rows: the name's
    #: row is merged into the id's (which takes the name, the old one kept as an alias).
    MERGED = "merged"
    NEW = "new"
    CONFLICT = "conflict"  # the name's current holder has a different Statbate id


@dataclass(frozen=True)
class Candidate:
    """A person found by name or by Statbate id."""

    person_id: int
    username: str
    did: int | None
    rid: int | None


def resolve_identity(
    by_name: Candidate | None,
    by_alias: Candidate | None,
    by_statbate_id: Candidate | None,
    did: int | None,
    rid: int | None,
) -> tuple[Resolution, Candidate | None]:
    """Decide which person a sighting of a name (plus optional did/rid) refers to.

    A Statbate id is stable across renames, so it outranks past names: a did/rid held by a
    person under another name means that person renamed. When the name itself is also held (by a
    row without a conflicting id), the two rows are one human: MERGED, the id's holder surviving.
    A current-name match whose person holds a *different* id of the same kind is a conflict the
    owner must settle by hand.
    """
    if by_name is not None:
        if not _compatible(by_name, did, rid):
            return Resolution.CONFLICT, by_name
        if by_statbate_id is not None and by_statbate_id.person_id != by_name.person_id:
            return Resolution.MERGED, by_statbate_id
        return Resolution.EXISTING, by_name
    if by_statbate_id is not None:
        return Resolution.RENAMED, by_statbate_id
    if by_alias is not None and _compatible(by_alias, did, rid):
        return Resolution.ALIAS, by_alias
    return Resolution.NEW, None


def _compatible(candidate: Candidate, did: int | None, rid: int | None) -> bool:
    if did is not None and candidate.did is not None and candidate.did != did:
        return False
    return not (rid is not None and candidate.rid is not None and candidate.rid != rid)
