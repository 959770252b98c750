"""Migration 0008 on real PostgreSQL: the new history is append-only, CHECK lists grow without
losing values, and the per-person room totals (in `person_rooms` since 0020) never fail an
insert and never name an anonymous tipper."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from fakes.token_history import TIP, broadcast_event, export_lines, room_event, tip_event
from helpers import ingest_events, person_id
from mhc.db.connection import Database
from mhc.domain.alerts import parse_rules
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.services import alerts, interactions, token_history

T = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
OWNER = "the_owner"
APPEND_ONLY = (
    "token_history_imports",
    "token_history_rows",
    "interaction_twins",
    "alert_rule_sets",
    "alerts",
)


def _world(db: Database) -> None:
    """One row in each new table, through the production paths."""
    ingest_events(
        db,
        [broadcast_event("broadcastStart", OWNER, T), tip_event(OWNER, "alice_01", 5, T, seq=1)],
        owner=OWNER,
        received_at=T,
    )
    report = token_history.import_export(
        db, export_lines([("alice_01", 5, T, TIP, "")]), owner=OWNER
    )
    assert report.linked == 1
    alerts.put_rules(
        db,
        parse_rules({"rules": [{"id": "any", "kind": "lifetime_tokens", "min_tokens": 1}]}),
        owner=OWNER,
    )
    ingest_events(
        db, [room_event("userEnter", OWNER, "alice_01", T, seq=2)], owner=OWNER, received_at=T
    )


def test_the_new_history_is_append_only(db: Database) -> None:
    _world(db)
    for table in APPEND_ONLY:
        with db.transaction() as conn:
            row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
        assert row is not None
        assert row["n"] >= 1, table
        for statement in ("UPDATE {t} SET created_at = now()", "DELETE FROM {t}",
                          "TRUNCATE {t} CASCADE"):  # fmt: skip
            with pytest.raises(psycopg.errors.RestrictViolation), db.transaction() as conn:
                conn.execute(statement.format(t=table))


def test_allowed_values_are_added_to_not_replaced(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute(
            "SELECT mhc_allow_values('interactions', 'interactions_type_check', 'type', "
            "ARRAY['LATER_TYPE'])"
        )
        row = conn.execute(
            """SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint
               WHERE conname = 'interactions_type_check'"""
        ).fetchone()
    assert row is not None
    for value in ("CHAT_MESSAGE", "TIP_EVENT", "PRIVATE_SHOW", "OTHER_PAYMENT", "LATER_TYPE"):
        assert f"'{value}'::text" in row["d"]


def _tip(pid: int, n: int, metadata: dict[str, object]) -> NewInteraction:
    return NewInteraction(
        person_id=pid,
        type=InteractionType.TIP_EVENT,
        source=InteractionSource.CB_EVENTS,
        external_id=f"t-{n}",
        occurred_at=T,
        broadcaster="the_owner",
        metadata=metadata,
    )


def test_room_totals_skip_anonymous_tips_and_odd_amounts_without_failing(db: Database) -> None:
    pid = person_id(db, "alice_01")
    rows = [
        _tip(pid, 1, {"tokens": 25}),
        _tip(pid, 2, {"tokens": 100, "isAnon": True}),  # never under her name
        # unreadable amounts are no payment (decision 124), and never fail the page
        _tip(pid, 3, {"tokens": "lots"}),
        _tip(pid, 4, {"tokens": 1.5}),
        _tip(pid, 5, {"tokens": -7}),
        _tip(pid, 6, {}),
    ]
    with db.transaction() as conn:
        assert interactions.append_fresh(conn, rows) == 6
        totals = conn.execute(
            "SELECT payments, tokens FROM person_rooms WHERE person_id = %s", (pid,)
        ).fetchone()
    assert totals == {"payments": 1, "tokens": 25}
