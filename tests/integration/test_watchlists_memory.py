from datetime import UTC, datetime, timedelta

import pytest
from helpers import person_id
from mhc.db.connection import Database
from mhc.domain.errors import InvalidInput, NotFound
from mhc.domain.models import (
    Confidence,
    EvidenceKind,
    InteractionSource,
    InteractionType,
    NewInteraction,
    SnapshotSource,
)
from mhc.services import interactions, memory, snapshots, watchlists

T0 = datetime(2026, 7, 1, tzinfo=UTC)


def test_five_system_watchlists_are_seeded(db: Database) -> None:
    assert [w.name for w in watchlists.list_all(db)] == [
        "Friends",
        "Known Streamers",
        "Ones to Watch",
        "Banned But Craved",
        "Excluded",
    ]


def test_add_remove_are_idempotent_and_members_carry_context(db: Database) -> None:
    friends = watchlists.list_all(db)[0].id
    pid = person_id(db, "friend_one", at=T0)
    assert watchlists.add(db, friends, pid) is True
    assert watchlists.add(db, friends, pid) is False
    with db.transaction() as conn:
        for hour, tokens in ((0, 100), (1, 150)):
            snapshots.append(
                conn,
                pid,
                SnapshotSource.STATBATE_MEMBER,
                captured_at=T0 + timedelta(hours=hour),
                raw_payload={},
                normalized_metrics={"all_time_tokens": tokens},
            )
        interactions.record(
            conn,
            NewInteraction(
                person_id=pid,
                type=InteractionType.CHAT_MESSAGE,
                source=InteractionSource.CB_EVENTS,
                external_id="w1",
                occurred_at=T0 + timedelta(hours=3),
            ),
        )
    [member] = watchlists.members(db, friends)
    assert member.person.username == "friend_one"
    assert member.last_interaction_at == T0 + timedelta(hours=3)
    assert member.last_snapshot is not None
    assert member.last_snapshot.delta == {"all_time_tokens": 50}
    assert watchlists.remove(db, friends, pid) is True
    assert watchlists.remove(db, friends, pid) is False
    assert watchlists.members(db, friends) == []
    with pytest.raises(NotFound):
        watchlists.add(db, 9999, pid)


def test_attributes_need_evidence_of_the_same_person(db: Database) -> None:
    pid = person_id(db, "subject", at=T0)
    other = person_id(db, "someone_else", at=T0)
    with db.transaction() as conn:
        snap = snapshots.append(
            conn,
            other,
            SnapshotSource.MANUAL,
            captured_at=T0,
            raw_payload={},
            normalized_metrics={},
        )
    with pytest.raises(InvalidInput, match="snapshot_id"):
        memory.set_attribute(
            db,
            pid,
            "tipper",
            "yes",
            confidence=Confidence.HIGH,
            evidence_kind=EvidenceKind.SNAPSHOT,
            snapshot_id=snap.id,
        )
    with pytest.raises(InvalidInput, match="key"):
        memory.set_attribute(db, pid, "Bad Key", "x", confidence=Confidence.LOW)
    first = memory.set_attribute(db, pid, "timezone", "UTC+1", confidence=Confidence.LOW)
    second = memory.set_attribute(
        db, pid, "timezone", "UTC+2", confidence=Confidence.MEDIUM, evidence_note="said so in chat"
    )
    assert first.id == second.id
    assert (second.value, second.confidence) == ("UTC+2", Confidence.MEDIUM)


def test_notes_are_interactions_and_idempotent_by_key(db: Database) -> None:
    pid = person_id(db, "noted", at=T0)
    note, new = memory.add_note(db, pid, "  likes purple  ", idempotency_key="k1", clock=lambda: T0)
    again, new_again = memory.add_note(
        db, pid, "likes purple", idempotency_key="k1", clock=lambda: T0
    )
    assert (new, new_again) == (True, False)
    assert note.id == again.id
    assert note.type is InteractionType.MANUAL_NOTE
    assert note.content == "likes purple"
    with pytest.raises(NotFound):
        memory.add_note(db, 424242, "nobody")
    with pytest.raises(InvalidInput):
        memory.add_note(db, pid, "   ")
