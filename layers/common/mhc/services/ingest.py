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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mhc.db.connection import Conn, TransactionSource
from mhc.db.storable import storable_text
from mhc.domain.events import event_time
from mhc.domain.ingest import Derivation, SessionSignal, derive
from mhc.domain.models import InteractionSource, NewInteraction, SessionSource
from mhc.domain.roles import Role, merge_role
from mhc.domain.sessions import RebuildReport, sessions_from_signals
from mhc.services import interactions, sessions
from mhc.services.persons import resolve_sightings
from mhc.services.sessions import DEFAULT_MERGE_GAP
from mhc.store import raw_events as raw_store
from mhc.store.raw_events import RawEvent

#: `method` stored for an envelope without a usable id or method (kept, never dropped).
UNREADABLE = "(unreadable)"


#: How many problem events a job run's counts name (all are counted; the rest stay findable
#: in raw_events). A page of broken events must not make one job_runs row megabytes.
REPORTED_PROBLEMS = 20


@dataclass(frozen=True)
class EventProblem:
    """An event stored raw that derived nothing, and why (`line`: its line in a replay file)."""

    event_id: str
    reason: str
    line: int | None = None


_TOTALS = (
    "received",
    "inserted",
    "duplicates",
    "interactions",
    "unknown_methods",
    "problems",
    "session_signals",
)


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
    #: Every event counted in `problems`, by id and reason.
    problem_events: list[EventProblem] = field(default_factory=list)

    def add(self, other: IngestCounts) -> None:
        for name in _TOTALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problem_events.extend(other.problem_events)
        if other.newest_event_at and (
            self.newest_event_at is None or other.newest_event_at > self.newest_event_at
        ):
            self.newest_event_at = other.newest_event_at

    def totals(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _TOTALS}

    def as_dict(self) -> dict[str, Any]:
        """The totals and, when there are any, the first `REPORTED_PROBLEMS` problem events
        (a job run's counts; absent rather than an empty list on every clean run)."""
        named = [
            {"id": problem.event_id, "reason": problem.reason}
            for problem in self.problem_events[:REPORTED_PROBLEMS]
        ]
        return {**self.totals(), **({"problem_events": named} if named else {})}


def _unreadable_id(envelope: Any) -> str:
    digest = hashlib.sha256(json.dumps(envelope, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]
    return f"unreadable-{digest}"


def stored_key(envelope: Any) -> tuple[str, str]:
    """The (event id, method) an envelope is stored under, as the database will hold them (NUL
    made storable, so ids compare equal before and after the insert); one without a usable id
    or method gets a content-derived id and `UNREADABLE` (kept, never dropped)."""
    event_id = envelope.get("id") if isinstance(envelope, dict) else None
    method = envelope.get("method") if isinstance(envelope, dict) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(method, str) or not method:
        return _unreadable_id(envelope), UNREADABLE
    return storable_text(event_id), storable_text(method)


def _raw_rows(envelopes: Iterable[Any], received_at: datetime) -> list[RawEvent]:
    """One raw row per distinct envelope. An id without a plausible time is stored at the
    time it was received (derive reports it as a problem)."""
    rows: list[RawEvent] = []
    seen: set[str] = set()
    for envelope in envelopes:
        event_id, method = stored_key(envelope)
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
        if derivation.is_unknown_method:
            counts.unknown_methods += 1
        elif derivation.problems:
            counts.problems += 1
            reason = "; ".join(derivation.problems)
            counts.problem_events.append(EventProblem(row.event_id, reason))
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
    return counts


def envelopes_of(document: Any) -> list[Any]:
    """The envelopes in one replay line: a single envelope or a whole API response."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return list(document["events"])
    return [document]


# ------------------------------------------------------------------------- replay and rebuild


class CaptureFileError(Exception):
    """A capture file that cannot be replayed; the message names the file and line."""


@dataclass(frozen=True)
class CapturedLine:
    """One line of a capture file: an envelope or a whole Events API response."""

    line: int
    document: Any


def read_capture(path: Path) -> list[CapturedLine]:
    """Every non-blank line of a JSON-lines capture, parsed. A line that is not UTF-8 JSON
    stops the replay before anything is written (CaptureFileError names file and line)."""
    lines: list[CapturedLine] = []
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise CaptureFileError(f"{path}:{number}: not UTF-8 text") from None
                if not text.strip():
                    continue
                try:
                    document = json.loads(text)
                except RecursionError:
                    raise CaptureFileError(
                        f"{path}:{number}: not JSON (nested too deeply)"
                    ) from None
                except ValueError as exc:  # JSONDecodeError, or an int of over 4300 digits
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                    raise CaptureFileError(f"{path}:{number}: not JSON ({reason[:80]})") from None
                lines.append(CapturedLine(number, document))
    except FileNotFoundError:
        raise CaptureFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CaptureFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise CaptureFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise CaptureFileError(f"{path}: cannot be read ({exc.strerror or 'I/O error'})") from None
    return lines


def replay(
    db: TransactionSource,
    captured: Sequence[CapturedLine],
    *,
    owner: str,
    received_at: datetime,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
    batch_size: int = 1000,
    progress: Callable[[str], None] = lambda _msg: None,
) -> IngestCounts:
    """Ingest captured envelopes (or whole API responses) through the live path; idempotent.
    Each problem event carries the line it came from."""
    envelopes = [
        (entry.line, envelope) for entry in captured for envelope in envelopes_of(entry.document)
    ]
    total = IngestCounts()
    for start in range(0, len(envelopes), batch_size):
        batch = envelopes[start : start + batch_size]
        with db.transaction() as conn:
            counts = persist_events(
                conn,
                [envelope for _, envelope in batch],
                owner=owner,
                received_at=received_at,
                merge_gap=merge_gap,
            )
        lines: dict[str, int] = {}
        for line, envelope in batch:
            lines.setdefault(stored_key(envelope)[0], line)
        counts.problem_events = [
            replace(problem, line=lines.get(problem.event_id)) for problem in counts.problem_events
        ]
        total.add(counts)
        progress(f"{min(start + batch_size, len(envelopes))}/{len(envelopes)} events")
    return total


def rebuild_sessions(
    db: TransactionSource, *, owner: str, merge_gap: timedelta = DEFAULT_MERGE_GAP
) -> RebuildReport:
    """Recompute the sessions that came from broadcastStart/Stop from raw events, in one
    transaction: ids stay where a session still exists, manual sessions absorb the spans they
    overlap (`mhc.services.sessions.reconcile_event_sessions`)."""
    with db.transaction() as conn:
        sessions.lock(conn)  # before reading: no session opens or closes meanwhile
        signals: list[tuple[datetime, bool]] = []
        for raw in raw_store.iterate(conn, methods=("broadcastStart", "broadcastStop")):
            derivation = derive(raw.payload, owner)
            if derivation.session_signal is not None:
                signals.append((raw.occurred_at, derivation.session_signal is SessionSignal.START))
        return sessions.reconcile_event_sessions(conn, sessions_from_signals(signals, merge_gap))
