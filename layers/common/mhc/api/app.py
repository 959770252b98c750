"""FastAPI application factory, shared by the Lambda (Mangum) and `mhc run`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mhc import __version__
from mhc.api.deps import ApiContext
from mhc.api.errors import ERROR_RESPONSES, error_schemas, install_error_handlers
from mhc.api.input_guard import InputGuard
from mhc.api.links import add_links
from mhc.api.middleware import RequestContextMiddleware, install_log_filter
from mhc.api.routers import (
    analysis,
    chat_import,
    health,
    jobs,
    live,
    lookup,
    owner,
    persons,
    search,
    sessions,
    token_history,
    watchlists,
)
from mhc.config import Settings, get_settings
from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.plus_cookies import SessionWriter
from mhc.services.analysis import RfmCache
from mhc.services.jobs import JobStarter, at_next_tick
from mhc.services.lookup import StatbateFactory, statbate_from_settings

API_PREFIX = "/api"
DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"


def _cors_origins(value: str) -> list[str]:
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def create_app(
    db_factory: Callable[[], TransactionSource],
    *,
    settings: Callable[[], Settings] = get_settings,
    statbate: StatbateFactory | None = None,
    start_job: JobStarter = at_next_tick,
    clock: Clock = utc_now,
    plus_session: Callable[[], SessionWriter] | None = None,
) -> FastAPI:
    """Build the app. `db_factory` returns the environment's database (created lazily);
    `statbate` returns the Statbate client (default: the real one when its token is set);
    `start_job` runs a job the owner asked to run now (default: the next scheduled tick);
    `plus_session` keeps the Statbate Plus cookies the owner pastes (None: refused, 503)."""
    app = FastAPI(
        title="MHC Control Panel API",
        version=__version__,
        openapi_url=OPENAPI_PATH,
        docs_url=DOCS_PATH,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # No "/x/" -> "/x" redirects: their Location was built from the Host header.
        redirect_slashes=False,
    )
    app.state.mhc = ApiContext(
        db=db_factory,
        settings=settings,
        statbate=statbate or statbate_from_settings(settings),
        start_job=start_job,
        clock=clock,
        plus_session=plus_session,
        rfm_cache=RfmCache(),
    )
    for module in (
        health,
        persons,
        sessions,
        watchlists,
        search,
        owner,
        lookup,
        jobs,
        chat_import,
        live,
        token_history,
        analysis,
    ):
        module.routes.register(app, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    install_error_handlers(app)
    install_log_filter()
    # Inside the auth middleware: an anonymous request is refused before its input is read.
    app.add_middleware(InputGuard, routes=lambda: app.routes)
    app.add_middleware(
        RequestContextMiddleware,
        token=lambda: settings().secret("MHC_API_TOKEN"),
        origin_secret=lambda: settings().secret("MHC_ORIGIN_SECRET"),
        docs_path=DOCS_PATH,
    )
    origins = _cors_origins(settings().mhc_cors_origins)
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id"],
            max_age=600,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=__doc__
            )
            components = schema.setdefault("components", {})
            components["schemas"] = dict(
                sorted({**components.get("schemas", {}), **error_schemas()}.items())
            )
            components["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "MHC_API_TOKEN"}
            }
            schema["security"] = [{"bearer": []}]
            add_links(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
