"""Scheduled collection: run the jobs that are due, each isolated, within a time budget.

One run of one job:
1. claim the job (due, not already running) so an overlapping invocation leaves it alone;
2. write a `job_runs` row (`running`), so even a crash mid-run is visible;
3. respect a persisted cool-down of the job's upstream API (then the run is `skipped`);
4. run the job, unless a setting its kind requires is missing: then it is `not_configured`,
   naming the settings, without a request. A throttle persists a cool-down, anything else is
   `failed` with redacted text. Nothing a job raises reaches the next job;
5. finish the `job_runs` row and schedule the next run. A `not_configured` job is recorded
   again hourly, not every cycle, but every tick checks its settings (no request, no row): once
   they are all there it runs at that tick.

The owner-facing use cases for jobs (list, change, request a run) are in `mhc.services.jobs`,
which the API imports without the collectors' HTTP clients. The collector is handed its job
functions (`mhc.runtime.collector.default_jobs`): it imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from mhc.clients.errors import Blocked, ClientError, Throttled
from mhc.config import ConfigError
from mhc.db.connection import TransactionSource
from mhc.domain.errors import NotFound
from mhc.domain.health import MISSING_SETTINGS, missing_settings
from mhc.domain.jobs import (
    KIND_API,
    REQUIRED_SETTINGS,
    Job,
    JobKind,
    configured_again,
    due_jobs,
    next_run,
    parse_config,
)
from mhc.domain.models import JobRun, JobStatus
from mhc.observability import Metric, MetricsSink, logger, redact
from mhc.services import job_runs
from mhc.services.job_context import CollectDeps, CoolDown, JobContext, JobFunction, JobResult
from mhc.store import jobs as store

#: Left unused at the end of an invocation (commit, metrics, logs).
SAFETY_MARGIN = timedelta(seconds=10)
#: A job is not started with less time than this left.
MIN_JOB_TIME = timedelta(seconds=5)
#: A "running" claim older than this belonged to a run that died (Lambda timeout is 15 min).
STALE_RUN = timedelta(minutes=20)
#: A job that is not configured is asked again this often, not every cycle.
NOT_CONFIGURED_RETRY = timedelta(hours=1)
#: Run outcomes that reach CloudWatch, each as its alarm's metric; every other outcome is only
#: in `job_runs` (a metric sent every 5 minutes is billed every hour).
ALARMED_STATUSES = {
    JobStatus.FAILED: Metric.JOB_FAILED,
    JobStatus.AUTH_EXPIRED: Metric.JOB_AUTH_EXPIRED,
}
#: Cloudflare blocked us: leave that API alone this long.
BLOCKED_COOL_DOWN = timedelta(minutes=30)


class RunReport(BaseModel):
    """One job in one invocation: ran (with its job_runs row), or why not."""

    model_config = ConfigDict(frozen=True)

    job: str
    ran: bool
    status: JobStatus | None = None
    run_id: int | None = None
    counts: dict[str, Any] = {}
    error: str | None = None
    #: Why the job did not run: "not_claimed" (running elsewhere / not due) or "no_time".
    reason: str | None = None


def due_grace(interval: timedelta) -> timedelta:
    """Runs are scheduled a little early so schedule jitter never skips a whole interval."""
    return min(timedelta(seconds=30), interval / 10)


class Collector:
    def __init__(
        self,
        db: TransactionSource,
        deps: CollectDeps,
        jobs: Mapping[JobKind, JobFunction],
        *,
        metrics: MetricsSink | None = None,
        safety_margin: timedelta = SAFETY_MARGIN,
    ) -> None:
        self.db = db
        self.deps = deps
        self.jobs = dict(jobs)
        self.metrics = metrics
        self.safety_margin = safety_margin

    def run_due(
        self, remaining: Callable[[], timedelta], *, only: Sequence[str] | None = None
    ) -> list[RunReport]:
        """Run every due job (or exactly `only`, due or not) while time remains."""
        now = self.deps.clock()
        with self.db.transaction() as conn:
            # Only the kinds this collector runs (the chat import has a function of its own).
            jobs = [job for job in store.list_all(conn) if job.kind in self.jobs]
            waiting = {
                job.name: job_runs.recent(conn, job=job.name, limit=1)
                for job in jobs
                if job.last_status is JobStatus.NOT_CONFIGURED
            }
        if only is not None:
            by_name = {job.name: job for job in jobs}
            unknown = [name for name in only if name not in by_name]
            if unknown:
                raise NotFound(f"no such job: {', '.join(unknown)}")
            chosen, force = [by_name[name] for name in dict.fromkeys(only)], True
            ready: set[str] = set()
        else:
            ready = {
                job.name
                for job in jobs
                if job.name in waiting and self._configured_again(job, waiting[job.name])
            }
            chosen = due_jobs(
                [
                    j.model_copy(update={"next_run_at": None if j.name in ready else _early(j)})
                    for j in jobs
                ],
                now,
            )
            force = False
        reports = []
        for job in chosen:
            if remaining() < self.safety_margin + MIN_JOB_TIME:
                reports.append(RunReport(job=job.name, ran=False, reason="no_time"))
                continue
            reports.append(
                self.run_job(job.name, remaining, force=force, configured_again=job.name in ready)
            )
        return reports

    def _configured_again(self, job: Job, last_runs: list[JobRun]) -> bool:
        """Whether a job waiting on settings has them all now (settings are asked only then)."""
        last_run = last_runs[0] if last_runs else None
        if not job.enabled or not missing_settings(last_run):
            return False
        unavailable = self.deps.settings.unavailable(REQUIRED_SETTINGS[job.kind])
        return configured_again(job, last_run, unavailable)

    def run_job(
        self,
        name: str,
        remaining: Callable[[], timedelta],
        *,
        force: bool = True,
        configured_again: bool = False,
    ) -> RunReport:
        started = self.deps.clock()
        with self.db.transaction() as conn:
            job = store.get(conn, name)
            if job is None:
                raise NotFound(f"no such job: {name}")
            claimed = store.claim(
                conn,
                name,
                now=started,
                due_by=started + due_grace(job.interval),
                until=started + job.interval,
                force=force,
                stale_before=started - STALE_RUN,
                configured_again=configured_again,
            )
            if claimed is None:
                return RunReport(job=name, ran=False, reason="not_claimed")
            job_runs.close_abandoned(conn, name, at=started)
            run = job_runs.start(conn, name, started)
            cool_down = store.cool_down_until(conn, KIND_API[job.kind], started)
        deadline = started + remaining() - self.safety_margin
        if cool_down is not None:
            until, reason = cool_down
            result = JobResult(
                status=JobStatus.SKIPPED,
                counts={"cool_down_until": until.isoformat()},
                error=f"{KIND_API[job.kind]} is cooling down until {until.isoformat()}: {reason}",
            )
        else:
            result = self._execute(claimed, started, deadline)
        return self._finish(claimed, run.id, started, result)

    def _execute(self, job: Job, started: datetime, deadline: datetime) -> JobResult:
        api = KIND_API[job.kind]
        missing = self.deps.settings.unavailable(REQUIRED_SETTINGS[job.kind])
        if missing:
            return JobResult(
                status=JobStatus.NOT_CONFIGURED,
                counts={MISSING_SETTINGS: list(missing)},
                error="; ".join(missing.values()),
            )
        try:
            config = parse_config(job.kind, job.config)
            function = self.jobs[job.kind]
            return function(
                JobContext(
                    db=self.db,
                    deps=self.deps,
                    job=job,
                    config=config,
                    started_at=started,
                    deadline=deadline,
                )
            )
        except ConfigError as exc:
            return JobResult(status=JobStatus.NOT_CONFIGURED, error=redact(exc))
        except Throttled as exc:
            until = self.deps.clock() + exc.cool_down
            return JobResult(
                status=JobStatus.SKIPPED,
                error=_describe(exc),
                counts={"cool_down_until": until.isoformat()},
                cool_down=CoolDown(api, until, redact(exc)),
            )
        except Blocked as exc:
            until = self.deps.clock() + BLOCKED_COOL_DOWN
            return JobResult(
                status=JobStatus.FAILED,
                error=_describe(exc),
                counts={"cool_down_until": until.isoformat()},
                cool_down=CoolDown(api, until, redact(exc)),
            )
        except ClientError as exc:
            logger.warning("job failed", extra={"job": job.name, "error": _describe(exc)})
            return JobResult(status=JobStatus.FAILED, error=_describe(exc))
        except Exception as exc:
            logger.exception("job failed", extra={"job": job.name, "error": redact(exc)})
            return JobResult(status=JobStatus.FAILED, error=_describe(exc))

    def _finish(self, job: Job, run_id: int, started: datetime, result: JobResult) -> RunReport:
        finished = self.deps.clock()
        interval = job.interval
        if result.status is JobStatus.NOT_CONFIGURED:
            interval = max(interval, NOT_CONFIGURED_RETRY)
        with self.db.transaction() as conn:
            if result.cool_down is not None:
                store.set_cool_down(
                    conn, result.cool_down.api, result.cool_down.until, result.cool_down.reason
                )
            api_cool_down = store.cool_down_until(conn, KIND_API[job.kind], finished)
            finished_run = job_runs.finish(
                conn,
                run_id,
                status=result.status,
                at=finished,
                counts=result.counts,
                error=result.error,
            )
            store.record_run(
                conn,
                job.name,
                started_at=started,
                status=result.status,
                next_run_at=next_run(
                    started, interval, api_cool_down[0] if api_cool_down else None
                ),
            )
        alarmed = ALARMED_STATUSES.get(result.status)
        if self.metrics is not None and alarmed is not None:
            self.metrics.add(alarmed, 1, "Count")
        logger.info(
            "job finished",
            extra={"job": job.name, "status": result.status.value, "counts": result.counts},
        )
        return RunReport(
            job=job.name,
            ran=True,
            status=result.status,
            run_id=finished_run.id,
            counts=result.counts,
            error=finished_run.error,
        )


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {redact(exc)}"


def _early(job: Job) -> datetime | None:
    if job.next_run_at is None:
        return None
    return job.next_run_at - due_grace(job.interval)
