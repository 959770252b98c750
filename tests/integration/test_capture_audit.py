"""The capture audit: the export is an independent record of every tip, so it measures how much
of it live capture delivered, and lists what it missed (explained when inside a recorded gap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.token_history import TIP, export_lines, room_event, tip_event
from helpers import ingest_events
from mhc.db.connection import Database
from mhc.services import capture, token_history

OWNER = "the_owner"
T = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def live(db: Database, envelopes: list[dict[str, Any]]) -> None:
    ingest_events(db, envelopes, owner=OWNER, received_at=at(500))


def test_the_audit_reports_the_share_seen_live_and_both_missed_tips(db: Database) -> None:
    # Given live capture of four tips, then a recorded gap (a stale cursor) after the fourth
    live(
        db,
        [
            tip_event(OWNER, "alice_01", 100, at(0)),
            tip_event(OWNER, "bob_02", 25, at(10), anonymous=True),
            tip_event(OWNER, "carol_03", 10, at(20)),
            tip_event(OWNER, "alice_01", 5, at(30)),
        ],
    )
    with db.transaction() as conn:
        capture.record_gap(conn, detected_at=at(50), reason="waited too long")
    # And capture resumed afterwards
    live(db, [room_event("userEnter", OWNER, "dave_04", at(60))])
    live(db, [room_event("userLeave", OWNER, "dave_04", at(90))])
    # And an export holding those four, two the feed never delivered (one inside the gap),
    # and one from before live capture began
    report = token_history.import_export(
        db,
        export_lines(
            [
                ("alice_01", 50, at(-100), TIP, ""),  # before capture: not audited
                ("alice_01", 100, at(0.5), TIP, ""),
                ("bob_02", 25, at(10.5), TIP, ""),
                ("carol_03", 10, at(19.5), TIP, ""),
                ("alice_01", 5, at(31), TIP, ""),
                ("erin_05", 40, at(40), TIP, ""),  # missed, inside the gap [30, 50]
                ("frank_06", 70, at(70), TIP, ""),  # missed, no gap recorded
            ]
        ),
        owner=OWNER,
    )
    assert report.linked == 4
    # When the capture audit runs
    audit = token_history.audit_capture(db, owner=OWNER)
    # Then it covers the time live capture ran, with the right share
    assert (audit.period_start, audit.period_end) == (at(0), at(90))
    assert (audit.exported, audit.seen_live) == (6, 4)
    assert audit.share_seen is not None
    assert audit.share_seen.value == pytest.approx(4 / 6)
    interval = audit.share_seen.uncertainty.interval
    assert interval is not None
    assert interval.low < 4 / 6 < interval.high
    # And lists both missed tips with their times, the gap one explained
    assert [(m.username, m.tokens, m.at, m.explained) for m in audit.missed] == [
        ("erin_05", 40, at(40), True),
        ("frank_06", 70, at(70), False),
    ]
    assert (audit.missed[0].gap_start, audit.missed[0].gap_end) == (at(30), at(50))
    assert audit.explained == 1


def test_the_audit_says_why_it_cannot_run_yet(db: Database) -> None:
    assert token_history.audit_capture(db, owner=OWNER).unavailable == (
        "no token-history export imported yet"
    )
    token_history.import_export(db, export_lines([("alice_01", 5, at(0), TIP, "")]), owner=OWNER)
    audit = token_history.audit_capture(db, owner=OWNER)
    assert audit.unavailable == "live capture has not stored any event yet"
    assert audit.export_first_at == at(0)
