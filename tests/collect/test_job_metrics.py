"""What the scheduled jobs send to CloudWatch: a failure (the JobFailures alarm) and an expired
sign-in (the chat import's session alarm), nothing else.

A metric sent every 5 minutes is billed every hour ($0.30 a month); how each run ended is in
`job_runs` and on the Jobs page.
"""

from __future__ import annotations

from collect.support import budget, settings_for
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from mhc.clients.http import new_http_client
from mhc.config import ConfigError
from mhc.db.connection import Database
from mhc.domain.jobs import JobKind
from mhc.domain.models import JobStatus
from mhc.observability import Metric, PowertoolsMetricsSink
from mhc.runtime.collector import build_collector
from mhc.services.job_context import JobContext, JobResult


class RecordedMetrics:
    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.sent.append((name, value))


def jobs(outcomes: dict[JobKind, str]) -> dict[JobKind, object]:
    def make(kind: JobKind) -> object:
        def job(ctx: JobContext) -> JobResult:
            outcome = outcomes[kind]
            if outcome == "raise":
                raise RuntimeError("upstream changed its shape")
            if outcome == "not_configured":
                raise ConfigError("MHC_STATBATE_TOKEN is not set")
            return JobResult(status=JobStatus(outcome))

        return job

    return {kind: make(kind) for kind in outcomes}


def run_once(
    db: Database, server: FakeHttpServer, clock: FakeClock, outcomes: dict[JobKind, str]
) -> tuple[list[JobStatus | None], list[tuple[str, float]]]:
    recorded = RecordedMetrics()
    collector = build_collector(
        settings_for(server),
        db,
        http=new_http_client(),
        clock=clock,
        sleeper=clock.sleep,
        metrics=PowertoolsMetricsSink(recorded),
        jobs=jobs(outcomes),  # type: ignore[arg-type]
    )
    reports = collector.run_due(budget())
    return [report.status for report in reports], recorded.sent


def test_runs_that_went_well_or_could_not_run_send_nothing(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given jobs that succeed, are skipped or are not configured (asked again every hour)
    statuses, sent = run_once(
        db,
        server,
        clock,
        {
            JobKind.CB_STATS: "succeeded",
            JobKind.AFFILIATE_SWEEP: "skipped",
            JobKind.STATBATE_REFRESH: "not_configured",
            JobKind.PROFILE_COLLECTION: "succeeded",
        },
    )
    # Then the runs happened and are recorded, and no metric is sent
    assert sorted(s.value for s in statuses if s) == [
        "not_configured",
        "skipped",
        "succeeded",
        "succeeded",
    ]
    assert sent == []


def test_a_failed_run_sends_job_failed(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    statuses, sent = run_once(
        db,
        server,
        clock,
        {
            JobKind.CB_STATS: "succeeded",
            JobKind.AFFILIATE_SWEEP: "raise",
            JobKind.STATBATE_REFRESH: "failed",
            JobKind.PROFILE_COLLECTION: "succeeded",
        },
    )
    assert statuses.count(JobStatus.FAILED) == 2
    assert sent == [(Metric.JOB_FAILED, 1), (Metric.JOB_FAILED, 1)]


def test_an_expired_sign_in_sends_job_auth_expired(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # The chat import's ChatImportSessionExpiredAlarm watches this metric.
    statuses, sent = run_once(
        db,
        server,
        clock,
        {
            JobKind.CB_STATS: "succeeded",
            JobKind.AFFILIATE_SWEEP: "succeeded",
            JobKind.STATBATE_REFRESH: "succeeded",
            JobKind.PROFILE_COLLECTION: "succeeded",
            JobKind.CHAT_IMPORT: "auth_expired",
        },
    )
    assert JobStatus.AUTH_EXPIRED in statuses
    assert sent == [(Metric.JOB_AUTH_EXPIRED, 1)]
