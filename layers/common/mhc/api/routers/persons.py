"""Persons: search, detail, snapshot timeline, interactions, notes, attributes, role, aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

from mhc.api.deps import Context, Db
from mhc.api.routes import RouteTable
from mhc.api.schemas import (
    AliasRequest,
    AttributeRequest,
    DateTimeInRange,
    MergeRequest,
    NoteRequest,
    NoteResult,
    PersonPatch,
)
from mhc.domain.models import (
    Attribute,
    Interaction,
    InteractionSource,
    InteractionType,
    Page,
    Person,
    SnapshotSource,
    SnapshotWithDelta,
)
from mhc.domain.paging import MAX_PAGE_SIZE
from mhc.services import interactions, memory, persons, snapshots
from mhc.services.deletions import BY_OWNER_API
from mhc.services.person_detail import PersonDetail, person_detail
from mhc.services.persons import PersonDeletion

routes = RouteTable(prefix="/persons", tags=["persons"])

PersonId = Annotated[int, Path(ge=1, le=2**63 - 1, description="person id")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@routes.get("", response_model=list[Person])
def search_persons(
    db: Db,
    q: Annotated[str, Query(min_length=1, max_length=64, description="name prefix")],
    limit: Annotated[int, Query(ge=1, le=persons.MAX_SEARCH_RESULTS)] = 20,
    include_excluded: bool = False,
) -> list[Person]:
    """Autocomplete over current and past names (current-name matches first)."""
    return persons.search(db, q, limit=limit, include_excluded=include_excluded)


@routes.get("/{person_id}", response_model=PersonDetail)
def get_person(db: Db, context: Context, person_id: PersonId) -> PersonDetail:
    """Everything known about one person: identity, aliases, latest snapshots with deltas, ..."""
    return person_detail(db, person_id, clock=context.clock)


@routes.patch("/{person_id}", response_model=Person)
def update_person(db: Db, person_id: PersonId, patch: PersonPatch) -> Person:
    """Change the role (`null` = automatic again) and/or the excluded flag."""
    return persons.update(
        db,
        person_id,
        change_role="role" in patch.model_fields_set,
        role=patch.role,
        excluded=patch.is_excluded,
    )


@routes.get("/{person_id}/snapshots", response_model=list[SnapshotWithDelta])
def snapshot_timeline(
    db: Db,
    person_id: PersonId,
    source: SnapshotSource,
    since: DateTimeInRange | None = None,
    until: DateTimeInRange | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[SnapshotWithDelta]:
    """Snapshots of one source, oldest first, each with the delta to the one before."""
    return snapshots.timeline(db, person_id, source, since=since, until=until, limit=limit)


@routes.get("/{person_id}/interactions", response_model=Page[Interaction])
def person_interactions(
    db: Db,
    person_id: PersonId,
    type: Annotated[list[InteractionType] | None, Query()] = None,
    source: Annotated[list[InteractionSource] | None, Query()] = None,
    since: DateTimeInRange | None = None,
    until: DateTimeInRange | None = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    broadcaster: Annotated[
        str | None, Query(max_length=64, description="only in this room (e.g. the owner's)")
    ] = None,
) -> Page[Interaction]:
    """Newest first, filtered by type, source, room and time range; `cursor` pages on."""
    return interactions.of_person(
        db,
        person_id,
        types=tuple(type or ()),
        sources=tuple(source or ()),
        broadcaster=broadcaster,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )


@routes.post("/{person_id}/notes", response_model=NoteResult, status_code=status.HTTP_201_CREATED)
def add_note(
    db: Db, context: Context, person_id: PersonId, body: NoteRequest, response: Response
) -> NoteResult:
    """Add a note; the same `idempotency_key` twice adds one note (200 the second time)."""
    interaction, created = memory.add_note(
        db, person_id, body.text, idempotency_key=body.idempotency_key, clock=context.clock
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return NoteResult(interaction=interaction, created=created)


@routes.put("/{person_id}/attributes/{key}", response_model=Attribute)
def set_attribute(
    db: Db,
    person_id: PersonId,
    key: Annotated[str, Path(min_length=1, max_length=64)],
    body: AttributeRequest,
) -> Attribute:
    """Set or replace one attribute, with confidence and evidence."""
    return memory.set_attribute(
        db,
        person_id,
        key,
        body.value,
        confidence=body.confidence,
        evidence_kind=body.evidence_kind,
        snapshot_id=body.snapshot_id,
        interaction_id=body.interaction_id,
        evidence_note=body.evidence_note,
    )


@routes.post("/{person_id}/aliases", response_model=Person, status_code=status.HTTP_201_CREATED)
def link_alias(db: Db, context: Context, person_id: PersonId, body: AliasRequest) -> Person:
    """Record by hand that `old_username` was a past name of this person."""
    return persons.link_alias(
        db,
        person_id,
        body.old_username,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        clock=context.clock,
    )


@routes.post("/{person_id}/merge", response_model=Person)
def merge_person(db: Db, context: Context, person_id: PersonId, body: MergeRequest) -> Person:
    """`from` is the same human as this person: merge it in (history is not rewritten: the
    merged row points here; its name becomes an alias). Idempotent; undone by `unmerge`. Two
    different Statbate ids are a conflict (409), never guessed."""
    return persons.merge(db, person_id, body.from_id, clock=context.clock)


@routes.post("/{person_id}/unmerge", response_model=Person)
def unmerge_person(db: Db, context: Context, person_id: PersonId, body: MergeRequest) -> Person:
    """Undo the merge of `from` into this person; returns `from` as a person of its own."""
    return persons.unmerge(db, person_id, body.from_id, clock=context.clock)


@routes.delete("/{person_id}/aliases/{alias_id}", response_model=Person)
def remove_alias(
    db: Db, person_id: PersonId, alias_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Person:
    """Remove a past name the owner added by hand (Statbate's and merges' stay)."""
    return persons.remove_alias(db, person_id, alias_id)


@routes.delete("/{person_id}", response_model=PersonDeletion)
def delete_person(
    db: Db,
    context: Context,
    person_id: PersonId,
    confirm: Annotated[
        str,
        Query(min_length=1, max_length=64, description="the person's username, to confirm"),
    ],
) -> PersonDeletion:
    """Delete a person with no history of their own (a lookup typo): anyone with interactions,
    snapshots, follower counts, broadcasts, attributes or merges is a 409. The row is recorded
    in `deletions` first; deleting again answers that record with `changed: false`."""
    return persons.delete_unobserved(
        db, person_id, confirm=confirm, deleted_by=BY_OWNER_API, clock=context.clock
    )
