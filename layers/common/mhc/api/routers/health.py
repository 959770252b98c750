"""Health: liveness (the only public route), the collectors' status with one verdict, and ingest
health (is live capture alive?)."""

from __future__ import annotations

import psycopg
from fastapi.responses import JSONResponse

from mhc import __version__
from mhc.api.deps import Context, Db
from mhc.api.routes import RouteTable
from mhc.api.schemas import Health
from mhc.domain.health import CollectorStatus
from mhc.observability import logger, redact
from mhc.services.health import IngestHealth, collector_status, database_status, ingest_health

routes = RouteTable(tags=["health"])


@routes.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "database unreachable"}},
    openapi_extra={"security": []},
)
def health(db: Db) -> JSONResponse:
    """Liveness and database status; the only route without authentication."""
    try:
        status = database_status(db)
    except (psycopg.Error, OSError) as exc:
        logger.warning("health check: database unreachable", extra={"error": redact(exc)})
        body = Health(
            status="degraded", database="unreachable", schema_version=None, version=__version__
        )
        return JSONResponse(body.model_dump(), status_code=503)
    version = status["schema_version"]
    body = Health(
        status="ok",
        database="up",
        schema_version=version if isinstance(version, int) else None,
        version=__version__,
    )
    return JSONResponse(body.model_dump())


@routes.get("/health/ingest", response_model=IngestHealth)
def ingest(db: Db, context: Context) -> IngestHealth:
    """Last event, last successful events poll, lag, recent job runs and event gaps."""
    return ingest_health(db, clock=context.clock)


@routes.get("/health/status", response_model=CollectorStatus)
def status(db: Db, context: Context) -> CollectorStatus:
    """Each collector's state (events poller, every job) and one verdict with its reasons."""
    return collector_status(db, clock=context.clock)
