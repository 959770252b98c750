"""Composition of scheduled collection from settings (shared by the Lambda handler and the CLI):
the collector and the job functions it runs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from mhc.clients.http import Sleeper, Timeouts, new_http_client
from mhc.config import Settings
from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.jobs import JobKind
from mhc.observability import MetricsSink
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


def jobs_from_event(event: Mapping[str, Any] | None) -> list[str] | None:
    """`{"jobs": ["cb_stats", ...]}` runs exactly those jobs now; anything else runs due jobs."""
    names = (event or {}).get("jobs")
    if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
        return [str(n) for n in names]
    return None
