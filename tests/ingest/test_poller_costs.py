"""What the events poller spends while it runs all day: SSM SecureString writes of its cursor
(each one a KMS request) and CloudWatch metrics (each billed for the hours it is sent), without
giving up exactly-once capture or a heartbeat the watchdog can trust.

Fake Events API on loopback, real PostgreSQL, moto SSM, fake time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from fakes.aws_lambda import FakeLambdaContext
from fakes.clock import FakeClock
from fakes.events_feed import OWNER, FakeEventsFeed, StubLambda, make_events
from mhc.config import load_settings
from mhc.db.connection import Database
from mhc.domain.polling import Cursor, Trigger, TriggerKind
from mhc.observability import Metric, PowertoolsMetricsSink
from mhc.runtime.cursor import SsmCursorStore
from mhc.runtime.invoke import LambdaChainInvoker
from mhc.runtime.poller import build_events_poller
from mhc.services.events_poller import EventsPoller, PollerConfig, PollOutcome
from moto import mock_aws

CURSOR = "/mhc/test/events-cursor"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:mhc-events-poller"
#: As deployed: 30 s long-polls in links of 90 s (the function's timeout).
CONFIG = PollerConfig(owner=OWNER)
LINK_SECONDS = 90


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


class RecordingCursors:
    """The SSM cursor store, recording when each save happened (fake time)."""

    def __init__(self, inner: SsmCursorStore, clock: FakeClock) -> None:
        self.inner, self.clock = inner, clock
        self.saves: list[tuple[datetime, Cursor]] = []
        self.loads = 0
        #: The save (1-based) at which the process dies: that save and every later one of the
        #: same invocation fail (a dead process writes nothing).
        self.fail_at_save: int | None = None
        self.down = False

    def load(self) -> Cursor | None:
        self.loads += 1
        return self.inner.load()

    def save(self, cursor: Cursor) -> None:
        if self.fail_at_save is not None and len(self.saves) + 1 == self.fail_at_save:
            self.fail_at_save, self.down = None, True
        if self.down:
            raise RuntimeError("crash between commit and cursor save")
        self.saves.append((self.clock(), cursor))
        self.inner.save(cursor)

    def gaps(self) -> list[float]:
        times = [at for at, _ in self.saves]
        return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


class RecordedMetrics:
    """Powertools `Metrics` as the sink sees it: what would reach CloudWatch."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.sent.append((name, value))

    def names(self) -> set[str]:
        return {name for name, _ in self.sent}


def make_poller(
    feed: FakeEventsFeed,
    db: Database,
    clock: FakeClock,
    cursors: RecordingCursors,
    metrics: RecordedMetrics | None = None,
    config: PollerConfig = CONFIG,
) -> EventsPoller:
    return build_events_poller(
        load_settings(
            mhc_events_url=feed.base_url, mhc_owner_username=OWNER, mhc_events_cursor_param=CURSOR
        ),
        db,
        invoker=LambdaChainInvoker(ARN, client=StubLambda()),
        cursors=cursors,
        http=httpx.Client(),
        clock=clock,
        sleeper=clock.sleep,
        metrics=PowertoolsMetricsSink(metrics or RecordedMetrics()),
        config=config,
    )


def link(
    poller: EventsPoller,
    clock: FakeClock,
    trigger: Trigger,
    *,
    seconds: float = LINK_SECONDS,
    tick: float = 1.0,
) -> PollOutcome:
    """One invocation; each turn of the loop costs `tick` fake seconds (a page of events)."""
    context = FakeLambdaContext(clock, seconds=seconds, tick=tick)
    return poller.run(
        trigger, lambda: timedelta(milliseconds=context.get_remaining_time_in_millis())
    )


def stored_ids(db: Database) -> list[str]:
    with db.transaction() as conn:
        return [row["event_id"] for row in conn.execute("SELECT event_id FROM raw_events")]


def test_while_events_flow_the_cursor_is_saved_every_30_seconds_not_every_page(
    db: Database, ssm: Any
) -> None:
    # Given a busy room: a page of events every second for longer than a link
    clock = FakeClock()
    events = make_events(2_000)
    cursors = RecordingCursors(SsmCursorStore(CURSOR, client=ssm), clock)
    with FakeEventsFeed(events, page_size=5, clock=clock) as feed:
        poller = make_poller(feed, db, clock, cursors)

        # When one 90 s link polls
        outcome = link(poller, clock, Trigger(TriggerKind.WATCHDOG))

    # Then ~85 pages were committed, but the cursor was written 4 times: the claim, every 30 s
    # of progress, and the last position before the baton passes
    assert outcome.pages >= 80
    assert outcome.counts.inserted == 5 * outcome.pages
    assert len(cursors.saves) == 4
    gaps = cursors.gaps()
    assert all(30 <= gap <= 31 for gap in gaps[:-1]), gaps
    # And what a crash could make it fetch again is at most 30 s of the feed
    assert max(gaps) <= 31
    # And the last save is where the link stopped, so the next link starts there
    saved = SsmCursorStore(CURSOR, client=ssm).load()
    assert saved is not None
    assert saved.next_url == cursors.saves[-1][1].next_url
    assert f"i={events[5 * outcome.pages - 1]['id']}" in saved.next_url


def test_a_quiet_link_writes_only_its_claim(db: Database, ssm: Any) -> None:
    # Given a room where nothing happens (the feed is caught up)
    clock = FakeClock()
    cursors = RecordingCursors(SsmCursorStore(CURSOR, client=ssm), clock)
    with FakeEventsFeed(make_events(3), clock=clock) as feed:
        poller = make_poller(feed, db, clock, cursors)
        first = link(poller, clock, Trigger(TriggerKind.WATCHDOG))
        before = len(cursors.saves)

        # When the next link long-polls 90 s of empty pages (their nextUrls differ only in the
        # server's hold time)
        quiet = link(poller, clock, Trigger(TriggerKind.CHAIN, first.chain_id))

    # Then it wrote the cursor once, to claim it (which is the heartbeat), and nothing else
    assert quiet.pages >= 2
    assert quiet.counts.received == 0
    assert len(cursors.saves) - before == 1
    claim_at, claimed = cursors.saves[-1]
    assert claimed.chain_id == first.chain_id
    # And the heartbeat is fresh enough for the watchdog until the next link claims again
    assert (clock() - claim_at) < CONFIG.heartbeat_stale_after
    # And it read the cursor once per link
    assert cursors.loads == 2


def test_a_long_quiet_link_keeps_its_heartbeat_fresh(db: Database, ssm: Any) -> None:
    # Given a link far longer than the watchdog's limit (as `mhc run` or a raised timeout could)
    clock = FakeClock()
    cursors = RecordingCursors(SsmCursorStore(CURSOR, client=ssm), clock)
    with FakeEventsFeed(make_events(3), clock=clock) as feed:
        poller = make_poller(feed, db, clock, cursors)
        link(poller, clock, Trigger(TriggerKind.WATCHDOG))
        start = len(cursors.saves)
        quiet = link(poller, clock, Trigger(TriggerKind.MANUAL), seconds=20 * 60)

    # Then it saved the heartbeat about every 100 s (a third of the limit) and never came near
    # the 5 minutes after which the watchdog would start another chain
    gaps = cursors.gaps()[start:]
    assert quiet.pages >= 30
    assert gaps
    assert max(gaps) < CONFIG.heartbeat_stale_after.total_seconds()
    assert max(gaps) <= CONFIG.heartbeat_refresh.total_seconds() + CONFIG.max_server_timeout
    assert len(cursors.saves) - start <= quiet.pages // 3 + 1


def test_a_crash_after_commit_refetches_at_most_30_seconds_once_each(
    db: Database, ssm: Any
) -> None:
    # Given a busy room and a process that dies on the first cursor save after the claim,
    # 30 s of committed pages after it
    clock = FakeClock()
    events = make_events(1_000)
    cursors = RecordingCursors(SsmCursorStore(CURSOR, client=ssm), clock)
    cursors.fail_at_save = 2
    with FakeEventsFeed(events, page_size=5, clock=clock) as feed:
        poller = make_poller(feed, db, clock, cursors)
        with pytest.raises(RuntimeError, match="crash between commit"):
            link(poller, clock, Trigger(TriggerKind.WATCHDOG))
        lost_save_at = clock()
        cursors.down = False  # the next invocation is a new process

        # When the watchdog finds the heartbeat stale and a new chain runs to the end
        clock.advance(CONFIG.heartbeat_stale_after.total_seconds() + 1)
        outcome = link(poller, clock, Trigger(TriggerKind.WATCHDOG))
        while outcome.counts.received:
            outcome = link(poller, clock, Trigger(TriggerKind.CHAIN, outcome.chain_id))

    # Then every event is stored exactly once
    stored = stored_ids(db)
    assert sorted(stored) == sorted(e["id"] for e in events)
    # And the new chain fetched again only what the dead one committed in its last 30 s
    with db.transaction() as conn:
        row = conn.execute("SELECT sum((counts->>'duplicates')::int) AS n FROM job_runs").fetchone()
    assert row is not None
    assert 0 < row["n"] <= 5 * 31
    assert lost_save_at - cursors.saves[0][0] >= timedelta(seconds=30)


def test_metrics_are_sent_only_when_they_say_something(db: Database, ssm: Any) -> None:
    clock = FakeClock()
    cursors = RecordingCursors(SsmCursorStore(CURSOR, client=ssm), clock)
    with FakeEventsFeed(make_events(40), page_size=20, clock=clock) as feed:
        busy_metrics, quiet_metrics = RecordedMetrics(), RecordedMetrics()
        busy = make_poller(feed, db, clock, cursors, busy_metrics)
        first = link(busy, clock, Trigger(TriggerKind.WATCHDOG))
        quiet = make_poller(feed, db, clock, cursors, quiet_metrics)
        link(quiet, clock, Trigger(TriggerKind.CHAIN, first.chain_id))

    # A link that stored events: how many and the lag (no zero-count metrics)
    assert dict(busy_metrics.sent)[Metric.EVENTS_INGESTED] == 40
    assert busy_metrics.names() == {Metric.EVENTS_INGESTED, Metric.LAG_SECONDS}
    # A quiet link: only the data point the staleness alarm counts
    assert quiet_metrics.sent == [(Metric.EVENTS_INGESTED, 0)]
