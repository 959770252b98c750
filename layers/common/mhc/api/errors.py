"""One error shape for every failure: `{"error": {"code", "message", "details"}}`.

Messages are safe to show: domain errors carry owner-facing text, validation errors name the
field, and anything unexpected becomes a bare "internal error" (the details go to the log).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from mhc.config import ConfigError
from mhc.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from mhc.observability import logger, redact


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


#: Documented on every route, so clients and schemathesis know the error shape.
#: The body is referenced, not given as a `model`: FastAPI would build a response field per route
#: and status (156 of them) only to document it; `error_schemas` adds the referenced schemas.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, description in (
        (400, "malformed request (e.g. a body that is not JSON)"),
        (401, "missing or wrong bearer token"),
        (404, "unknown id"),
        (409, "conflicts with what is stored"),
        (422, "invalid input; `details` names the field"),
        (503, "not configured or database unavailable"),
    )
}


def error_schemas() -> dict[str, Any]:
    """OpenAPI component schemas for `ERROR_RESPONSES`: ErrorBody and what it refers to."""
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs", {}), "ErrorBody": schema}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": _field(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(problem["field"] for problem in problems))
    return error_response(422, "invalid_input", f"invalid input: {fields}", problems)


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=exc.headers)


def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, InvalidInput):
        return error_response(
            422, exc.code, str(exc), [{"field": exc.field, "message": exc.message}]
        )
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
    return error_response(status, exc.code, str(exc))


def _config(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(503, "not_configured", redact(exc))


def _database(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable", extra={"error": redact(exc)})
    return error_response(503, "database_unavailable", "the database is unavailable; retry")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ConfigError, _config)
    app.add_exception_handler(psycopg.OperationalError, _database)
