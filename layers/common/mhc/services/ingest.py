"""Events ingest: one page of envelopes -> raw events + derived rows, in ONE transaction; the
same path for captured files (`replay`); derived sessions rebuilt from raw events.

A page goes in two steps. `prepare_page` is everything that needs no database (raw rows and
their COPY text, derivation, the page's sightings, interaction rows as COPY text without their
person ids); `store_page` is what does, on the caller's connection: raw envelopes COPYed in,
the page's names resolved in one statement, interactions COPYed in with their person ids. The
preparation is pure, so a `ForkedPreparer` can run it for page N+1 in a second process while
page N is stored and committed (`InlinePreparer` runs it in place: tiny pages, tests).

Raw envelopes are inserted with ON CONFLICT DO NOTHING and rows are derived only for the ones
that were new, so a page fetched twice (crash before the cursor was saved, a replayed cursor,
`mhc replay` of a file) changes nothing the second time. The long-poll loop that feeds it is
`mhc.services.events_poller`.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from mhc.db.connection import Conn, TransactionSource
from mhc.db.storable import storable_text
from mhc.domain.events import event_time
from mhc.domain.ingest import FOLLOW_UP_TYPES, DerivedInteraction, SessionSignal, derive
from mhc.domain.models import InteractionSource, InteractionType, SessionSource
from mhc.domain.roles import merge_role
from mhc.domain.sessions import RebuildReport, sessions_from_signals
from mhc.observability import logger, redact
from mhc.services import interactions, persons, sessions
from mhc.services.second_process import ChildGone, SecondProcess
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


@dataclass(frozen=True)
class Derived:
    """What a page's new events derive, ready for the store: plain lists, cheap to send
    between processes."""

    #: The names sighted, each with the role seen and the first and last sighting.
    sighted: persons.Sighted
    #: Interaction rows in page order, as COPY text without their person id (`copy_tail`),
    #: and the index among the names sighted of each row's person.
    tails: list[str]
    tail_names: list[int]
    #: (time, start?) of each broadcast start/stop of the owner, in page order.
    signals: list[tuple[datetime, bool]]
    unknown_methods: int
    #: (event id, reason) of each new event that derived nothing correctly.
    problem_events: list[tuple[str, str]]
    newest_event_at: datetime | None
    #: The rows of `FOLLOW_UP_TYPES` with their name's index, in page order: what the steps
    #: after the append read (`_follow_up`).
    follow_ups: list[tuple[int, DerivedInteraction]] = field(default_factory=list)


def _derive_rows(rows: Sequence[RawEvent], owner: str) -> Derived:
    #: name -> [role seen, first sighting, last sighting] (the page's hottest loop: plain lists)
    seen: dict[str, list[Any]] = {}
    tails: list[str] = []
    tail_users: list[str] = []
    signals: list[tuple[datetime, bool]] = []
    unknown_methods = 0
    problem_events: list[tuple[str, str]] = []
    follow_ups: list[tuple[int, DerivedInteraction]] = []
    source = InteractionSource.CB_EVENTS.value
    for row in rows:
        derivation = derive(row.payload, owner)
        if derivation.is_unknown_method:
            unknown_methods += 1
        elif derivation.problems:
            problem_events.append((row.event_id, "; ".join(derivation.problems)))
        at = row.occurred_at
        for sighting in derivation.sightings:
            state = seen.get(sighting.username)
            if state is None:
                seen[sighting.username] = [sighting.role, at, at]
                continue
            if sighting.role is not state[0]:
                state[0] = merge_role(state[0], sighting.role)
            if at < state[1]:
                state[1] = at
            elif at > state[2]:
                state[2] = at
        item = derivation.interaction
        if item is not None:
            tails.append(
                interactions.copy_tail(
                    item.type.value,
                    source,
                    item.external_id,
                    item.occurred_at,
                    item.broadcaster,
                    item.content,
                    item.metadata,
                )
            )
            tail_users.append(item.username)
            if item.type in FOLLOW_UP_TYPES:
                follow_ups.append((len(tail_users) - 1, item))
        if derivation.session_signal is not None:
            signals.append((row.occurred_at, derivation.session_signal is SessionSignal.START))
    names = sorted(seen)
    index = {name: n for n, name in enumerate(names)}
    states = [seen[name] for name in names]
    return Derived(
        sighted=persons.sighted(
            names,
            [state[0].value for state in states],
            [state[1] for state in states],
            [state[2] for state in states],
        ),
        tails=tails,
        tail_names=[index[user] for user in tail_users],
        signals=signals,
        unknown_methods=unknown_methods,
        problem_events=problem_events,
        newest_event_at=max((row.occurred_at for row in rows), default=None),
        follow_ups=[(index[tail_users[n]], item) for n, item in follow_ups],
    )


@dataclass(frozen=True)
class _Prepared:
    """What the preparer's process sends back for a page (the envelopes stay with the caller)."""

    raw_text: bytes
    raw_count: int
    derived: Derived


@dataclass(frozen=True)
class PreparedPage:
    """A page made ready to store. `derived` assumes every distinct envelope is new; when some
    were stored already, `store_page` derives again, from `envelopes`, only the new ones."""

    envelopes: Sequence[Any]
    owner: str
    received_at: datetime
    raw_text: bytes
    raw_count: int
    derived: Derived
    #: Prepared by the preparer's second process (not in place).
    in_second_process: bool = False


def _prepare(envelopes: Sequence[Any], owner: str, received_at: datetime) -> _Prepared:
    rows = _raw_rows(envelopes, received_at)
    return _Prepared(raw_store.copy_text(rows), len(rows), _derive_rows(rows, owner))


def prepare_page(envelopes: Sequence[Any], *, owner: str, received_at: datetime) -> PreparedPage:
    """Everything a page needs that is not the database (pure; runs in any process)."""
    prepared = _prepare(envelopes, owner, received_at)
    return PreparedPage(
        envelopes, owner, received_at, prepared.raw_text, prepared.raw_count, prepared.derived
    )


def store_page(
    conn: Conn,
    page: PreparedPage,
    *,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
    skip_stored: bool = True,
) -> IngestCounts:
    """Store a prepared page and everything derived from its new events (caller's transaction).

    `skip_stored=False` takes every event for new (no savepoints): should one be stored
    already, AlreadyStored is raised and the transaction is lost (`commit_page` retries).
    """
    counts = IngestCounts(received=len(page.envelopes))
    new_ids = raw_store.insert_new(conn, page.raw_text, skip_stored=skip_stored)
    derived = page.derived
    if new_ids is None:  # all new: the usual case
        counts.inserted = page.raw_count
    else:
        counts.inserted = len(new_ids)
        fresh = [
            row for row in _raw_rows(page.envelopes, page.received_at) if row.event_id in new_ids
        ]
        derived = _derive_rows(fresh, page.owner)
    counts.duplicates = counts.received - counts.inserted
    counts.newest_event_at = derived.newest_event_at
    counts.unknown_methods = derived.unknown_methods
    counts.problems = len(derived.problem_events)
    counts.problem_events = [
        EventProblem(event_id, reason) for event_id, reason in derived.problem_events
    ]

    # Sessions move before the page's rows go in: each row then lands in the session its time
    # falls in as it is inserted, and a session's summaries are not counted again for rows
    # after its end (migration 0015).
    for at, start in derived.signals:
        counts.session_signals += 1
        if start:
            sessions.open_segment(conn, at, SessionSource.CB_EVENTS, merge_gap=merge_gap)
        else:
            sessions.close_segment(conn, at)
    ids = persons.resolve_names(conn, derived.sighted)
    counts.interactions = interactions.append_formatted(
        conn, [ids[n] for n in derived.tail_names], derived.tails, skip_stored=skip_stored
    )
    if derived.follow_ups:
        _follow_up(conn, [_row(ids[n], item) for n, item in derived.follow_ups], page.owner)
    return counts


class _Row(NamedTuple):
    """An appended interaction as the follow-up steps read it (an `InteractionRow`)."""

    person_id: int
    type: InteractionType
    source: InteractionSource
    external_id: str
    occurred_at: datetime
    broadcaster: str | None
    content: str | None
    metadata: dict[str, Any]


def _row(person_id: int, item: DerivedInteraction) -> _Row:
    return _Row(
        person_id,
        item.type,
        InteractionSource.CB_EVENTS,
        item.external_id,
        item.occurred_at,
        item.broadcaster,
        item.content,
        item.metadata,
    )


def _follow_up(conn: Conn, rows: Sequence[_Row], owner: str) -> None:
    """What a page's new payments, enters and follows set off, in its transaction: live
    payments linked to their imported twins (counted once), and the owner's alerts. Each is a
    savepoint that never fails the page."""
    # Imported here, not with the module: the poller's cold start need not load them.
    from mhc.services import alerts, token_history

    token_history.link_live(conn, rows, owner=owner)  # cheap without old payments
    alerts.on_ingest(conn, rows, owner=owner)  # cheap without enters or rules


def commit_page(
    db: TransactionSource,
    page: PreparedPage,
    *,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
    durable: bool = True,
) -> IngestCounts:
    """Store a prepared page in a transaction of its own.

    A page of new events (the usual case) goes straight in, with no savepoint: each one is a
    round trip, and round trips are what a page waits on most. Should one of its events be
    stored already (a page fetched again, a replayed file), that transaction is rolled back and
    the page stored again skipping what is stored. `durable=False` does not wait for the WAL
    flush at commit (see `store_pages`).
    """

    def attempt(skip_stored: bool) -> IngestCounts:
        with db.transaction() as conn:
            if not durable:
                raw_store.commit_unflushed(conn)
            return store_page(conn, page, merge_gap=merge_gap, skip_stored=skip_stored)

    try:
        return attempt(skip_stored=False)
    except raw_store.AlreadyStored:
        return attempt(skip_stored=True)


def persist_events(
    conn: Conn,
    envelopes: Sequence[Any],
    *,
    owner: str,
    received_at: datetime,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
) -> IngestCounts:
    """Store a page of envelopes and everything derived from the new ones (caller's
    transaction), prepared in place."""
    page = prepare_page(envelopes, owner=owner, received_at=received_at)
    return store_page(conn, page, merge_gap=merge_gap)


# ------------------------------------------------------------------------- preparers


class Preparer(Protocol):
    """Prepares submitted pages; `take` hands them back in submission order."""

    def submit(self, envelopes: Sequence[Any], received_at: datetime) -> None: ...

    def take(self) -> PreparedPage: ...

    def close(self) -> None:
        """Stop; pages submitted and not taken are discarded."""


class InlinePreparer:
    """Prepares each page when it is taken, in this process."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._waiting: deque[tuple[Sequence[Any], datetime]] = deque()

    def submit(self, envelopes: Sequence[Any], received_at: datetime) -> None:
        self._waiting.append((envelopes, received_at))

    def take(self) -> PreparedPage:
        envelopes, received_at = self._waiting.popleft()
        return prepare_page(envelopes, owner=self._owner, received_at=received_at)

    def close(self) -> None:
        self._waiting.clear()


#: Longest wait for the preparer's process to answer one page (a page takes milliseconds;
#: anything this slow is a stuck child, and the page is prepared in place instead).
PREPARER_REPLY_SECONDS = 30.0


def _serve(pipe: Connection, owner: str) -> None:
    """The preparer process: prepare each page received, send it back, until the pipe closes."""
    while True:
        try:
            message = pipe.recv()
        except EOFError:
            return
        envelopes, received_at = message
        try:
            reply: tuple[str, Any] = ("ok", _prepare(envelopes, owner, received_at))
        except Exception as exc:  # the caller prepares the page itself and meets it there
            reply = ("error", f"{type(exc).__name__}: {exc}")
        pipe.send(reply)


class ForkedPreparer:
    """Prepares pages in a forked child process (`SecondProcess`), one page ahead of the
    caller: while the caller stores page N, the child prepares page N+1. At most one page is
    with the child at a time and the next one is sent only after its result was read, so
    neither side can block the other on a full pipe. Any failure of the child (it cannot start,
    dies, answers an error or nothing within `reply_seconds`) ends it, and pages are prepared
    in place from then on: the pipeline changes speed, never results.
    """

    def __init__(self, owner: str, *, reply_seconds: float = PREPARER_REPLY_SECONDS) -> None:
        self._owner = owner
        self._reply_seconds = reply_seconds
        self._waiting: deque[tuple[Sequence[Any], datetime]] = deque()
        self._with_child = False  # the oldest waiting page was sent to the child
        self._child: SecondProcess | None = None
        self._broken = False

    @property
    def child_pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def submit(self, envelopes: Sequence[Any], received_at: datetime) -> None:
        self._waiting.append((envelopes, received_at))
        if len(self._waiting) == 1:
            self._send_oldest()

    def take(self) -> PreparedPage:
        envelopes, received_at = self._waiting.popleft()
        prepared = self._receive() if self._with_child else None
        self._with_child = False
        if self._waiting:
            self._send_oldest()  # the next page prepares while the caller stores this one
        if prepared is None:
            return prepare_page(envelopes, owner=self._owner, received_at=received_at)
        return PreparedPage(
            envelopes,
            self._owner,
            received_at,
            prepared.raw_text,
            prepared.raw_count,
            prepared.derived,
            in_second_process=True,
        )

    def close(self) -> None:
        self._waiting.clear()
        self._with_child = False
        self._stop_child()

    # -- internals -------------------------------------------------------------------------
    def _send_oldest(self) -> None:
        if self._broken:
            return
        if self._child is None and not self._start():
            return
        assert self._child is not None
        envelopes, received_at = self._waiting[0]
        try:
            self._child.send((list(envelopes), received_at))
        except Exception as exc:  # a broken pipe, or a page pickle refuses: prepared in place
            self._fail(f"cannot send a page: {type(exc).__name__}")
            return
        self._with_child = True

    def _receive(self) -> _Prepared | None:
        assert self._child is not None
        try:
            status, value = self._child.receive(self._reply_seconds)
        except ChildGone as exc:
            self._fail(str(exc))
            return None
        if status != "ok":
            self._fail(redact(value))
            return None
        assert isinstance(value, _Prepared)
        return value

    def _start(self) -> bool:
        owner = self._owner
        try:
            self._child = SecondProcess.start(lambda pipe: _serve(pipe, owner))
        except OSError as exc:
            self._fail(f"cannot start the preparer process: {type(exc).__name__}")
            return False
        return True

    def _fail(self, reason: str) -> None:
        logger.warning(
            "ingest preparer stopped; preparing pages in place", extra={"reason": reason}
        )
        self._broken = True
        self._stop_child()

    def _stop_child(self) -> None:
        if self._child is not None:
            # Whatever it was preparing is discarded: end it now rather than wait for it.
            self._child.stop()
            self._child = None


# ------------------------------------------------------------------------- replay and rebuild

#: Events per transaction when replaying a file: larger than a live page (fewer commits).
REPLAY_PAGE = 5000


def envelopes_of(document: Any) -> list[Any]:
    """The envelopes in one replay line: a single envelope or a whole API response."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return list(document["events"])
    return [document]


def store_pages(
    db: TransactionSource,
    pages: Sequence[Sequence[Any]],
    *,
    owner: str,
    received_at: datetime,
    merge_gap: timedelta = DEFAULT_MERGE_GAP,
    preparer: Preparer | None = None,
    durable: bool = True,
    progress: Callable[[int], None] = lambda _done: None,
) -> IngestCounts:
    """Store pages of envelopes in order, one transaction each, each prepared while the one
    before is stored (`preparer`, default: forked when there is more than one page).

    `durable=False` commits without waiting for the WAL flush: a crash of the database server
    may lose the last commits. Only for a source that can simply be read again (a replayed
    file); never for live pages, whose cursor moves on after the commit.
    """
    if preparer is None:
        preparer = ForkedPreparer(owner) if len(pages) > 1 else InlinePreparer(owner)
    total = IngestCounts()
    try:
        for page in pages[:2]:
            preparer.submit(page, received_at)
        for n in range(len(pages)):
            prepared = preparer.take()
            if n + 2 < len(pages):
                preparer.submit(pages[n + 2], received_at)
            total.add(commit_page(db, prepared, merge_gap=merge_gap, durable=durable))
            progress(n + 1)
    finally:
        preparer.close()  # on a failure, pages prepared ahead are discarded
    return total


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
    batch_size: int = REPLAY_PAGE,
    preparer: Preparer | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> IngestCounts:
    """Ingest captured envelopes (or whole API responses) through the live path; idempotent.
    Each problem event carries the line it came from.

    Pages are larger than live ones and committed without waiting for the WAL flush: should the
    database server crash meanwhile, re-running the same replay restores what was lost (every
    write is idempotent).
    """
    lined = [(entry.line, env) for entry in captured for env in envelopes_of(entry.document)]
    envelopes = [envelope for _, envelope in lined]
    pages = [
        envelopes[start : start + batch_size] for start in range(0, len(envelopes), batch_size)
    ]
    total = store_pages(
        db,
        pages,
        owner=owner,
        received_at=received_at,
        merge_gap=merge_gap,
        preparer=preparer,
        durable=False,
        progress=lambda done: progress(
            f"{min(done * batch_size, len(envelopes))}/{len(envelopes)} events"
        ),
    )
    lines: dict[str, int] = {}
    for line, envelope in lined:
        lines.setdefault(stored_key(envelope)[0], line)
    total.problem_events = [
        replace(problem, line=lines.get(problem.event_id)) for problem in total.problem_events
    ]
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
