"""Composition of scheduled collection from settings (shared by the Lambda handler and the CLI):
the collector and the job functions it runs."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mhc.clients.http import Sleeper, Timeouts, new_http_client
from mhc.config import Settings
from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.jobs import JobKind
from mhc.observability import MetricsSink, PowertoolsMetricsSink, get_metrics, logger
from mhc.runtime.budget import remaining_time
from mhc.services.collect import Collector
from mhc.services.collect_affiliate import affiliate_sweep
from mhc.services.collect_profiles import profile_collection
from mhc.services.collect_statbate import statbate_refresh
from mhc.services.collect_stats import cb_stats
from mhc.services.job_context import CollectDeps, JobFunction


def default_jobs() -> dict[JobKind, JobFunction]:
    """The function that runs each kind of job."""
    return {
        JobKind.CB_STATS: cb_stats,
        JobKind.STATBATE_REFRESH: statbate_refresh,
        JobKind.AFFILIATE_SWEEP: affiliate_sweep,
        JobKind.PROFILE_COLLECTION: profile_collection,
    }


def local_jobs() -> dict[JobKind, JobFunction]:
    """Every job, for one process running them all (`mhc run`, `mhc jobs run`); in AWS the
    chat import runs in a function of its own (`mhc.runtime.chat_import`)."""
    from mhc.runtime.chat_import import chat_import_jobs

    return {**default_jobs(), **chat_import_jobs()}


def build_collector(
    settings: Settings,
    db: TransactionSource,
    *,
    http: httpx.Client | None = None,
    clock: Clock = utc_now,
    sleeper: Sleeper = time.sleep,
    metrics: MetricsSink | None = None,
    jobs: Mapping[JobKind, JobFunction] | None = None,
) -> Collector:
    client = http or new_http_client(timeouts=Timeouts.from_settings(settings))
    deps = CollectDeps(settings=settings, http=client, clock=clock, sleeper=sleeper)
    return Collector(db, deps, default_jobs() if jobs is None else jobs, metrics=metrics)


def build_chat_importer(settings: Settings, db: TransactionSource, **deps: Any) -> Collector:
    """The collector of `functions/chat_import`: it runs the `chat_import` job only (`deps` as
    for `build_collector`)."""
    from mhc.runtime.chat_import import chat_import_jobs

    return build_collector(settings, db, jobs=chat_import_jobs(), **deps)


def jobs_from_event(event: Mapping[str, Any] | None) -> list[str] | None:
    """`{"jobs": ["cb_stats", ...]}` runs exactly those jobs now; anything else runs due jobs."""
    names = (event or {}).get("jobs")
    if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
        return [str(n) for n in names]
    return None


class ScheduledHandler:
    """The Lambda handler of a function that runs a collector's due jobs (`stats_poller`,
    `chat_import`): the schedule's plain event runs what is due, `{"jobs": [...]}` runs those
    jobs now. The collector is built on the first invocation (settings, database) and kept
    while the function is warm; tests put theirs in `collector`."""

    def __init__(self, build: Callable[..., Collector], *, finished: str) -> None:
        self.collector: Collector | None = None
        self._build = build
        metrics = get_metrics()
        # Most ticks find no job due and publish no metric: not worth a warning in the log.
        warnings.filterwarnings(
            "ignore", message="No application metrics to publish", category=UserWarning
        )

        @metrics.log_metrics
        @logger.inject_lambda_context(clear_state=True)
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if self.collector is None:
                from mhc.config import get_settings
                from mhc.db.resolve import lambda_database

                settings = get_settings()
                db = lambda_database(settings)
                self.collector = build(settings, db, metrics=PowertoolsMetricsSink(metrics))
            reports = self.collector.run_due(remaining_time(context), only=jobs_from_event(event))
            summary = {"jobs": [report.model_dump(mode="json") for report in reports]}
            logger.info(finished, extra=summary)
            return summary

        self.handler = handler
