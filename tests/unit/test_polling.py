"""The events chain's invoke events and cursor: what each event means, and no token in a repr."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mhc.domain.polling import Cursor, Trigger, TriggerKind, trigger_from_event

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_the_chain_event_continues_its_chain() -> None:
    event = json.loads((EVENTS / "events_poller_chain.json").read_text())
    assert trigger_from_event(event) == Trigger(TriggerKind.CHAIN, event["chain_id"])


def test_the_schedule_event_is_the_watchdog() -> None:
    event = json.loads((EVENTS / "events_poller_schedule.json").read_text())
    assert trigger_from_event(event) == Trigger(TriggerKind.WATCHDOG)


@pytest.mark.parametrize(
    "event",
    [
        {"trigger": "chain"},  # no chain id
        {"trigger": "chain", "chain_id": ""},
        {"trigger": "chain", "chain_id": "x" * 65},
        {"trigger": "chain", "chain_id": 42},
        {"trigger": "CHAIN", "chain_id": "abc"},
        {},
        None,
        ["chain", "abc"],
    ],
)
def test_anything_else_is_the_watchdog(event: Any) -> None:
    # The watchdog only starts a chain when the current one is stale: a safe reading.
    assert trigger_from_event(event) == Trigger(TriggerKind.WATCHDOG)


def test_a_cursor_never_shows_its_url() -> None:
    cursor = Cursor(
        next_url="https://eventsapi.chaturbate.com/events/owner/repr-secret-token-5/?i=1",
        chain_id="c1",
        heartbeat=datetime(2026, 6, 1, tzinfo=UTC),
    )
    for text in (repr(cursor), str(cursor), f"{cursor}", repr([cursor])):
        assert "repr-secret-token" not in text
        assert "c1" in text
