"""What a scheduled job receives and returns: the contract between the collector
(`mhc.services.collect`) and the jobs it runs (`mhc.services.collect_*`), kept apart from both so
neither imports the other."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from mhc.clients.http import ClientDeps, RandomSource, Sleeper
from mhc.config import Settings
from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.jobs import Job
from mhc.domain.models import JobStatus


@dataclass(frozen=True)
class CollectDeps:
    """What jobs need from the outside world (tests pass a fake clock and loopback URLs)."""

    settings: Settings
    http: httpx.Client
    clock: Clock = utc_now
    sleeper: Sleeper = time.sleep
    random: RandomSource = random.random

    @property
    def client_deps(self) -> ClientDeps:
        return ClientDeps(clock=self.clock, sleeper=self.sleeper, random=self.random)


@dataclass(frozen=True)
class CoolDown:
    """Leave upstream `api` alone until `until` (every job using it, across invocations)."""

    api: str
    until: datetime
    reason: str


@dataclass(frozen=True)
class JobResult:
    """What one job run did."""

    status: JobStatus = JobStatus.SUCCEEDED
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    cool_down: CoolDown | None = None


@dataclass(frozen=True)
class JobContext:
    db: TransactionSource
    deps: CollectDeps
    job: Job
    config: Any
    started_at: datetime
    #: Every request must be finished by then.
    deadline: datetime


JobFunction = Callable[[JobContext], JobResult]
