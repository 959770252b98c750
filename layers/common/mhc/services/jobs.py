"""The owner's view of scheduled jobs: list with last runs, change settings (validated,
partial), request a run. No collector code here: the API imports this on its cold path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput, NotFound
from mhc.domain.jobs import KIND_API, Job, check_interval, merge_config, parse_config
from mhc.domain.models import JobRun
from mhc.observability import logger, redact
from mhc.services import job_runs
from mhc.store import jobs as store


class JobView(BaseModel):
    model_config = ConfigDict(frozen=True)

    job: Job
    #: The config in force: stored keys plus defaults.
    effective_config: dict[str, Any]
    last_run: JobRun | None
    recent_runs: list[JobRun]
    #: The job's upstream API is throttled until then (None: not cooling down).
    cool_down_until: datetime | None


def _view(job: Job, runs: list[JobRun], cool_down: tuple[datetime, str] | None) -> JobView:
    try:
        effective = parse_config(job.kind, job.config).model_dump(mode="json")
    except InvalidInput:
        effective = dict(job.config)
    return JobView(
        job=job,
        effective_config=effective,
        last_run=runs[0] if runs else None,
        recent_runs=runs,
        cool_down_until=cool_down[0] if cool_down else None,
    )


def list_jobs(db: TransactionSource, *, runs: int = 5, clock: Clock = utc_now) -> list[JobView]:
    now = clock()
    with db.transaction() as conn:
        cool_downs = store.cool_downs(conn, now)
        return [
            _view(
                job,
                job_runs.recent(conn, job=job.name, limit=runs),
                cool_downs.get(KIND_API[job.kind]),
            )
            for job in store.list_all(conn)
        ]


def get_job(db: TransactionSource, name: str, *, runs: int = 20, clock: Clock = utc_now) -> JobView:
    now = clock()
    with db.transaction() as conn:
        job = store.get(conn, name)
        if job is None:
            raise NotFound(f"no such job: {name}")
        return _view(
            job,
            job_runs.recent(conn, job=name, limit=runs),
            store.cool_down_until(conn, KIND_API[job.kind], now),
        )


def update_job(
    db: TransactionSource,
    name: str,
    *,
    enabled: bool | None = None,
    interval_seconds: int | None = None,
    config: Mapping[str, Any] | None = None,
) -> Job:
    """Change a job; `config` is a partial update (keys not given keep their values). Nothing
    is written when any value is invalid (InvalidInput names the field)."""
    if interval_seconds is not None:
        check_interval(interval_seconds)
    with db.transaction() as conn:
        job = store.get(conn, name, for_update=True)
        if job is None:
            raise NotFound(f"no such job: {name}")
        merged = merge_config(job.kind, job.config, config) if config else None
        updated = store.update(
            conn, name, enabled=enabled, interval_seconds=interval_seconds, config=merged
        )
        assert updated is not None
        return updated


def set_values(db: TransactionSource, name: str, values: Mapping[str, Any]) -> Job:
    """`mhc jobs set`: `enabled` and `interval`/`interval_seconds` are job fields, every other
    key is config."""
    config = dict(values)
    enabled = config.pop("enabled", None)
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidInput("enabled", "must be true or false")
    interval = config.pop("interval_seconds", None)
    if "interval" in config:
        from mhc.domain.jobs import parse_interval

        interval = parse_interval(str(config.pop("interval")))
    if interval is not None and (isinstance(interval, bool) or not isinstance(interval, int)):
        raise InvalidInput("interval_seconds", "must be a whole number of seconds")
    return update_job(db, name, enabled=enabled, interval_seconds=interval, config=config or None)


#: Starts a job that was just made due instead of leaving it to the next tick: the stats poller
#: Lambda in AWS, the local collector under `mhc run`. It may fail: the job is due either way.
JobStarter = Callable[[str], None]


def at_next_tick(_name: str) -> None:
    """The JobStarter that starts nothing: the next scheduled tick runs the due job."""


def request_run(
    db: TransactionSource,
    name: str,
    *,
    start: JobStarter = at_next_tick,
    clock: Clock = utc_now,
) -> Job:
    """Make a job due now and ask `start` to run it at once. If starting fails, the next
    scheduled invocation (at most one tick away) runs it: the failure is logged, not raised."""
    with db.transaction() as conn:
        job = store.request_run(conn, name, clock())
        if job is None:
            raise NotFound(f"no such job: {name}")
    try:
        start(name)
    except Exception as exc:  # best effort: the job is already due
        logger.warning(
            "could not start the job now; the next tick runs it",
            extra={"job": name, "error": redact(exc)},
        )
    return job
