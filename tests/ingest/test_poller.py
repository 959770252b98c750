"""The events poller end to end: fake Events API on loopback + real PostgreSQL + moto SSM.

Faults are injected at every point that matters (HTTP errors, timeouts, resets, a stale cursor,
crashes before commit, between commit and cursor save, and during the self-invoke); the end
state must hold every event exactly once, except those inside a recorded gap.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fakes.aws_lambda import FakeLambdaContext, load_function
from fakes.clock import FakeClock
from fakes.events_feed import OWNER, TOKEN, FakeEventsFeed, StubLambda, make_events
from mhc.config import Settings, get_settings, load_settings
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.polling import Trigger, TriggerKind
from mhc.runtime.cursor import SsmCursorStore
from mhc.runtime.invoke import LambdaChainInvoker
from mhc.runtime.poller import build_events_poller
from mhc.services import events_poller, ingest, job_runs
from mhc.services.events_poller import EventsPoller, PollerConfig, PollOutcome
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
CURSOR = "/mhc/test/events-cursor"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:mhc-events-poller"


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def settings_for(feed: FakeEventsFeed) -> Settings:
    return load_settings(
        mhc_events_url=feed.base_url, mhc_owner_username=OWNER, mhc_events_cursor_param=CURSOR
    )


class FlakyCursors:
    """The SSM cursor store, made to crash once on the first forward move after `after` saves
    (that is, right after a page was committed)."""

    def __init__(self, inner: SsmCursorStore, after: int) -> None:
        self.inner, self.after, self.saves, self.crashed = inner, after, 0, False
        self.last_url: str | None = None
        #: A crashed process saves nothing more: every save fails until the next invocation.
        self.down = False

    def load(self) -> Any:
        return self.inner.load()

    def save(self, cursor: Any) -> None:
        self.saves += 1
        if self.down:
            raise RuntimeError("crash between commit and cursor save")
        moves = self.last_url is not None and cursor.next_url != self.last_url
        if moves and self.saves > self.after and not self.crashed:
            self.crashed = self.down = True
            raise RuntimeError("crash between commit and cursor save")
        self.inner.save(cursor)
        self.last_url = cursor.next_url


def make_poller(
    feed: FakeEventsFeed,
    db: Database,
    clock: FakeClock,
    ssm: Any,
    lam: StubLambda,
    cursors: Any = None,
) -> EventsPoller:
    return build_events_poller(
        settings_for(feed),
        db,
        invoker=LambdaChainInvoker(ARN, client=lam),
        cursors=cursors or SsmCursorStore(CURSOR, client=ssm),
        http=httpx.Client(),
        clock=clock,
        sleeper=clock.sleep,
        config=PollerConfig(
            owner=OWNER,
            max_server_timeout=1,
            read_margin=timedelta(seconds=0.5),
            safety_margin=timedelta(seconds=1),
            cursor_save_interval=timedelta(0),
        ),
    )


def table_ids(db: Database, sql: str) -> list[str]:
    with db.transaction() as conn:
        return [str(next(iter(row.values()))) for row in conn.execute(sql)]  # type: ignore[arg-type]


def test_ten_thousand_events_with_every_fault_end_exactly_once(
    db: Database, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a feed of 10,000 events and faults at every layer
    clock = FakeClock()
    events = make_events(10_000)
    lam = StubLambda()
    with FakeEventsFeed(events, page_size=250, clock=clock) as feed:
        feed.faults = {
            2: "500",
            4: "429",
            6: "timeout",
            9: "reset",
            12: "stale",
            15: "500",
            16: "500",
        }
        real_store = ingest.store_page
        store_calls = {"n": 0}

        def crashing_store(*args: Any, **kwargs: Any) -> Any:
            store_calls["n"] += 1
            result = real_store(*args, **kwargs)
            if store_calls["n"] == 5:
                raise RuntimeError("crash before commit")
            return result

        monkeypatch.setattr(ingest, "store_page", crashing_store)
        cursors = FlakyCursors(SsmCursorStore(CURSOR, client=ssm), after=5)
        poller = make_poller(feed, db, clock, ssm, lam, cursors)

        # When invocations run as Lambda would: chained, restarted by the watchdog after a crash
        trigger = Trigger(TriggerKind.WATCHDOG)
        crashes: list[str] = []
        outcomes = []
        for invocation in range(200):
            if invocation == 2:
                lam.fail_next = 1  # the self-invoke of this link fails
            cursors.down = False
            context = FakeLambdaContext(clock, seconds=30, tick=3.0)
            try:
                outcome: PollOutcome = poller.run(
                    trigger,
                    lambda c=context: timedelta(milliseconds=c.get_remaining_time_in_millis()),
                )
            except Exception as exc:
                crashes.append(str(exc))
                clock.advance(600)  # the watchdog notices the stale heartbeat
                trigger = Trigger(TriggerKind.WATCHDOG)
                continue
            outcomes.append(outcome)
            assert outcome.invoked_next
            trigger = Trigger(
                TriggerKind.CHAIN,
                lam.calls[-1] and json.loads(lam.calls[-1]["Payload"])["chain_id"],
            )
            done = len(feed.served) >= len(events) - len(feed.skipped)
            if done and outcome.counts.received == 0:
                break

    # Then every event is stored exactly once, except those inside the recorded gap
    stored = table_ids(db, "SELECT event_id FROM raw_events")
    assert len(stored) == len(set(stored))
    assert set(stored) == {e["id"] for e in events} - feed.skipped
    assert feed.skipped  # the stale cursor really skipped events
    derivable = {
        e["id"]
        for e in events
        if e["method"] not in ("broadcastStart", "broadcastStop", "futureMethod")
    }
    interactions = table_ids(db, "SELECT external_id FROM interactions")
    assert sorted(interactions) == sorted(derivable - feed.skipped)
    assert table_ids(db, "SELECT count(*) FROM event_gaps") == ["1"]
    # Every crash point was really hit: before commit, between commit and save, self-invoke.
    assert sorted(crashes) == sorted(
        [
            "crash before commit",
            "crash between commit and cursor save",
            "lambda endpoint unreachable",
        ]
    )
    # The page committed before the lost cursor save was fetched again and deduplicated.
    assert table_ids(db, "SELECT sum((counts->>'duplicates')::int) FROM job_runs") == ["250"]
    statuses = table_ids(db, "SELECT status FROM job_runs")
    assert "failed" in statuses
    assert "succeeded" in statuses
    # ... with the pipeline on: backlog pages were prepared in the second process
    assert sum(outcome.prepared_ahead for outcome in outcomes) > 10


def test_two_pollers_started_together_one_consumes_the_other_exits(
    database_url: str, ssm: Any
) -> None:
    clock = FakeClock()
    events = make_events(600)
    release = threading.Event()
    results: dict[str, Any] = {}
    with FakeEventsFeed(events, page_size=100, clock=clock) as feed:
        first_request = threading.Event()

        def hold_first(_request: Any) -> None:
            if not first_request.is_set():
                first_request.set()
                release.wait(10)  # poller A sits in its first long-poll while B starts

        feed.before_reply = hold_first

        def run(name: str) -> None:
            db = Database(database_url)
            poller = make_poller(feed, db, clock, ssm, StubLambda())
            context = FakeLambdaContext(clock, seconds=30, tick=1.0)
            try:
                results[name] = poller.run(
                    Trigger(TriggerKind.WATCHDOG),
                    lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
                )
            except Exception as exc:  # surfaced by the assertion below
                results[name] = exc
            finally:
                db.close()

        a = threading.Thread(target=run, args=("a",))
        a.start()
        assert first_request.wait(10)
        run("b")  # starts while A holds the lock
        release.set()
        a.join(30)

    assert isinstance(results["a"], PollOutcome)
    assert isinstance(results["b"], PollOutcome)
    assert results["a"].status is JobStatus.SUCCEEDED
    assert results["b"].status is JobStatus.SKIPPED
    assert "another events poller" in results["b"].reason
    db = Database(database_url)
    stored = table_ids(db, "SELECT event_id FROM raw_events")
    db.close()
    assert len(stored) == len(set(stored)) == 600


def test_watchdog_leaves_a_live_chain_alone_and_a_superseded_chain_stops(
    db: Database, ssm: Any
) -> None:
    clock = FakeClock()
    lam = StubLambda()
    with FakeEventsFeed(make_events(50), clock=clock) as feed:
        poller = make_poller(feed, db, clock, ssm, lam)

        def once(trigger: Trigger) -> PollOutcome:
            context = FakeLambdaContext(clock, seconds=20, tick=3.0)
            return poller.run(
                trigger, lambda: timedelta(milliseconds=context.get_remaining_time_in_millis())
            )

        first = once(Trigger(TriggerKind.WATCHDOG))
        assert first.status is JobStatus.SUCCEEDED
        alive = once(Trigger(TriggerKind.WATCHDOG))
        assert alive.status is JobStatus.SKIPPED
        assert "alive" in alive.reason
        clock.advance(3600)
        takeover = once(Trigger(TriggerKind.WATCHDOG))
        assert takeover.chain_id != first.chain_id
        stale_link = once(Trigger(TriggerKind.CHAIN, first.chain_id))
        assert stale_link.status is JobStatus.SKIPPED
        assert "superseded" in stale_link.reason
        assert not stale_link.invoked_next


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_and_not_found_stop_the_chain_and_keep_the_cursor(
    db: Database, ssm: Any, status: int
) -> None:
    from fakes.http import json_reply

    clock = FakeClock()
    lam = StubLambda()
    with FakeEventsFeed(make_events(10), clock=clock) as feed:
        feed.faults = {1: json_reply({"status": "nope"}, status=status)}
        poller = make_poller(feed, db, clock, ssm, lam)
        context = FakeLambdaContext(clock, seconds=20, tick=3.0)
        outcome = poller.run(
            Trigger(TriggerKind.WATCHDOG),
            lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
        )
    assert outcome.status is JobStatus.FAILED
    assert not outcome.invoked_next
    assert lam.calls == []
    saved = SsmCursorStore(CURSOR, client=ssm).load()
    assert saved is not None
    assert saved.next_url == feed.base_url  # unchanged: still the start of the feed
    assert TOKEN not in outcome.reason
    assert table_ids(db, "SELECT error FROM job_runs")[0].startswith("events:")


def test_an_unreadable_cursor_restarts_the_feed_and_records_the_gap(db: Database, ssm: Any) -> None:
    # Given a cursor parameter holding something else (say, a URL pasted by hand)
    pasted = "https://eventsapi.chaturbate.com/events/owner/pasted-secret-token-77/"
    ssm.put_parameter(Name=CURSOR, Value=pasted, Type="SecureString", Overwrite=True)
    clock = FakeClock()
    with FakeEventsFeed(make_events(10), clock=clock) as feed:
        poller = make_poller(feed, db, clock, ssm, StubLambda())
        context = FakeLambdaContext(clock, seconds=20, tick=3.0)
        # When the watchdog runs the poller
        outcome = poller.run(
            Trigger(TriggerKind.WATCHDOG),
            lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
        )
    # Then capture goes on from the start of the feed, and the unknown stretch is a recorded gap
    assert outcome.status is JobStatus.SUCCEEDED
    assert (outcome.gaps, outcome.counts.inserted) == (1, 10)
    [reason] = table_ids(db, "SELECT reason FROM event_gaps")
    assert "unreadable" in reason
    assert "pasted-secret" not in reason
    assert "pasted-secret" not in outcome.reason
    saved = SsmCursorStore(CURSOR, client=ssm).load()
    assert saved is not None
    assert saved.chain_id == outcome.chain_id


def test_handler_with_the_schedule_event_and_20_seconds_left(
    db: Database, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the handler, the watchdog schedule event and a context with 20 s left
    app = load_function("events_poller")
    clock = FakeClock()
    lam = StubLambda()
    event = json.loads((ROOT / "events/events_poller_schedule.json").read_text())
    with FakeEventsFeed(make_events(300), page_size=100, clock=clock) as feed:
        app._poller = make_poller(feed, db, clock, ssm, lam)
        context = FakeLambdaContext(clock, seconds=20)
        # When it runs
        result = app.handler(event, context)
        left_ms = context.get_remaining_time_in_millis()
        # (and then Lambda delivers the payload it sent to the next link)
        payload = json.loads(lam.calls[0]["Payload"])
        second = app.handler(payload, FakeLambdaContext(clock, seconds=20))
    # Then it returned before its deadline, saved the cursor and asked Lambda to invoke it again
    assert left_ms > 0
    assert result["status"] == "succeeded"
    assert result["inserted"] == 300
    saved = SsmCursorStore(CURSOR, client=ssm).load()
    assert saved is not None
    assert "i=" in saved.next_url
    assert saved.chain_id == result["chain_id"]
    call = lam.calls[0]
    assert call["FunctionName"] == context.invoked_function_arn
    assert call["InvocationType"] == "Event"
    assert payload == {"trigger": "chain", "chain_id": result["chain_id"]}
    # And that payload makes the next link continue the same chain (not a watchdog's skip)
    assert (second["status"], second["chain_id"], second["inserted"]) == (
        "succeeded",
        result["chain_id"],
        0,
    )
    assert [json.loads(c["Payload"]) for c in lam.calls] == [payload, payload]


def test_handler_without_its_events_url_records_not_configured_once_an_hour(
    database_url: str, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the Lambda with its SSM parameter named but not created yet
    for name, value in {
        "DATABASE_URL": database_url,
        "MHC_OWNER_USERNAME": OWNER,
        "MHC_EVENTS_URL_PARAM": "/mhc/test/events-url",
        "MHC_EVENTS_CURSOR_PARAM": CURSOR,
        "AWS_LAMBDA_FUNCTION_NAME": "mhc-test-events-poller",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    app = load_function("events_poller")
    event = json.loads((ROOT / "events/events_poller_schedule.json").read_text())
    clock = FakeClock()
    try:
        # When the watchdog invokes it three times
        results = [app.handler(event, FakeLambdaContext(clock, seconds=20)) for _ in range(3)]
    finally:
        get_settings.cache_clear()
    # Then it says not configured, naming the SSM parameter, and records one run (not three)
    assert [r["status"] for r in results] == ["not_configured"] * 3
    assert results[0]["missing"] == ["MHC_EVENTS_URL"]
    db = Database(database_url)
    with db.transaction() as conn:
        runs = job_runs.recent(conn, job=events_poller.JOB_NAME)
    db.close()
    [run] = runs
    assert run.status is JobStatus.NOT_CONFIGURED
    assert run.error is not None
    assert "/mhc/test/events-url" in run.error


def test_a_run_left_running_by_a_dead_invocation_is_closed(db: Database, ssm: Any) -> None:
    # Given a job_runs row left 'running' by an invocation that was killed
    from mhc.services import job_runs
    from mhc.store.job_runs import ABANDONED

    clock = FakeClock()
    with db.transaction() as conn:
        dead = job_runs.start(conn, events_poller.JOB_NAME, clock() - timedelta(minutes=20))
    with FakeEventsFeed(make_events(5), clock=clock) as feed:
        poller = make_poller(feed, db, clock, ssm, StubLambda())
        context = FakeLambdaContext(clock, seconds=20, tick=3.0)
        # When the next poller runs
        poller.run(
            Trigger(TriggerKind.WATCHDOG),
            lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
        )
    # Then the dead run is failed with the reason, and no run stays 'running'
    with db.transaction() as conn:
        rows = {r["id"]: r for r in conn.execute("SELECT id, status, error FROM job_runs")}
    assert rows[dead.id]["status"] == "failed"
    assert rows[dead.id]["error"] == ABANDONED
    assert [r["status"] for r in rows.values()].count("running") == 0


def test_events_that_derive_nothing_are_named_in_the_job_run(db: Database, ssm: Any) -> None:
    # Given a feed with a tip whose amount is missing between good events
    clock = FakeClock()
    events = make_events(5)
    broken = {
        "method": "tip",
        "id": "1767225600500-9",
        "object": {"broadcaster": OWNER, "user": {"username": "fan_x"}, "amount": 100},
    }
    with FakeEventsFeed([*events[:2], broken, *events[2:]], clock=clock) as feed:
        poller = make_poller(feed, db, clock, ssm, StubLambda())
        context = FakeLambdaContext(clock, seconds=20, tick=3.0)
        # When the poller runs
        outcome = poller.run(
            Trigger(TriggerKind.WATCHDOG),
            lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
        )
    # Then the run succeeds, and its recorded counts name the event and the reason
    assert outcome.status is JobStatus.SUCCEEDED
    with db.transaction() as conn:
        row = conn.execute("SELECT counts FROM job_runs").fetchone()
    assert row is not None
    assert row["counts"]["problems"] == 1
    assert row["counts"]["problem_events"] == [
        {"id": "1767225600500-9", "reason": "tip: tokens missing"}
    ]


def test_a_failed_page_discards_the_page_prepared_ahead_and_the_next_run_resumes(
    db: Database, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a backlog of four pages and a store that fails on the second page
    clock = FakeClock()
    events = make_events(1000)
    real_store, real_take = ingest.store_page, ingest.ForkedPreparer.take
    stored_pages: list[int] = []
    children: list[int] = []

    def failing_store(conn: Any, page: ingest.PreparedPage, **kwargs: Any) -> Any:
        counts = real_store(conn, page, **kwargs)
        stored_pages.append(len(page.envelopes))
        if len(stored_pages) == 2:
            raise RuntimeError("the database went away")
        return counts

    def watched_take(self: ingest.ForkedPreparer) -> ingest.PreparedPage:
        if self.child_pid is not None:
            children.append(self.child_pid)
        return real_take(self)

    monkeypatch.setattr(ingest, "store_page", failing_store)
    monkeypatch.setattr(ingest.ForkedPreparer, "take", watched_take)
    requested: list[str | None] = []
    with FakeEventsFeed(events, page_size=250, clock=clock) as feed:
        feed.before_reply = lambda request: requested.append(request.param("i"))
        poller = make_poller(feed, db, clock, ssm, StubLambda())

        def run() -> PollOutcome:
            context = FakeLambdaContext(clock, seconds=30, tick=1.0)
            return poller.run(
                Trigger(TriggerKind.WATCHDOG),
                lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
            )

        # When the first run fails on its second page, while the third is prepared ahead
        with pytest.raises(RuntimeError, match="went away"):
            run()
        after_failure = SsmCursorStore(CURSOR, client=ssm).load()
        stored_then = table_ids(db, "SELECT event_id FROM raw_events")
        clock.advance(600)  # the watchdog finds the chain stale
        outcome = run()

    # Then the failed run kept what it committed and its cursor says so
    assert after_failure is not None
    assert f"i={events[249]['id']}" in after_failure.next_url
    assert sorted(stored_then) == sorted(e["id"] for e in events[:250])
    # the page prepared ahead was discarded with its process, and asked for again
    assert children
    assert all(not os.path.exists(f"/proc/{pid}") for pid in set(children))
    assert requested.count(events[499]["id"]) == 2
    # and in the end every event is stored once, the second run also prepared ahead
    assert outcome.status is JobStatus.SUCCEEDED
    assert outcome.prepared_ahead >= 2
    stored = table_ids(db, "SELECT event_id FROM raw_events")
    assert sorted(stored) == sorted(e["id"] for e in events)
    interactions = table_ids(db, "SELECT external_id FROM interactions")
    assert len(interactions) == len(set(interactions))


def test_live_pages_commit_durably_and_replay_does_not(
    db: Database, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store = ingest.store_page
    modes: list[str] = []

    def noting_store(conn: Any, page: ingest.PreparedPage, **kwargs: Any) -> Any:
        row = conn.execute("SHOW synchronous_commit").fetchone()
        modes.append(row["synchronous_commit"])
        return real_store(conn, page, **kwargs)

    monkeypatch.setattr(ingest, "store_page", noting_store)
    clock = FakeClock()
    with FakeEventsFeed(make_events(300), page_size=150, clock=clock) as feed:
        poller = make_poller(feed, db, clock, ssm, StubLambda())
        context = FakeLambdaContext(clock, seconds=20, tick=3.0)
        poller.run(
            Trigger(TriggerKind.WATCHDOG),
            lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()),
        )
    live = list(modes)
    captured = [ingest.CapturedLine(n, e) for n, e in enumerate(make_events(20, seed=2), start=1)]
    ingest.replay(db, captured, owner=OWNER, received_at=clock(), batch_size=10)
    assert live
    assert set(live) == {"on"}
    assert modes[len(live) :] == ["off", "off"]
