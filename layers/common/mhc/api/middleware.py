"""The one ASGI middleware every request passes: request id, auth, security headers, safety net.

Pure ASGI (no BaseHTTPMiddleware) to keep per-request overhead small. Auth lives here rather
than in route dependencies so that no route — including ones added later, the docs, the OpenAPI
document and unknown paths — can be reached without the token. Only `PUBLIC_PATHS` are open.

Two checks, cheapest first: the origin secret (in AWS, CloudFront adds it to every request it
forwards, so a call to the execute-api URL around the distribution is refused before anything
else runs, `/api/health` included), then the bearer token. Websockets pass the same checks and
are closed with 1008 when refused; only the `lifespan` scope goes through unchecked.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mhc.api.errors import error_response
from mhc.observability import logger, redact

#: Reachable without a token: the liveness check only.
PUBLIC_PATHS = frozenset({"/api/health"})

REQUEST_ID_HEADER = "x-request-id"
#: Added by CloudFront to every request it forwards to the API origin (template.yaml); the value
#: is MHC_ORIGIN_SECRET. Unset (`mhc run`): the check is off.
ORIGIN_VERIFY_HEADER = "x-mhc-origin-verify"
#: RFC 6455 "policy violation": the close code of a refused websocket.
WS_POLICY_VIOLATION = 1008
WS_INTERNAL_ERROR = 1011
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


def origin_secrets(value: str) -> list[str]:
    """The accepted origin secrets: comma-separated, so that during a rotation the API accepts
    the new value (first, the one CloudFront is given) and the old one until the switch is done."""
    return [part.strip() for part in value.split(",") if part.strip()]


def origin_matches(configured: str, headers: Headers) -> bool:
    """True when the request carries one of the configured origin secrets (constant-time)."""
    presented = headers.get(ORIGIN_VERIFY_HEADER, "").strip().encode()
    matched = False
    for secret in origin_secrets(configured):
        # No early exit: every candidate is compared, whichever one matches.
        matched |= hmac.compare_digest(presented, secret.encode())
    return matched


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, answered as an error response (HTTP) or a 1008 close (websocket)."""

    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, headers=self.headers)


NOT_THROUGH_SITE = Refusal(403, "forbidden", "this API answers only through its site")
TOKEN_NOT_CONFIGURED = Refusal(
    503,
    "auth_not_configured",
    "MHC_API_TOKEN is not set: the API refuses every request until it is",
)
WRONG_TOKEN = Refusal(
    401, "unauthorized", "missing or wrong bearer token", headers={"www-authenticate": "Bearer"}
)


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        token: Callable[[], str | None],
        docs_path: str,
        origin_secret: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.app = app
        self.token = token
        self.docs_path = docs_path
        self.origin_secret = origin_secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        if kind != "http":
            # An unknown scope type reaches no route: nothing of the app runs for it.
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
            refusal = self._refusal(path, headers)
            if refusal is not None:
                await refusal.response()(scope, receive, send_with_headers)
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

    def _refusal(self, path: str, headers: Headers) -> Refusal | None:
        origin_secret = self.origin_secret()
        if origin_secret and not origin_matches(origin_secret, headers):
            return NOT_THROUGH_SITE
        if path in PUBLIC_PATHS:
            return None
        expected = self.token()
        if not expected:
            return TOKEN_NOT_CONFIGURED
        if not token_matches(expected, headers):
            return WRONG_TOKEN
        return None

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A websocket passes the same checks as a request; refused, it is closed with 1008
        before it is accepted (the server answers the handshake with 403)."""
        path: str = scope.get("path", "")
        try:
            refusal = self._refusal(path, Headers(scope=scope))
        except Exception as exc:
            # The secrets could not be read: refuse (never open), as an HTTP request gets a 500.
            logger.exception("websocket refused: auth failed", extra={"error": redact(exc)})
            await send({"type": "websocket.close", "code": WS_INTERNAL_ERROR, "reason": ""})
            return
        if refusal is not None:
            logger.info("websocket refused", extra={"path": path, "code": refusal.code})
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": ""})
            return
        await self.app(scope, receive, send)
