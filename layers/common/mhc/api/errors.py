"""One error shape for every failure: `{"error": {"code", "message", "details"}}`.

Messages are safe to show: domain errors carry owner-facing text, validation errors name the
field with the reason and the limit ("username: at most 64 characters (got 70)"), and anything
unexpected becomes a bare "internal error" (the details go to the log). A validation answer is
bounded whatever the request: at most `MAX_DETAILS` entries, each text capped, and the count
of the rest (100,000 unknown keys once made a 7 MB answer). Input values are never echoed.
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
        (413, "request body too large for this route"),
        (422, "invalid input; `details` names each field with the reason and the limit"),
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


#: Bounds of a validation answer.
MAX_DETAILS = 20
MAX_FIELD_LENGTH = 100
MAX_DETAIL_MESSAGE_LENGTH = 200
MAX_MESSAGE_LENGTH = 500
#: How many problems the one-line message spells out (the UI shows it as is).
_MESSAGE_PROBLEMS = 3


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    name = ".".join(parts).replace("\x00", "\\u0000") or "body"
    return _clip(name, MAX_FIELD_LENGTH)


def _size(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _reason(error: Mapping[str, Any]) -> str:
    """Pydantic's error in the owner's words, with the limit and (for lengths) what was sent."""
    kind = error.get("type")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    if kind == "string_too_long":
        got = f" (got {len(given):,})" if isinstance(given, str) else ""
        return f"at most {_size(ctx.get('max_length'))} characters{got}"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return "must not be empty" if least == 1 else f"at least {_size(least)} characters"
    if kind == "too_long":
        return (
            f"at most {_size(ctx.get('max_length'))} items (got {_size(ctx.get('actual_length'))})"
        )
    if kind == "too_short":
        return f"at least {_size(ctx.get('min_length'))} items"
    bounds = {
        "greater_than_equal": ("must be at least", "ge"),
        "greater_than": ("must be more than", "gt"),
        "less_than_equal": ("must be at most", "le"),
        "less_than": ("must be less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {_size(ctx.get(key))}"
    fixed = {
        "missing": "required",
        "extra_forbidden": "not a field of this request",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "timezone_aware": "must include a timezone (e.g. 2026-01-01T12:00:00Z)",
        "datetime_parsing": "must be a date and time such as 2026-01-01T12:00:00Z",
        "datetime_from_date_parsing": "must be a date and time such as 2026-01-01T12:00:00Z",
        "datetime_type": "must be a date and time such as 2026-01-01T12:00:00Z",
        "string_type": "must be text",
        "json_invalid": "not valid JSON",
        "model_attributes_type": "must be a JSON object",
        "dict_type": "must be a JSON object",
    }
    if kind in fixed:
        return fixed[kind]
    if kind in ("enum", "literal_error") and ctx.get("expected"):
        return f"must be {ctx['expected']}"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def invalid_input(problems: list[dict[str, str]], *, total: int) -> JSONResponse:
    """The 422 for `problems` (each `{field, message}`, at most MAX_DETAILS of `total`)."""
    details = [
        {
            "field": _clip(problem["field"], MAX_FIELD_LENGTH),
            "message": _clip(problem["message"], MAX_DETAIL_MESSAGE_LENGTH),
        }
        for problem in problems[:MAX_DETAILS]
    ]
    spelled = "; ".join(f"{d['field']}: {d['message']}" for d in details[:_MESSAGE_PROBLEMS])
    rest = total - min(len(details), _MESSAGE_PROBLEMS)
    more = f"; and {rest:,} more" if rest > 0 else ""
    message = _clip(f"invalid input: {spelled}", MAX_MESSAGE_LENGTH - len(more)) + more
    return error_response(422, "invalid_input", message, details)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    problems = [
        {
            "field": "body"
            if error.get("type") == "json_invalid"
            else _field(error.get("loc", ())),
            "message": _reason(error),
        }
        for error in errors[:MAX_DETAILS]
    ]
    return invalid_input(problems, total=len(errors))


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=exc.headers)


def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, InvalidInput):
        return invalid_input([{"field": exc.field, "message": exc.message}], total=1)
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
