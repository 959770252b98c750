"""Job cb_stats end to end: fake Stats API on loopback, real PostgreSQL, fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from collect.support import (
    OWNER,
    STATS_TOKEN,
    T0,
    budget,
    count,
    dumps,
    make_collector,
    only_due,
    rows,
    runs,
    settings_for,
    stats_payload,
)
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, Reply, cloudflare_reply, json_reply
from mhc.config import ConfigError
from mhc.db.connection import Database
from mhc.domain.jobs import JobKind
from mhc.domain.models import JobStatus
from mhc.services.job_context import JobContext, JobResult

STATS = "/statsapi/"


def snapshots(db: Database) -> int:
    return count(db, "SELECT count(*) FROM snapshots WHERE source = 'cb_stats'")


def test_success_appends_one_snapshot_per_run_and_schedules_the_next(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given the Stats API answering, and only cb_stats enabled
    only_due(db, "cb_stats")
    server.enqueue(
        json_reply(stats_payload()), json_reply(stats_payload(num_followers=1240)), path=STATS
    )
    collector = make_collector(db, server, clock)

    # When the poller runs, then runs again at once (not due), then after 5 minutes
    first = collector.run_due(budget())
    again = collector.run_due(budget())
    clock.advance(300)
    later = collector.run_due(budget())

    # Then: one snapshot per run that was due, with normalized metrics and the raw payload
    assert [r.status for r in first] == [JobStatus.SUCCEEDED]
    assert again == []
    assert [r.status for r in later] == [JobStatus.SUCCEEDED]
    assert server.request_count == 2
    assert server.requests[0].param("token") == STATS_TOKEN
    snaps = rows(db, "SELECT raw_payload, normalized_metrics FROM snapshots ORDER BY id")
    assert len(snaps) == 2
    assert snaps[0]["normalized_metrics"]["time_online_minutes"] == 42
    assert snaps[0]["raw_payload"]["num_ad_anon_viewers"] == 3
    owner = rows(db, "SELECT role FROM persons WHERE username = %s", (OWNER,))
    assert owner == [{"role": "MODEL"}]
    # followers recorded once per change
    assert [
        r["followers"] for r in rows(db, "SELECT followers FROM follower_counts ORDER BY id")
    ] == [1234, 1240]
    history = runs(db, "cb_stats")
    assert [r.status for r in history] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    assert history[0].counts["snapshots"] == 1
    assert STATS_TOKEN not in dumps([r.model_dump() for r in history])


@pytest.mark.parametrize(
    ("reply", "error_part"),
    [
        (json_reply({"detail": "bad token"}, 401), "AuthError"),
        (json_reply({}, 404), "NotFound"),
        (
            Reply(status=200, body=b"not json", headers={"Content-Type": "text/plain"}),
            "InvalidResponse",
        ),
        (json_reply([1, 2], 200), "InvalidResponse"),
        (Reply(status=302, headers={"Location": "/auth/login/"}), "InvalidResponse"),
        (json_reply({}, 418), "UnexpectedStatus"),
        (json_reply({}, 503), "TransientExhausted"),
    ],
)
def test_each_error_class_fails_visibly_and_writes_nothing(
    db: Database, server: FakeHttpServer, clock: FakeClock, reply: Reply, error_part: str
) -> None:
    # Given the Stats API failing in one way (5xx: every retry fails too)
    only_due(db, "cb_stats")
    server.handler = lambda _request: reply
    # When the job runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then it failed, says why (without the token), and stored no snapshot
    assert report.status is JobStatus.FAILED
    [run] = runs(db, "cb_stats")
    assert run.status is JobStatus.FAILED
    assert run.error is not None
    assert error_part in run.error
    assert STATS_TOKEN not in run.error
    assert snapshots(db) == 0


def test_throttling_persists_a_cool_down_the_next_invocation_respects(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a 403 "polled too often" with Retry-After 17 minutes
    only_due(db, "cb_stats")
    server.enqueue(json_reply({}, 403, **{"Retry-After": "1020"}), path=STATS)
    [first] = make_collector(db, server, clock).run_due(budget())
    assert first.status is JobStatus.SKIPPED
    assert count(db, "SELECT count(*) FROM api_cool_downs WHERE api = 'stats'") == 1

    # When a new invocation (a new process) runs the job 6 minutes later, even forced
    clock.advance(360)
    second = make_collector(db, server, clock)
    [forced] = second.run_due(budget(), only=["cb_stats"])
    # and the scheduled path does not even find it due (next run = end of cool-down)
    assert second.run_due(budget()) == []

    # Then no request was sent during the cool-down, and the skip is visible
    assert server.request_count == 1
    assert forced.status is JobStatus.SKIPPED
    assert forced.error is not None
    assert "cooling down" in forced.error

    # After the cool-down the job runs again
    clock.advance(17 * 60)
    server.enqueue(json_reply(stats_payload()), path=STATS)
    [third] = make_collector(db, server, clock).run_due(budget())
    assert third.status is JobStatus.SUCCEEDED
    assert snapshots(db) == 1


def test_cloudflare_fails_and_cools_the_api_down(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "cb_stats")
    server.enqueue(cloudflare_reply(), path=STATS)
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert report.error is not None
    assert "Cloudflare" in report.error
    [cool] = rows(db, "SELECT until FROM api_cool_downs WHERE api = 'stats'")
    assert cool["until"] == T0 + timedelta(minutes=30)
    assert snapshots(db) == 0


@pytest.mark.parametrize("missing", ["mhc_stats_token", "mhc_owner_username"])
def test_missing_configuration_is_not_configured_and_not_retried_every_cycle(
    db: Database, server: FakeHttpServer, clock: FakeClock, missing: str
) -> None:
    # Given no stats token (or no owner)
    only_due(db, "cb_stats")
    collector = make_collector(db, server, clock, settings=settings_for(server, **{missing: None}))
    # When the poller runs, and again 5 minutes later
    [report] = collector.run_due(budget())
    clock.advance(300)
    assert collector.run_due(budget()) == []
    # Then the job says what is missing, asked nothing, and waits an hour
    assert report.status is JobStatus.NOT_CONFIGURED
    assert report.error is not None
    assert missing.upper() in report.error
    assert server.request_count == 0
    [job] = rows(db, "SELECT next_run_at, last_status FROM jobs WHERE name = 'cb_stats'")
    assert job == {"next_run_at": T0 + timedelta(hours=1), "last_status": "not_configured"}


def test_a_job_runs_at_the_next_tick_once_its_missing_setting_is_added(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given cb_stats recorded "not configured" for want of its token
    only_due(db, "cb_stats")
    unconfigured = make_collector(
        db, server, clock, settings=settings_for(server, mhc_stats_token=None)
    )
    [first] = unconfigured.run_due(budget())
    assert first.status is JobStatus.NOT_CONFIGURED
    assert first.counts == {"missing": ["MHC_STATS_TOKEN"]}
    # When the owner adds the token (a restart with the new .env) and the next tick comes
    server.enqueue(json_reply(stats_payload()), path=STATS)
    clock.advance(60)
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then the job runs at once instead of an hour later, and its status is the real one
    assert report.status is JobStatus.SUCCEEDED
    assert server.request_count == 1
    assert snapshots(db) == 1
    [job] = rows(db, "SELECT last_status, next_run_at FROM jobs WHERE name = 'cb_stats'")
    assert job == {"last_status": "succeeded", "next_run_at": T0 + timedelta(seconds=60 + 300)}


def test_a_job_still_missing_its_setting_is_not_rerun_every_tick(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "cb_stats")
    collector = make_collector(
        db, server, clock, settings=settings_for(server, mhc_stats_token=None)
    )
    collector.run_due(budget())
    # Ticks for the next 59 minutes record nothing more; the hour after, one more reminder
    for _ in range(59):
        clock.advance(60)
        assert collector.run_due(budget()) == []
    clock.advance(60)
    [again] = collector.run_due(budget())
    assert again.status is JobStatus.NOT_CONFIGURED
    assert len(runs(db, "cb_stats")) == 2


def test_a_configuration_error_of_the_job_itself_keeps_the_hourly_retry(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a job whose required settings are all there, but which still finds its
    # configuration wanting when it runs (nothing names what is missing)
    def picky(_ctx: JobContext) -> JobResult:
        raise ConfigError("MHC_SOMETHING is not right")

    only_due(db, "profile_collection")
    collector = make_collector(db, server, clock, jobs={JobKind.PROFILE_COLLECTION: picky})
    [report] = collector.run_due(budget())
    assert report.status is JobStatus.NOT_CONFIGURED
    # Then the next ticks leave it alone (no not_configured row every minute)
    clock.advance(60)
    assert collector.run_due(budget()) == []
    [job] = rows(db, "SELECT next_run_at FROM jobs WHERE name = 'profile_collection'")
    assert job == {"next_run_at": T0 + timedelta(hours=1)}


def test_not_configured_error_speaks_of_settings_locally_and_of_ssm_in_lambda(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "cb_stats")
    local = settings_for(server, mhc_stats_token=None)
    [report] = make_collector(db, server, clock, settings=local).run_due(budget())
    assert report.error is not None
    assert report.error.startswith("MHC_STATS_TOKEN is not set")
    assert ".env" in report.error
    assert "SSM" not in report.error
    assert "_PARAM" not in report.error
    in_lambda = settings_for(
        server, mhc_stats_token=None, aws_lambda_function_name="mhc-prod-stats-poller"
    )
    [aws] = make_collector(db, server, clock, settings=in_lambda).run_due(
        budget(), only=["cb_stats"]
    )
    assert aws.error is not None
    assert "MHC_STATS_TOKEN_PARAM" in aws.error
