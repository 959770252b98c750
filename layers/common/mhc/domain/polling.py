"""The events poller's chain: its cursor and what started an invocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Cursor:
    """Where the feed resumes, which chain owns it, and when that chain last made progress.

    `next_url` carries the Events API token: it is never shown (see __repr__).
    """

    next_url: str
    chain_id: str
    heartbeat: datetime

    def __repr__(self) -> str:
        return f"Cursor(chain_id={self.chain_id!r}, heartbeat={self.heartbeat.isoformat()})"


class CorruptCursor(Exception):
    """The stored cursor cannot be read; the message never includes its content."""


class TriggerKind(StrEnum):
    CHAIN = "chain"  # the previous link invoked us
    WATCHDOG = "watchdog"  # the schedule: start a chain only when the current one is stale
    MANUAL = "manual"  # `mhc poll-events`: poll for a while, no chain


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    chain_id: str | None = None


def trigger_from_event(event: Any) -> Trigger:
    """Read the invoke event: `{"trigger": "chain", "chain_id": ...}` from the previous link;
    anything else (an EventBridge schedule event included) is the watchdog."""
    if isinstance(event, dict) and event.get("trigger") == TriggerKind.CHAIN.value:
        chain_id = event.get("chain_id")
        if isinstance(chain_id, str) and 0 < len(chain_id) <= 64:
            return Trigger(TriggerKind.CHAIN, chain_id)
    return Trigger(TriggerKind.WATCHDOG)
