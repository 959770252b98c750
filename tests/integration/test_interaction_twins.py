"""An imported copy of a live-captured interaction, linked as its twin, is shown and counted
once: in the person's timeline and counts, the session's figures and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import person_id
from mhc.db.connection import Database
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.services import interactions, sessions

OWNER = "the_owner"
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


def _tip(pid: int, source: InteractionSource, external_id: str, seconds: int) -> NewInteraction:
    return NewInteraction(
        person_id=pid,
        type=InteractionType.TIP_EVENT,
        source=source,
        external_id=external_id,
        occurred_at=T0 + timedelta(seconds=seconds),
        broadcaster=OWNER,
        content="lovely twin tip",
        metadata={"tokens": 50},
    )


def test_a_linked_twin_counts_once_everywhere(db: Database) -> None:
    # Given a session with a live tip and its imported copy, linked as twins
    pid = person_id(db, "tipper", at=T0)
    session = sessions.start(db, clock=lambda: T0 - timedelta(minutes=5))
    with db.transaction() as conn:
        live, _ = interactions.record(conn, _tip(pid, InteractionSource.CB_EVENTS, "live-1", 0))
        copy, _ = interactions.record(conn, _tip(pid, InteractionSource.STATBATE_PLUS, "imp-1", 40))
        conn.execute(
            "INSERT INTO interaction_twins (interaction_id, twin_of, reason) VALUES (%s, %s, %s)",
            (copy.id, live.id, "same sender, tokens and room within 2 minutes"),
        )
    sessions.end(db, clock=lambda: T0 + timedelta(hours=1))
    # Then the timeline, the counts, the session and search show the tip once (the live one)
    timeline = interactions.of_person(db, pid)
    assert [i.id for i in timeline.items] == [live.id]
    with db.transaction() as conn:
        assert interactions.counts_by_type(conn, pid) == {"TIP_EVENT": 1}
    detail = sessions.detail(db, session.id, owner=OWNER, clock=lambda: T0 + timedelta(hours=2))
    assert (detail.stats.tips, detail.stats.tokens) == (1, 50)
    assert [i.id for i in detail.interactions.items] == [live.id]
    assert [i.id for i in interactions.search(db, "twin").items] == [live.id]


def test_a_twin_link_is_append_only(db: Database) -> None:
    pid = person_id(db, "tipper", at=T0)
    with db.transaction() as conn:
        live, _ = interactions.record(conn, _tip(pid, InteractionSource.CB_EVENTS, "live-1", 0))
        copy, _ = interactions.record(conn, _tip(pid, InteractionSource.STATBATE_PLUS, "imp-1", 4))
        conn.execute(
            "INSERT INTO interaction_twins (interaction_id, twin_of, reason) VALUES (%s, %s, 'x')",
            (copy.id, live.id),
        )
    with pytest.raises(Exception, match="append-only"), db.transaction() as conn:
        conn.execute("DELETE FROM interaction_twins")
