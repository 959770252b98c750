"""The events poller: one invocation long-polls the Events API while time remains, stores each
page through `mhc.services.ingest` (one transaction per page), moves the cursor only after the
commit, then passes the baton to the next link of the chain.

Exactly one poller runs at a time (an advisory lock on its own connection), a chain id and a
heartbeat stored with the cursor let the watchdog restart a dead chain and stop a superseded one
(decisions 13, 14, 35). Its ports (cursor store, chain invoker, events source) are protocols;
`mhc.runtime.poller` composes the real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from mhc.clients.chaturbate_events import EventsPage, StaleCursor
from mhc.clients.errors import ClientError, TransientExhausted
from mhc.db.connection import Database, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.health import EVENTS_POLLER_JOB, MISSING_SETTINGS
from mhc.domain.models import JobRun, JobStatus
from mhc.domain.polling import CorruptCursor, Cursor, Trigger, TriggerKind
from mhc.observability import Metric, MetricsSink, NoMetrics, redact
from mhc.services import capture, ingest, job_runs
from mhc.services.ingest import IngestCounts
from mhc.services.sessions import DEFAULT_MERGE_GAP
from mhc.store.locks import POLLER_LOCK, try_lock, unlock


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


#: What one request brought: a page, a stale cursor, or the error it failed with.
Fetched = EventsPage | StaleCursor | ClientError

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
    #: Least time between saves of a cursor that moved. Each save is an SSM SecureString write
    #: (a KMS request); a crash re-fetches at most this much of the feed, deduplicated.
    cursor_save_interval: timedelta = timedelta(seconds=30)
    #: A page of at least this many events means a backlog: it is prepared in a second process
    #: (`ingest.ForkedPreparer`), and the next page is asked for at once (server timeout 0) so
    #: that it prepares while this one is stored. Smaller pages (a live room) are prepared in
    #: place, where a process round trip would cost more than it saves. None: always in place.
    pipeline_min_events: int | None = 100

    @property
    def shortest_budget(self) -> timedelta:
        """The least time in which one long-poll request fits: a shorter run polls nothing."""
        return self.safety_margin + self.read_margin + timedelta(seconds=_MIN_SERVER_TIMEOUT)

    @property
    def heartbeat_refresh(self) -> timedelta:
        """Longest a working chain leaves its heartbeat unsaved while the feed is quiet: well
        inside the watchdog's limit, however long a link runs."""
        return self.heartbeat_stale_after / 3


@dataclass
class PollOutcome:
    status: JobStatus
    reason: str
    chain_id: str | None
    pages: int = 0
    gaps: int = 0
    errors: int = 0
    #: Pages prepared in the second process while the page before was stored.
    prepared_ahead: int = 0
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
            "prepared_ahead": self.prepared_ahead,
            "lag_seconds": self.lag_seconds,
            "invoked_next": self.invoked_next,
            **self.counts.as_dict(),
        }


JOB_NAME = EVENTS_POLLER_JOB


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
        new_preparer: Callable[[str], ingest.Preparer] = ingest.ForkedPreparer,
    ) -> None:
        self._db = db
        self._source = source
        self._cursors = cursors
        self._config = config
        self._invoker = invoker
        self._clock = clock
        self._metrics = metrics or NoMetrics()
        self._new_chain_id = new_chain_id
        self._new_preparer = new_preparer

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
        preparer: ingest.Preparer | None = None
        #: The page after the one being stored, fetched ahead (and submitted when `piped`).
        ahead: Fetched | None = None
        ahead_submitted = False
        try:
            while True:
                if ahead is None:
                    left = remaining() - config.safety_margin
                    server_timeout = min(
                        config.max_server_timeout,
                        int((left - config.read_margin).total_seconds()),
                    )
                    if server_timeout < _MIN_SERVER_TIMEOUT:
                        break
                    result = self._fetch(cursor.next_url, server_timeout, left)
                    submitted = False
                else:
                    result, submitted, ahead = ahead, ahead_submitted, None
                if isinstance(result, TransientExhausted):
                    outcome.errors += 1
                    outcome.reason = redact(result)
                    self._metrics.add(Metric.POLL_ERRORS, 1, "Count")
                    break  # the time is spent; the next link tries again
                if isinstance(result, ClientError):
                    # Bad token, wrong URL, a changed API: stop the chain, keep the cursor.
                    outcome.errors += 1
                    outcome.status, outcome.reason = JobStatus.FAILED, redact(result)
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
                    page: ingest.PreparedPage | None = None  # an empty page: nothing to store
                    if self._piped(result):
                        preparer = preparer or self._new_preparer(config.owner)
                        if not submitted:
                            preparer.submit(result.envelopes, self._clock())
                        # Ask for the next page now: it prepares while this one is stored.
                        ahead, ahead_submitted = self._look_ahead(result, remaining, preparer)
                        page = preparer.take()
                        outcome.prepared_ahead += page.in_second_process
                    elif result.envelopes:
                        page = ingest.prepare_page(
                            result.envelopes, owner=config.owner, received_at=self._clock()
                        )
                    if page is not None:
                        outcome.counts.add(
                            ingest.commit_page(self._db, page, merge_gap=config.merge_gap)
                        )
                    next_url = result.next_url
                    # A quiet page leaves the feed where it was: nothing new to save.
                    dirty = dirty or _feed_position(next_url) != _feed_position(cursor.next_url)
                    force_save = False
                # Only after the commit: move the cursor forward.
                cursor = Cursor(
                    next_url=next_url, chain_id=cursor.chain_id, heartbeat=self._clock()
                )
                unsaved = cursor.heartbeat - saved_at
                if (
                    force_save
                    or (dirty and unsaved >= config.cursor_save_interval)
                    or unsaved >= config.heartbeat_refresh
                ):
                    self._cursors.save(cursor)
                    saved_at, dirty = cursor.heartbeat, False
        finally:
            if preparer is not None:
                preparer.close()  # a page prepared ahead and not stored is fetched again
            if dirty:
                self._cursors.save(cursor)
        if outcome.status is JobStatus.RUNNING:
            outcome.status = JobStatus.FAILED if outcome.errors else JobStatus.SUCCEEDED
            outcome.reason = outcome.reason or f"{outcome.pages} page(s) polled"

    def _fetch(self, url: str, server_timeout: int, left: timedelta) -> Fetched:
        """One request; a client error is returned, for the loop to handle in page order."""
        try:
            return self._source.fetch_page(
                url, timeout_seconds=server_timeout, deadline=self._clock() + left
            )
        except ClientError as exc:
            return exc

    def _piped(self, page: EventsPage) -> bool:
        least = self._config.pipeline_min_events
        return least is not None and len(page.envelopes) >= max(least, 1)

    def _look_ahead(
        self, page: EventsPage, remaining: Callable[[], timedelta], preparer: ingest.Preparer
    ) -> tuple[Fetched | None, bool]:
        """After a backlog page: the next page, asked for without a server hold (the backlog is
        waiting), and submitted for preparation when it is a backlog page too. What it brings
        (a page, a stale cursor, an error) is handled after `page` is stored."""
        left = remaining() - self._config.safety_margin
        if left < self._config.read_margin:
            return None, False
        fetched = self._fetch(page.next_url, 0, left)
        if isinstance(fetched, EventsPage) and self._piped(fetched):
            preparer.submit(fetched.envelopes, self._clock())
            return fetched, True
        return fetched, False

    def _record_gap(self, reason: str) -> None:
        with self._db.transaction() as conn:
            capture.record_gap(conn, detected_at=self._clock(), reason=reason)
        self._metrics.add(Metric.GAPS, 1, "Count")

    def _finish(self, run_id: int, outcome: PollOutcome) -> None:
        now = self._clock()
        with self._db.transaction() as conn:
            newest = capture.newest_event(conn)
            if newest is not None:
                outcome.lag_seconds = round((now - newest.occurred_at).total_seconds(), 3)
            job_runs.finish(
                conn,
                run_id,
                status=outcome.status,
                at=now,
                counts={
                    k: v for k, v in outcome.summary().items() if k not in ("status", "reason")
                },
                error=outcome.reason if outcome.status is JobStatus.FAILED else None,
            )
        self._metrics.add(Metric.EVENTS_INGESTED, outcome.counts.inserted, "Count")
        self._metrics.add(Metric.DUPLICATES, outcome.counts.duplicates, "Count")
        # Lag says something only while events arrive (otherwise it is the time since the last
        # one): sent in those hours alone, as CloudWatch bills a metric by the hour it is sent.
        if outcome.lag_seconds is not None and outcome.counts.inserted:
            self._metrics.add(Metric.LAG_SECONDS, outcome.lag_seconds, "Seconds")


#: While its settings stay missing, the poller records that at most this often (the watchdog
#: asks every few minutes).
NOT_CONFIGURED_REPEAT = timedelta(hours=1)


def record_not_configured(
    db: TransactionSource, missing: Mapping[str, str], *, clock: Clock = utc_now
) -> JobRun | None:
    """Record that the poller cannot start for want of `missing` settings (name -> why), as a
    `not_configured` run naming them: the Jobs & health page then says "not configured", not
    "never run". None when the same was recorded within NOT_CONFIGURED_REPEAT."""
    now = clock()
    error = "; ".join(missing.values())
    with db.transaction() as conn:
        last = job_runs.recent(conn, job=JOB_NAME, limit=1)
        if (
            last
            and last[0].status is JobStatus.NOT_CONFIGURED
            and last[0].error == error
            and now - last[0].started_at < NOT_CONFIGURED_REPEAT
        ):
            return None
        return job_runs.record(
            conn,
            JOB_NAME,
            at=now,
            status=JobStatus.NOT_CONFIGURED,
            counts={MISSING_SETTINGS: list(missing)},
            error=error,
        )


def _feed_position(url: str) -> tuple[str, ...]:
    """Where a nextUrl points in the feed: the URL without its `timeout`, which only says how
    long the server may hold the request (the client sets it on every request)."""
    parts = urlsplit(url)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "timeout"]
    )
    return (parts.scheme, parts.netloc, parts.path, query)
