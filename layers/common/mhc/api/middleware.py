"""The one ASGI middleware every request passes: request id, auth, security headers, safety net.

Pure ASGI (no BaseHTTPMiddleware) to keep per-request overhead small. Auth lives here rather
than in route dependencies so that no route — including ones added later, the docs, the OpenAPI
document and unknown paths — can be reached without the token. Only `PUBLIC_PATHS` are open.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mhc.api.errors import error_response
from mhc.observability import logger, redact

#: Reachable without a token: the liveness check only.
PUBLIC_PATHS = frozenset({"/api/health"})

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_BEARER = re.compile(r"^Bearer ([^\s]+)$", re.IGNORECASE)

request_id_var: ContextVar[str | None] = ContextVar("mhc_request_id", default=None)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}
#: The Swagger UI page loads its script and styles from a CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'"
)


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every log record (Powertools prints extra attributes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id is not None:
            record.request_id = request_id
        return True


def install_log_filter() -> None:
    if not any(isinstance(f, RequestIdFilter) for f in logger._logger.filters):
        logger.addFilter(RequestIdFilter())


def _request_id(scope: Scope, headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER)
    if given and _REQUEST_ID.match(given):
        return given
    # Behind API Gateway (Mangum), reuse its request id so logs line up with its access logs.
    event = scope.get("aws.event")
    if isinstance(event, dict):
        context = event.get("requestContext")
        if isinstance(context, dict):
            aws_id = context.get("requestId")
            if isinstance(aws_id, str) and _REQUEST_ID.match(aws_id):
                return aws_id
    return uuid.uuid4().hex


def token_matches(expected: str, headers: Headers) -> bool:
    match = _BEARER.match(headers.get("authorization", "").strip())
    presented = match.group(1) if match else ""
    return hmac.compare_digest(presented.encode(), expected.encode())


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, token: Callable[[], str | None], docs_path: str) -> None:
        self.app = app
        self.token = token
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _request_id(scope, headers)
        reset = request_id_var.set(request_id)
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path == self.docs_path else SECURITY_HEADERS["content-security-policy"]
        started = False
        status = 500
        began = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                out = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    out.setdefault(name, value)
                out["content-security-policy"] = csp
                out["x-request-id"] = request_id
            await send(message)

        try:
            denial = None if path in PUBLIC_PATHS else self._deny(headers)
            if denial is not None:
                await denial(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Anything the routes did not map: log it (redacted), answer a bare 500.
            logger.exception("unhandled error", extra={"error": redact(exc), "path": path})
            if not started:
                response = error_response(500, "internal", "internal error")
                await response(scope, receive, send_with_headers)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - began) * 1000, 2),
                },
            )
            request_id_var.reset(reset)

    def _deny(self, headers: Headers) -> Any:
        expected = self.token()
        if not expected:
            return error_response(
                503,
                "auth_not_configured",
                "MHC_API_TOKEN is not set: the API refuses every request until it is",
            )
        if not token_matches(expected, headers):
            return error_response(
                401,
                "unauthorized",
                "missing or wrong bearer token",
                headers={"www-authenticate": "Bearer"},
            )
        return None
