"""FastAPI application factory, shared by the Lambda (Mangum) and `mhc run`."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mhc import __version__
from mhc.db.connection import TransactionSource
from mhc.observability import logger, redact
from mhc.store.health import database_status


class Health(BaseModel):
    status: str
    database: str
    schema_version: int | None
    version: str


def create_app(db_factory: Callable[[], TransactionSource]) -> FastAPI:
    """Build the app. `db_factory` returns the environment's database (created lazily)."""
    app = FastAPI(
        title="MHC Control Panel API",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )

    @app.get("/api/health", response_model=Health, tags=["health"])
    def health() -> JSONResponse:
        """Liveness and database status; the only route without authentication."""
        try:
            with db_factory().transaction() as conn:
                status = database_status(conn)
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

    @app.exception_handler(Exception)
    def unhandled(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"error": redact(exc)})
        return JSONResponse(
            {"error": {"code": "internal", "message": "internal error", "details": None}},
            status_code=500,
        )

    return app
