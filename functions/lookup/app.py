"""Lambda entry point of the Lookup API: the `mhc.api` FastAPI app behind API Gateway (HTTP API,
payload format 2.0) through Mangum. The database connection is opened on first use and kept
for the life of the execution environment (ARCHITECTURE.md §9). "Run now" on a job invokes the
stats poller Lambda for it (MHC_STATS_POLLER_FUNCTION), a chat import the chat import Lambda
(MHC_CHAT_IMPORT_FUNCTION); the Statbate Plus session form writes the two SSM parameters."""

from __future__ import annotations

from typing import Any

from mangum import Mangum
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.db.resolve import lambda_database
from mhc.domain.plus_cookies import SessionWriter
from mhc.observability import logger
from mhc.runtime.heap import freeze_startup
from mhc.runtime.invoke import job_starter

_database: Database | None = None


def database() -> Database:
    global _database
    if _database is None:
        _database = lambda_database(get_settings())
    return _database


def plus_session() -> SessionWriter:
    """The two SSM parameters the session form writes (loaded on first use)."""
    from mhc.runtime.cookie_store import cookie_store

    return cookie_store(get_settings())


asgi = Mangum(
    create_app(database, start_job=job_starter(get_settings), plus_session=plus_session),
    lifespan="off",
)
freeze_startup()  # after the app is built: full collections never walk it again


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)
    return response
