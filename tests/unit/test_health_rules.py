"""Pure collector-health rules: the events poller's state from its runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mhc.domain.health import poller_health
from mhc.domain.models import JobRun, JobStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def run(status: JobStatus, minutes_ago: float, **extra: object) -> JobRun:
    at = NOW - timedelta(minutes=minutes_ago)
    return JobRun.model_validate(
        {
            "id": 1,
            "job": "events_poller",
            "started_at": at,
            "finished_at": at,
            "status": status,
            "counts": extra.get("counts", {}),
            "error": extra.get("error"),
        }
    )


def state(runs: list[JobRun], success: JobRun | None) -> str:
    return poller_health(runs, success, last_event_at=None, gaps=[], now=NOW).state


def test_a_not_configured_attempt_wins_over_an_older_success() -> None:
    ok = run(JobStatus.SUCCEEDED, 3)
    assert state([run(JobStatus.NOT_CONFIGURED, 1), ok], ok) == "not_configured"


def test_a_recent_success_is_ok_even_after_one_failed_link() -> None:
    ok = run(JobStatus.SUCCEEDED, 3)
    assert state([run(JobStatus.FAILED, 1), ok], ok) == "ok"


def test_only_skipped_or_running_runs_and_no_success_is_never_run() -> None:
    assert state([run(JobStatus.SKIPPED, 1), run(JobStatus.RUNNING, 0)], None) == "never_run"
    assert state([], None) == "never_run"


def test_old_success_and_no_failure_is_stale_and_a_failure_is_failing() -> None:
    old = run(JobStatus.SUCCEEDED, 11)
    assert state([old], old) == "stale"
    assert state([run(JobStatus.FAILED, 2), old], old) == "failing"
    assert state([run(JobStatus.FAILED, 2)], None) == "failing"


def test_the_boundary_of_staleness_is_ten_minutes() -> None:
    edge = run(JobStatus.SUCCEEDED, 10)
    assert state([edge], edge) == "ok"
