"""The owner's memory about a person: attributes (with confidence and evidence) and notes."""

from __future__ import annotations

import re
import uuid

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput
from mhc.domain.models import (
    Attribute,
    Confidence,
    EvidenceKind,
    Interaction,
    InteractionSource,
    InteractionType,
    NewInteraction,
)
from mhc.services.interactions import latest_for_person, record
from mhc.services.persons import get as get_person
from mhc.services.persons import group_ids
from mhc.store import attributes as store

ATTRIBUTE_KEY = re.compile(r"^[a-z0-9_.\-]{1,64}\Z")
MAX_ATTRIBUTE_VALUE = 2000
MAX_NOTE_LENGTH = 10_000
#: Notes shown with a person's memory (newest first); the interactions route pages the rest.
RECENT_NOTES = 20
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}\Z")


def set_attribute(
    db: TransactionSource,
    person_id: int,
    key: str,
    value: str,
    *,
    confidence: Confidence,
    evidence_kind: EvidenceKind = EvidenceKind.MANUAL,
    snapshot_id: int | None = None,
    interaction_id: int | None = None,
    evidence_note: str | None = None,
) -> Attribute:
    """Set (or replace) one attribute; evidence must point at this person's own records."""
    if not ATTRIBUTE_KEY.match(key):
        raise InvalidInput("key", "must be 1-64 of a-z, 0-9, '_', '.', '-'")
    if not value.strip() or len(value) > MAX_ATTRIBUTE_VALUE:
        raise InvalidInput("value", f"must be 1-{MAX_ATTRIBUTE_VALUE} characters")
    if evidence_note is not None and len(evidence_note) > MAX_ATTRIBUTE_VALUE:
        raise InvalidInput("evidence_note", f"must be at most {MAX_ATTRIBUTE_VALUE} characters")
    expected = {
        EvidenceKind.SNAPSHOT: (snapshot_id is not None, interaction_id is None),
        EvidenceKind.INTERACTION: (interaction_id is not None, snapshot_id is None),
        EvidenceKind.MANUAL: (snapshot_id is None, interaction_id is None),
        EvidenceKind.INFERRED: (snapshot_id is None, interaction_id is None),
    }[evidence_kind]
    if not all(expected):
        raise InvalidInput(
            "evidence_kind", f"{evidence_kind.value} evidence needs exactly its own id"
        )
    with db.transaction() as conn:
        person_id = get_person(conn, person_id).id
        rows = group_ids(conn, person_id)
        if snapshot_id is not None and not store.snapshot_belongs_to(conn, snapshot_id, rows):
            raise InvalidInput("snapshot_id", "is not a snapshot of this person")
        if interaction_id is not None and not store.interaction_belongs_to(
            conn, interaction_id, rows
        ):
            raise InvalidInput("interaction_id", "is not an interaction of this person")
        return store.upsert(
            conn,
            person_id,
            key,
            value.strip(),
            confidence=confidence,
            evidence_kind=evidence_kind,
            snapshot_id=snapshot_id,
            interaction_id=interaction_id,
            evidence_note=evidence_note,
        )


def attributes_of(conn: Conn, person_id: int) -> list[Attribute]:
    """The person's attributes (a merged row's fill in keys the survivor has not set)."""
    return store.of_person(conn, group_ids(conn, person_id))


def notes_of(conn: Conn, person_id: int, limit: int = RECENT_NOTES) -> list[Interaction]:
    """The owner's notes about a person, newest first."""
    return latest_for_person(conn, person_id, limit, types=(InteractionType.MANUAL_NOTE,))


def add_note(
    db: TransactionSource,
    person_id: int,
    text: str,
    *,
    idempotency_key: str | None = None,
    clock: Clock = utc_now,
) -> tuple[Interaction, bool]:
    """Add a MANUAL_NOTE interaction. The same `idempotency_key` never adds a second note."""
    body = text.strip()
    if not body:
        raise InvalidInput("text", "must not be empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidInput("text", f"must be at most {MAX_NOTE_LENGTH} characters")
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise InvalidInput("idempotency_key", "must be 1-100 of A-Z a-z 0-9 _ . : -")
    key = idempotency_key or uuid.uuid4().hex
    with db.transaction() as conn:
        person_id = get_person(conn, person_id).id
        return record(
            conn,
            NewInteraction(
                person_id=person_id,
                type=InteractionType.MANUAL_NOTE,
                source=InteractionSource.MANUAL,
                external_id=f"note:{person_id}:{key}",
                occurred_at=clock(),
                content=body,
            ),
        )
