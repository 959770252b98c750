"""Events ingest: one fetched page -> raw events + derived rows, in ONE transaction.

Raw envelopes are inserted with ON CONFLICT DO NOTHING and rows are derived only for the ones
that were new, so a page fetched twice (crash before the cursor was saved, a replayed cursor,
`mhc replay` of a file) changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from mhc.clients.chaturbate_events import EventsPage, StaleCursor
from mhc.clients.errors import ClientError, TransientExhausted
from mhc.db.connection import Conn, Database, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.events import event_time
from mhc.domain.ingest import Derivation, SessionSignal, derive
from mhc.domain.models import InteractionSource, JobStatus, NewInteraction, SessionSource
from mhc.domain.polling import CorruptCursor, Cursor, Trigger, TriggerKind
from mhc.domain.roles import Role, merge_role
from mhc.domain.sessions import sessions_from_signals
from mhc.observability import Metric, redact
from mhc.services.persons import resolve_sightings
from mhc.services.sessions import DEFAULT_MERGE_GAP, close_segment, open_segment
from mhc.store import event_gaps, job_runs
from mhc.store import interactions as interaction_store
from mhc.store import raw_events as raw_store
from mhc.store.locks import POLLER_LOCK, try_lock, unlock
from mhc.store.raw_events import RawEvent
from mhc.store.sessions import lock_sessions, replace_event_sessions

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
    counts.interactions = interaction_store.append_fresh(conn, new_interactions)

    for row, derivation in derivations:
        if derivation.session_signal is None:
            continue
        counts.session_signals += 1
        if derivation.session_signal is SessionSignal.START:
            open_segment(conn, row.occurred_at, SessionSource.CB_EVENTS, merge_gap=merge_gap)
        else:
            close_segment(conn, row.occurred_at)
    return counts


def envelopes_of(document: Any) -> list[Any]:
    """The envelopes in one replay line: a single envelope or a whole API response."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return list(document["events"])
    return [document]


# ------------------------------------------------------------------------------ the poll loop


class CursorStore(Protocol):
    def load(self) -> Cursor | None:
        """The stored cursor (None: never saved); CorruptCursor when it cannot be read."""

    def save(self, cursor: Cursor) -> None: ...


class ChainInvoker(Protocol):
    def continue_chain(self, chain_id: str) -> None:
        """Ask for the next link of the chain (asynchronously); raise when that failed."""


class EventsSource(Protocol):
    @property
    def base_url(self) -> str: ...

    def fetch_page(
        self, url: str, *, timeout_seconds: int = 10, deadline: datetime | None = None
    ) -> EventsPage | StaleCursor: ...


class MetricsSink(Protocol):
    def add(self, name: str, value: float, unit: str) -> None: ...


class _NoMetrics:
    def add(self, name: str, value: float, unit: str) -> None:
        return None


#: Shortest server hold worth asking for (seconds).
_MIN_SERVER_TIMEOUT = 1


@dataclass(frozen=True)
class PollerConfig:
    owner: str
    merge_gap: timedelta = DEFAULT_MERGE_GAP
    #: Longest time the server may hold one request (Events API allows 0..90).
    max_server_timeout: int = 30
    #: Time kept free at the end of an invocation for saving, recording and the self-invoke.
    safety_margin: timedelta = timedelta(seconds=3)
    #: Read timeout beyond the server timeout (the events client must use the same margin).
    read_margin: timedelta = timedelta(seconds=5)
    #: A chain whose heartbeat is older than this is dead: the watchdog starts a new one.
    heartbeat_stale_after: timedelta = timedelta(minutes=5)
    #: Minimum time between cursor saves (SSM throttles writes; re-fetching is harmless).
    cursor_save_interval: timedelta = timedelta(seconds=2)

    @property
    def shortest_budget(self) -> timedelta:
        """The least time in which one long-poll request fits: a shorter run polls nothing."""
        return self.safety_margin + self.read_margin + timedelta(seconds=_MIN_SERVER_TIMEOUT)


@dataclass
class PollOutcome:
    status: JobStatus
    reason: str
    chain_id: str | None
    pages: int = 0
    gaps: int = 0
    errors: int = 0
    counts: IngestCounts = field(default_factory=IngestCounts)
    lag_seconds: float | None = None
    continue_chain: bool = False
    invoked_next: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "chain_id": self.chain_id,
            "pages": self.pages,
            "gaps": self.gaps,
            "errors": self.errors,
            "lag_seconds": self.lag_seconds,
            "invoked_next": self.invoked_next,
            **self.counts.as_dict(),
        }


JOB_NAME = "events_poller"


class EventsPoller:
    """One invocation of the events poller: poll while time remains, then pass the baton.

    Needs a single-connection `Database`: the poller lock is a session-level advisory lock.
    """

    def __init__(
        self,
        db: Database,
        source: EventsSource,
        cursors: CursorStore,
        config: PollerConfig,
        *,
        invoker: ChainInvoker | None = None,
        clock: Clock = utc_now,
        metrics: MetricsSink | None = None,
        new_chain_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._db = db
        self._source = source
        self._cursors = cursors
        self._config = config
        self._invoker = invoker
        self._clock = clock
        self._metrics = metrics or _NoMetrics()
        self._new_chain_id = new_chain_id

    def run(self, trigger: Trigger, remaining: Callable[[], timedelta]) -> PollOutcome:
        """Poll until `remaining()` (time left in this invocation) runs low."""
        started = self._clock()
        with self._db.transaction() as conn:
            run = job_runs.start(conn, JOB_NAME, started)
        outcome = PollOutcome(JobStatus.RUNNING, "", trigger.chain_id)
        try:
            with self._db.transaction() as conn:
                locked = try_lock(conn, POLLER_LOCK)
                if locked:  # we are the only poller: any other 'running' row is a dead one
                    job_runs.close_abandoned(conn, JOB_NAME, at=started, except_id=run.id)
            if not locked:
                outcome.status, outcome.reason = (
                    JobStatus.SKIPPED,
                    "another events poller holds the lock; exiting",
                )
            else:
                try:
                    self._poll(trigger, remaining, outcome)
                finally:
                    with self._db.transaction() as conn:
                        unlock(conn, POLLER_LOCK)
        except Exception as exc:
            outcome.status, outcome.reason = (
                JobStatus.FAILED,
                redact(f"{type(exc).__name__}: {exc}"),
            )
            outcome.errors += 1
            outcome.continue_chain = False
            self._finish(run.id, outcome)
            raise
        self._finish(run.id, outcome)
        # Last step, after the lock is released: hand over to the next link of the chain.
        if outcome.continue_chain and self._invoker is not None and outcome.chain_id:
            self._invoker.continue_chain(outcome.chain_id)
            outcome.invoked_next = True
        return outcome

    # -- internals -------------------------------------------------------------------------
    def _claim(
        self, trigger: Trigger, cursor: Cursor | None, outcome: PollOutcome
    ) -> Cursor | None:
        """The cursor this invocation may work on, or None (with the reason) when it must not."""
        now = self._clock()
        if trigger.kind is TriggerKind.WATCHDOG and cursor is not None:
            age = now - cursor.heartbeat
            if age < self._config.heartbeat_stale_after:
                outcome.status = JobStatus.SKIPPED
                outcome.reason = (
                    f"chain {cursor.chain_id} is alive (heartbeat {age.total_seconds():.0f} s ago)"
                )
                return None
        if (
            trigger.kind is TriggerKind.CHAIN
            and cursor is not None
            and cursor.chain_id != trigger.chain_id
        ):
            outcome.status = JobStatus.SKIPPED
            outcome.reason = f"chain {trigger.chain_id} was superseded by chain {cursor.chain_id}"
            return None
        if trigger.kind is TriggerKind.CHAIN and trigger.chain_id:
            chain_id = trigger.chain_id
        else:
            chain_id = self._new_chain_id()
        claimed = Cursor(
            next_url=cursor.next_url if cursor else self._source.base_url,
            chain_id=chain_id,
            heartbeat=now,
        )
        self._cursors.save(claimed)  # a superseded chain sees the new id and stops
        return claimed

    def _poll(
        self, trigger: Trigger, remaining: Callable[[], timedelta], outcome: PollOutcome
    ) -> None:
        config = self._config
        try:
            stored = self._cursors.load()
        except CorruptCursor as exc:
            # Where the feed was is unknown: restart from the base URL (every minute stuck
            # loses more events than a restart) and record the gap so the loss is visible.
            self._record_gap(str(exc))
            outcome.gaps += 1
            stored = None
        cursor = self._claim(trigger, stored, outcome)
        if cursor is None:
            return
        outcome.chain_id = cursor.chain_id
        outcome.continue_chain = trigger.kind is not TriggerKind.MANUAL
        saved_at = self._clock()
        dirty = False
        try:
            while True:
                left = remaining() - config.safety_margin
                server_timeout = min(
                    config.max_server_timeout,
                    int((left - config.read_margin).total_seconds()),
                )
                if server_timeout < _MIN_SERVER_TIMEOUT:
                    break
                try:
                    result = self._source.fetch_page(
                        cursor.next_url,
                        timeout_seconds=server_timeout,
                        deadline=self._clock() + left,
                    )
                except TransientExhausted as exc:
                    outcome.errors += 1
                    outcome.reason = redact(exc)
                    self._metrics.add(Metric.POLL_ERRORS, 1, "Count")
                    break  # the time is spent; the next link tries again
                except ClientError as exc:
                    # Bad token, wrong URL, a changed API: stop the chain, keep the cursor.
                    outcome.errors += 1
                    outcome.status, outcome.reason = JobStatus.FAILED, redact(exc)
                    outcome.continue_chain = False
                    self._metrics.add(Metric.POLL_ERRORS, 1, "Count")
                    return
                outcome.pages += 1
                if isinstance(result, StaleCursor):
                    self._record_gap(redact(result.reason) or "stale cursor")
                    outcome.gaps += 1
                    next_url = result.next_url or self._source.base_url
                    dirty = True
                    force_save = True
                else:
                    with self._db.transaction() as conn:
                        counts = persist_events(
                            conn,
                            result.envelopes,
                            owner=config.owner,
                            received_at=self._clock(),
                            merge_gap=config.merge_gap,
                        )
                    outcome.counts.add(counts)
                    next_url = result.next_url
                    dirty = True
                    force_save = False
                # Only after the commit: move the cursor forward.
                cursor = Cursor(
                    next_url=next_url, chain_id=cursor.chain_id, heartbeat=self._clock()
                )
                if force_save or cursor.heartbeat - saved_at >= config.cursor_save_interval:
                    self._cursors.save(cursor)
                    saved_at, dirty = cursor.heartbeat, False
        finally:
            if dirty:
                self._cursors.save(cursor)
        if outcome.status is JobStatus.RUNNING:
            outcome.status = JobStatus.FAILED if outcome.errors else JobStatus.SUCCEEDED
            outcome.reason = outcome.reason or f"{outcome.pages} page(s) polled"

    def _record_gap(self, reason: str) -> None:
        with self._db.transaction() as conn:
            newest = raw_store.newest(conn)
            event_gaps.record(
                conn,
                detected_at=self._clock(),
                last_event_id=newest.event_id if newest else None,
                last_event_at=newest.occurred_at if newest else None,
                reason=reason,
            )
        self._metrics.add(Metric.GAPS, 1, "Count")

    def _finish(self, run_id: int, outcome: PollOutcome) -> None:
        now = self._clock()
        with self._db.transaction() as conn:
            newest = raw_store.newest(conn)
            if newest is not None:
                outcome.lag_seconds = round((now - newest.occurred_at).total_seconds(), 3)
            job_runs.finish(
                conn,
                run_id,
                status=outcome.status,
                finished_at=now,
                counts={
                    k: v for k, v in outcome.summary().items() if k not in ("status", "reason")
                },
                error=outcome.reason if outcome.status is JobStatus.FAILED else None,
            )
        self._metrics.add(Metric.EVENTS_INGESTED, outcome.counts.inserted, "Count")
        self._metrics.add(Metric.DUPLICATES, outcome.counts.duplicates, "Count")
        if outcome.lag_seconds is not None:
            self._metrics.add(Metric.LAG_SECONDS, outcome.lag_seconds, "Seconds")


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
        lock_sessions(conn)
        signals: list[tuple[datetime, bool]] = []
        for raw in raw_store.iterate(conn, methods=("broadcastStart", "broadcastStop")):
            derivation = derive(raw.payload, owner)
            if derivation.session_signal is not None:
                signals.append((raw.occurred_at, derivation.session_signal is SessionSignal.START))
        return replace_event_sessions(conn, sessions_from_signals(signals, merge_gap))
