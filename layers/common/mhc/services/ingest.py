"""Events ingest: one page of envelopes -> raw events + derived rows, in ONE transaction; the
same path for captured files (`replay`); derived sessions rebuilt from raw events; where live
capture stands (newest event, recorded gaps).

Raw envelopes are inserted with ON CONFLICT DO NOTHING and rows are derived only for the ones
that were new, so a page fetched twice (crash before the cursor was saved, a replayed cursor,
`mhc replay` of a file) changes nothing the second time. The long-poll loop that feeds it is
`mhc.services.events_poller`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.events import event_time
from mhc.domain.ingest import Derivation, SessionSignal, derive
from mhc.domain.models import InteractionSource, NewInteraction, SessionSource
from mhc.domain.roles import Role, merge_role
from mhc.domain.sessions import sessions_from_signals
from mhc.services import interactions, sessions
from mhc.services.persons import resolve_sightings
from mhc.services.sessions import DEFAULT_MERGE_GAP
from mhc.store import raw_events as raw_store
from mhc.store.raw_events import RawEvent

#: `method` stored for an envelope without a usable id or method (kept, never dropped).
UNREADABLE = "(unreadable)"


@dataclass
class IngestCounts:
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    interactions: int = 0
    unknown_methods: int = 0
    problems: int = 0
    session_signals: int = 0
    newest_event_at: datetime | None = None

    def add(self, other: IngestCounts) -> None:
        for name in (
            "received",
            "inserted",
            "duplicates",
            "interactions",
            "unknown_methods",
            "problems",
            "session_signals",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.newest_event_at and (
            self.newest_event_at is None or other.newest_event_at > self.newest_event_at
        ):
            self.newest_event_at = other.newest_event_at

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "interactions": self.interactions,
            "unknown_methods": self.unknown_methods,
            "problems": self.problems,
            "session_signals": self.session_signals,
        }


def _unreadable_id(envelope: Any) -> str:
    digest = hashlib.sha256(json.dumps(envelope, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]
    return f"unreadable-{digest}"


def _raw_rows(envelopes: Iterable[Any], received_at: datetime) -> list[RawEvent]:
    """One raw row per distinct envelope; unreadable ones get a content-derived id."""
    rows: list[RawEvent] = []
    seen: set[str] = set()
    for envelope in envelopes:
        event_id = envelope.get("id") if isinstance(envelope, dict) else None
        method = envelope.get("method") if isinstance(envelope, dict) else None
        if (
            not isinstance(event_id, str)
            or not event_id
            or not isinstance(method, str)
            or not method
        ):
            event_id, method = _unreadable_id(envelope), UNREADABLE
        try:
            occurred_at = event_time(event_id)
        except ValueError:
            occurred_at = received_at
        if event_id in seen:  # the same id twice in one page: the first one counts
            continue
        seen.add(event_id)
        rows.append(RawEvent(event_id, method, occurred_at, envelope))
    return rows


@dataclass
class _Sightings:
    role: dict[str, Role] = field(default_factory=dict)
    first: dict[str, datetime] = field(default_factory=dict)
    last: dict[str, datetime] = field(default_factory=dict)

    def add(self, username: str, role: Role, at: datetime) -> None:
        self.role[username] = merge_role(self.role.get(username, Role.UNKNOWN), role)
        self.first[username] = min(self.first.get(username, at), at)
        self.last[username] = max(self.last.get(username, at), at)


def persist_events(
    conn: Conn,
    envelopes: Sequence[Any],
    *,
    owner: str,
    received_at: datetime,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
) -> IngestCounts:
    """Store a page of envelopes and everything derived from the new ones (caller's transaction)."""
    rows = _raw_rows(envelopes, received_at)
    counts = IngestCounts(received=len(envelopes))
    new_ids = raw_store.insert_new(conn, rows)
    counts.inserted = len(new_ids)
    counts.duplicates = len(envelopes) - len(new_ids)
    fresh = [row for row in rows if row.event_id in new_ids]
    if fresh:
        counts.newest_event_at = max(row.occurred_at for row in fresh)

    derivations: list[tuple[RawEvent, Derivation]] = []
    for row in fresh:
        derivation = derive(row.payload, owner)
        counts.unknown_methods += derivation.is_unknown_method
        counts.problems += bool(derivation.problems) and not derivation.is_unknown_method
        derivations.append((row, derivation))

    sightings = _Sightings()
    for row, derivation in derivations:
        for sighting in derivation.sightings:
            sightings.add(sighting.username, sighting.role, row.occurred_at)
    person_ids = resolve_sightings(conn, sightings.role, sightings.first, sightings.last)

    new_interactions = [
        # Built from our own derivation (types already right): no validation on the hot path.
        NewInteraction.model_construct(
            person_id=person_ids[d.interaction.username],
            type=d.interaction.type,
            source=InteractionSource.CB_EVENTS,
            external_id=d.interaction.external_id,
            occurred_at=d.interaction.occurred_at,
            broadcaster=d.interaction.broadcaster,
            content=d.interaction.content,
            metadata=d.interaction.metadata,
        )
        for _, d in derivations
        if d.interaction is not None
    ]
    counts.interactions = interactions.append_fresh(conn, new_interactions)

    for row, derivation in derivations:
        if derivation.session_signal is None:
            continue
        counts.session_signals += 1
        if derivation.session_signal is SessionSignal.START:
            sessions.open_segment(
                conn, row.occurred_at, SessionSource.CB_EVENTS, merge_gap=merge_gap
            )
        else:
            sessions.close_segment(conn, row.occurred_at)
    # Imported here, not with the module: the poller's cold start need not load them.
    from mhc.services import alerts, token_history

    token_history.link_live(conn, new_interactions, owner=owner)  # cheap without old payments
    alerts.on_ingest(conn, new_interactions, owner=owner)  # cheap without enters or rules
    return counts


def envelopes_of(document: Any) -> list[Any]:
    """The envelopes in one replay line: a single envelope or a whole API response."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return list(document["events"])
    return [document]


# ------------------------------------------------------------------------- replay and rebuild


def replay(
    db: TransactionSource,
    documents: Sequence[Any],
    *,
    owner: str,
    received_at: datetime,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
    batch_size: int = 1000,
    progress: Callable[[str], None] = lambda _msg: None,
) -> IngestCounts:
    """Ingest captured envelopes (or whole API responses) through the live path; idempotent."""
    envelopes = [envelope for document in documents for envelope in envelopes_of(document)]
    total = IngestCounts()
    for start in range(0, len(envelopes), batch_size):
        with db.transaction() as conn:
            total.add(
                persist_events(
                    conn,
                    envelopes[start : start + batch_size],
                    owner=owner,
                    received_at=received_at,
                    merge_gap=merge_gap,
                )
            )
        progress(f"{min(start + batch_size, len(envelopes))}/{len(envelopes)} events")
    return total


def rebuild_sessions(
    db: TransactionSource, *, owner: str, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> int:
    """Recompute the sessions that came from broadcastStart/Stop from raw events."""
    with db.transaction() as conn:
        sessions.lock(conn)  # before reading: no session opens or closes meanwhile
        signals: list[tuple[datetime, bool]] = []
        for raw in raw_store.iterate(conn, methods=("broadcastStart", "broadcastStop")):
            derivation = derive(raw.payload, owner)
            if derivation.session_signal is not None:
                signals.append((raw.occurred_at, derivation.session_signal is SessionSignal.START))
        return sessions.replace_event_sessions(conn, sessions_from_signals(signals, merge_gap))
