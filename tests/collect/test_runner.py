"""The collection runner: isolation, budgets, claims, and the Lambda handler."""

from __future__ import annotations

import json
import warnings
from datetime import timedelta
from pathlib import Path

from collect.support import (
    STATS_TOKEN,
    T0,
    budget,
    count,
    make_collector,
    only_due,
    rows,
    runs,
    stats_payload,
)
from fakes.aws_lambda import FakeLambdaContext, load_function
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, json_reply
from mhc.db.connection import Database
from mhc.domain.jobs import JobKind
from mhc.domain.models import JobStatus
from mhc.services import job_runs
from mhc.services.job_context import JobContext, JobResult
from mhc.store.job_runs import ABANDONED

ROOT = Path(__file__).resolve().parents[2]


def recording_jobs(
    ran: list[str], failing: JobKind | None = None, cost: float = 0
) -> dict[JobKind, object]:
    def make(kind: JobKind) -> object:
        def job(ctx: JobContext) -> JobResult:
            ran.append(ctx.job.name)
            ctx.deps.sleeper(cost)
            if kind is failing:
                raise RuntimeError(f"boom with token={STATS_TOKEN} inside")
            return JobResult(counts={"done": 1})

        return job

    # The stats poller's kinds (the chat import runs in a function of its own).
    return {kind: make(kind) for kind in JobKind if kind is not JobKind.CHAT_IMPORT}


def test_one_failing_job_never_stops_the_others(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given four due jobs, the second of which (affiliate_sweep) raises
    ran: list[str] = []
    collector = make_collector(
        db, server, clock, jobs=recording_jobs(ran, failing=JobKind.AFFILIATE_SWEEP)
    )
    # When the poller runs
    reports = collector.run_due(budget())
    # Then every job ran, in priority order, and the failure is in job_runs, redacted
    assert ran == ["cb_stats", "affiliate_sweep", "statbate_refresh", "profile_collection"]
    statuses = {r.job: r.status for r in reports}
    assert statuses == {
        "cb_stats": JobStatus.SUCCEEDED,
        "affiliate_sweep": JobStatus.FAILED,
        "statbate_refresh": JobStatus.SUCCEEDED,
        "profile_collection": JobStatus.SUCCEEDED,
    }
    [failed] = runs(db, "affiliate_sweep")
    assert failed.status is JobStatus.FAILED
    assert "RuntimeError: boom" in (failed.error or "")
    assert STATS_TOKEN not in (failed.error or "")
    assert failed.finished_at is not None
    assert count(db, "SELECT count(*) FROM job_runs WHERE status = 'succeeded'") == 3
    # and the failed job is scheduled normally (no failure loop)
    [job] = rows(db, "SELECT next_run_at, last_status FROM jobs WHERE name = 'affiliate_sweep'")
    assert job == {"next_run_at": T0 + timedelta(minutes=5), "last_status": "failed"}


def test_jobs_left_without_time_stay_due_for_the_next_invocation(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given 60 s left and jobs that take 50 s each
    ran: list[str] = []
    collector = make_collector(db, server, clock, jobs=recording_jobs(ran, cost=50))
    end = clock() + timedelta(seconds=60)
    # When the poller runs
    reports = collector.run_due(lambda: end - clock())
    # Then only the first job ran; the rest were not started and wrote no job_runs
    assert ran == ["cb_stats"]
    assert [r.reason for r in reports if not r.ran] == ["no_time"] * 3
    assert count(db, "SELECT count(*) FROM job_runs") == 1
    # and the next invocation picks them up
    ran.clear()
    collector.run_due(budget())
    assert ran == ["affiliate_sweep", "statbate_refresh", "profile_collection"]


def test_a_job_running_elsewhere_is_not_run_twice(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given cb_stats claimed by another invocation a minute ago
    only_due(db, "cb_stats")
    with db.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET last_status = 'running', last_run_at = %s WHERE name = 'cb_stats'",
            (T0 - timedelta(minutes=1),),
        )
        other = job_runs.start(conn, "cb_stats", T0 - timedelta(minutes=1))
    ran: list[str] = []
    collector = make_collector(db, server, clock, jobs=recording_jobs(ran))
    # When this invocation runs it by name
    [report] = collector.run_due(budget(), only=["cb_stats"])
    # Then it is left alone; a claim older than the stale limit is taken over
    assert (report.ran, report.reason) == (False, "not_claimed")
    clock.advance(25 * 60)
    [report] = collector.run_due(budget(), only=["cb_stats"])
    assert report.status is JobStatus.SUCCEEDED
    assert ran == ["cb_stats"]
    # and the dead invocation's run is closed as failed, not left 'running' forever
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT status, error FROM job_runs WHERE id = %s", (other.id,)
        ).fetchone()
    assert row == {"status": "failed", "error": ABANDONED}


def test_disabled_jobs_do_not_run_on_schedule(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "profile_collection")
    ran: list[str] = []
    make_collector(db, server, clock, jobs=recording_jobs(ran)).run_due(budget())
    assert ran == ["profile_collection"]


def test_invalid_stored_config_fails_that_job_only(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a config edited by hand in the database to an invalid value
    with db.transaction() as conn:
        conn.execute(
            """UPDATE jobs SET config = '{"limit": "lots"}' WHERE name = 'statbate_refresh'"""
        )
    ran: list[str] = []
    reports = make_collector(db, server, clock, jobs=recording_jobs(ran)).run_due(budget())
    assert "statbate_refresh" not in ran
    failed = [r for r in reports if r.status is JobStatus.FAILED]
    assert [r.job for r in failed] == ["statbate_refresh"]
    assert "config.limit" in (failed[0].error or "")


def test_handler_runs_due_jobs_with_the_scheduled_event(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given the handler module with its collector wired to the fakes
    only_due(db, "cb_stats")
    server.enqueue(json_reply(stats_payload()), path="/statsapi/")
    app = load_function("stats_poller")
    app._function.collector = make_collector(db, server, clock)
    event = json.loads((ROOT / "events" / "stats_poller_schedule.json").read_text())
    # When Lambda invokes it with the schedule's event and 60 s left
    result = app.handler(event, FakeLambdaContext(clock, 60, arn="arn:aws:lambda:x"))
    # Then the due job ran and the summary says so
    assert [(j["job"], j["status"]) for j in result["jobs"]] == [("cb_stats", "succeeded")]
    assert count(db, "SELECT count(*) FROM snapshots WHERE source = 'cb_stats'") == 1


def test_a_tick_with_no_job_due_runs_nothing_and_warns_nothing(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db)  # every job disabled
    app = load_function("stats_poller")
    app._function.collector = make_collector(db, server, clock)
    event = json.loads((ROOT / "events" / "stats_poller_schedule.json").read_text())
    with warnings.catch_warnings(record=True) as caught:
        result = app.handler(event, FakeLambdaContext(clock, 60, arn="arn:aws:lambda:x"))
    assert result == {"jobs": []}
    assert server.request_count == 0
    assert [str(w.message) for w in caught] == []


def test_handler_runs_named_jobs_now(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given cb_stats not due (it just ran) and disabled
    only_due(db)
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET next_run_at = %s", (T0 + timedelta(hours=1),))
    server.enqueue(json_reply(stats_payload()), path="/statsapi/")
    app = load_function("stats_poller")
    app._function.collector = make_collector(db, server, clock)
    event = json.loads((ROOT / "events" / "stats_poller_run_jobs.json").read_text())
    result = app.handler(event, FakeLambdaContext(clock, 60, arn="arn:aws:lambda:x"))
    assert [(j["job"], j["status"]) for j in result["jobs"]] == [("cb_stats", "succeeded")]
