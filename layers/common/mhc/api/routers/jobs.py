"""Scheduled jobs: list with last runs, read, change settings (validated, partial), run now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, status
from pydantic import BaseModel, ConfigDict, Field

from mhc.api.deps import Context, Db
from mhc.api.routes import RouteTable
from mhc.domain.jobs import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS
from mhc.services import jobs
from mhc.services.jobs import JobView

routes = RouteTable(prefix="/jobs", tags=["jobs"])

JobName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="job name")]


class JobPatch(BaseModel):
    """Only the fields given change; `config` is merged into the stored config key by key
    (a `null` value puts that key back to its default)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    interval_seconds: int | None = Field(
        default=None, ge=MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS
    )
    config: dict[str, Any] | None = None


@routes.get("", response_model=list[JobView])
def list_jobs(db: Db, context: Context) -> list[JobView]:
    """Every job with its config, last runs and any cool-down of its upstream API."""
    return jobs.list_jobs(db, clock=context.clock)


@routes.get("/{name}", response_model=JobView)
def get_job(db: Db, context: Context, name: JobName) -> JobView:
    return jobs.get_job(db, name, clock=context.clock)


@routes.patch("/{name}", response_model=JobView)
def update_job(db: Db, context: Context, name: JobName, patch: JobPatch) -> JobView:
    """Change a job; an invalid value is a 422 naming the field, and nothing is changed."""
    jobs.update_job(
        db,
        name,
        enabled=patch.enabled,
        interval_seconds=patch.interval_seconds,
        config=patch.config,
    )
    return jobs.get_job(db, name, clock=context.clock)


@routes.post("/{name}/run", response_model=JobView, status_code=status.HTTP_202_ACCEPTED)
def run_job(db: Db, context: Context, name: JobName) -> JobView:
    """Make the job due now and start it: in AWS the stats poller is invoked for it, under
    `mhc run` the local collector wakes. Should that fail, the next tick (5 minutes) runs it."""
    jobs.request_run(db, name, start=context.start_job, clock=context.clock)
    return jobs.get_job(db, name, clock=context.clock)
