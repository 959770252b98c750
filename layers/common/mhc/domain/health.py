"""Collector health as rules: how far behind live capture is, what state each collector is in,
and one verdict with its reasons. Computed here, once, for the API; the UI only shows it (it used
to guess from the last 20 runs of all jobs, where 21 lookups hid a failed job).

Pure: callers pass the rows they read and `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from mhc.domain.models import JobRun, JobStatus

if TYPE_CHECKING:  # the events poller loads this module: not the jobs' config models
    from mhc.domain.jobs import Job

#: The events poller's job name in `job_runs`.
EVENTS_POLLER_JOB = "events_poller"

#: The settings the events poller cannot run without.
EVENTS_POLLER_SETTINGS = ("MHC_EVENTS_URL", "MHC_OWNER_USERNAME")

#: The counts key of a `not_configured` run that lists the settings it lacked.
MISSING_SETTINGS = "missing"

#: No successful poll for this long means the poller is down (it polls continuously).
POLLER_STALE_AFTER = timedelta(minutes=10)

#: Gaps detected this recently are a reason for attention (events may be lost).
RECENT_GAPS_WINDOW = timedelta(hours=24)

#: ok: working; stale: no successful poll lately; failing: its last attempt failed;
#: not_configured: a setting it needs is missing; never_run: nothing has tried yet.
PollerState = Literal["ok", "stale", "failing", "not_configured", "never_run"]
#: As for the poller, plus disabled (the owner's choice) and cooling_down (its upstream API
#: throttled us; it resumes by itself).
JobState = Literal["ok", "failing", "not_configured", "never_run", "cooling_down", "disabled"]
#: ok: every enabled collector works; attention: something is not collecting (not configured,
#: never run, cooling down) or events may be lost (gaps); failing: a collector failed.
Verdict = Literal["ok", "attention", "failing"]


class EventGap(BaseModel):
    """A stretch of time in which events may have been lost (stale Events API cursor)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    detected_at: datetime
    last_event_id: str | None
    last_event_at: datetime | None
    reason: str
    created_at: datetime


class PollerHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: PollerState
    #: The newest run that tried to poll (watchdog and lock skips left out).
    last_run: JobRun | None
    #: The newest successful poll (its finish, or start while unfinished).
    last_successful_poll_at: datetime | None
    poll_lag_seconds: int | None
    #: When the newest stored event happened.
    last_event_at: datetime | None
    event_lag_seconds: int | None
    gaps_last_day: int
    #: Settings it lacks (state not_configured).
    missing: list[str]
    #: What its last attempt said, while that still describes its state.
    error: str | None


class JobHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    enabled: bool
    state: JobState
    #: The newest finished run the state comes from (None: never finished one).
    last_run: JobRun | None
    #: A run is in progress now.
    running: bool
    next_run_at: datetime | None
    cool_down_until: datetime | None
    missing: list[str]
    error: str | None


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: failing: a collector failed; attention: something is not collecting or may be lost.
    level: Literal["failing", "attention"]
    text: str


class CollectorStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    checked_at: datetime
    verdict: Verdict
    #: Why the verdict is not "ok", failures first (empty when it is).
    reasons: list[Reason]
    events_poller: PollerHealth
    jobs: list[JobHealth]


def lag_seconds(latest: datetime | None, now: datetime) -> int | None:
    """Whole seconds from `latest` to `now` (never negative); None when nothing happened yet."""
    if latest is None:
        return None
    return max(0, int((now - latest).total_seconds()))


def missing_settings(run: JobRun | None) -> list[str]:
    """The settings a `not_configured` run lacked (empty for any other run, or when the job
    itself found its configuration wanting without naming a required setting)."""
    if run is None or run.status is not JobStatus.NOT_CONFIGURED:
        return []
    names = run.counts.get(MISSING_SETTINGS)
    if not isinstance(names, list):
        return []
    return [name for name in names if isinstance(name, str)]


def success_time(run: JobRun | None) -> datetime | None:
    return None if run is None else (run.finished_at or run.started_at)


def poller_health(
    runs: Sequence[JobRun],
    last_success: JobRun | None,
    *,
    last_event_at: datetime | None,
    gaps: Sequence[EventGap],
    now: datetime,
) -> PollerHealth:
    """The events poller's state from its recent runs (newest first) and its last success.

    Runs that skipped (the watchdog finding the chain alive, a second poller finding the lock
    taken) say nothing about polling and are passed over; a `not_configured` attempt wins over
    an older success; a success within POLLER_STALE_AFTER is ok whatever single link failed."""
    attempt = next(
        (r for r in runs if r.status not in (JobStatus.RUNNING, JobStatus.SKIPPED)), None
    )
    succeeded_at = success_time(last_success)
    state: PollerState
    if attempt is not None and attempt.status is JobStatus.NOT_CONFIGURED:
        state = "not_configured"
    elif succeeded_at is not None and now - succeeded_at <= POLLER_STALE_AFTER:
        state = "ok"
    elif attempt is not None and attempt.status is JobStatus.FAILED:
        state = "failing"
    elif succeeded_at is None and attempt is None:
        state = "never_run"
    else:
        state = "stale"
    return PollerHealth(
        state=state,
        last_run=attempt,
        last_successful_poll_at=succeeded_at,
        poll_lag_seconds=lag_seconds(succeeded_at, now),
        last_event_at=last_event_at,
        event_lag_seconds=lag_seconds(last_event_at, now),
        gaps_last_day=sum(1 for gap in gaps if now - gap.detected_at <= RECENT_GAPS_WINDOW),
        missing=missing_settings(attempt) if state == "not_configured" else [],
        error=attempt.error if attempt is not None and state in _STATES_WITH_ERROR else None,
    )


_STATES_WITH_ERROR = ("failing", "not_configured", "cooling_down")


def job_health(
    job: Job, runs: Sequence[JobRun], *, cool_down_until: datetime | None, now: datetime
) -> JobHealth:
    """A job's state from its recent runs (newest first): the newest finished run decides; a
    run skipped for a cool-down counts only while the cool-down lasts."""
    finished = [r for r in runs if r.status is not JobStatus.RUNNING]
    cooling = cool_down_until is not None and cool_down_until > now
    decisive = next((r for r in finished if r.status is not JobStatus.SKIPPED or cooling), None)
    state: JobState
    if not job.enabled:
        state = "disabled"
    elif decisive is None:
        state = "never_run"
    else:
        state = _JOB_STATES[decisive.status]
    return JobHealth(
        name=job.name,
        kind=job.kind.value,
        enabled=job.enabled,
        state=state,
        last_run=finished[0] if finished else None,
        running=bool(runs) and runs[0].status is JobStatus.RUNNING,
        next_run_at=job.next_run_at,
        cool_down_until=cool_down_until if cooling else None,
        missing=missing_settings(decisive) if state == "not_configured" else [],
        error=decisive.error if decisive is not None and state in _STATES_WITH_ERROR else None,
    )


_JOB_STATES: dict[JobStatus, JobState] = {
    JobStatus.SUCCEEDED: "ok",
    JobStatus.FAILED: "failing",
    JobStatus.NOT_CONFIGURED: "not_configured",
    JobStatus.SKIPPED: "cooling_down",
    JobStatus.RUNNING: "never_run",
}


def collector_status(
    poller: PollerHealth, jobs: Sequence[JobHealth], *, now: datetime
) -> CollectorStatus:
    """One verdict with its reasons: failures first, then what is not collecting."""
    failing: list[str] = []
    attention: list[str] = []
    if poller.state == "failing":
        failing.append("events poller failing")
    elif poller.state == "stale":
        minutes = (poller.poll_lag_seconds or 0) // 60
        failing.append(f"events poller stale: no successful poll for {minutes} min")
    elif poller.state == "not_configured":
        attention.append("events poller not configured")
    elif poller.state == "never_run":
        attention.append("events poller has never run")
    for job in jobs:
        if job.state == "failing":
            failing.append(f"{job.name} failed")
        elif job.state == "not_configured":
            attention.append(f"{job.name} not configured")
        elif job.state == "never_run":
            attention.append(f"{job.name} has never run")
        elif job.state == "cooling_down":
            attention.append(f"{job.name} cooling down")
    if poller.gaps_last_day:
        plural = "s" if poller.gaps_last_day > 1 else ""
        attention.append(f"{poller.gaps_last_day} event gap{plural} in the last 24 h")
    verdict: Verdict = "failing" if failing else "attention" if attention else "ok"
    return CollectorStatus(
        checked_at=now,
        verdict=verdict,
        reasons=[Reason(level="failing", text=text) for text in failing]
        + [Reason(level="attention", text=text) for text in attention],
        events_poller=poller,
        jobs=list(jobs),
    )
