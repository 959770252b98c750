"""Typed failures a caller can act on. Every message, `str()` and `repr()` is redacted.

The earlier system swallowed errors and leaked tokens in them; here each failure says what to
do next (fail fast, cool down, retry later) and cannot carry a secret out of the process.
"""

from __future__ import annotations

from datetime import timedelta

from mhc.observability import redact


class ClientError(Exception):
    """Base class. `api` names the upstream API; `status` is the HTTP status when there was one."""

    def __init__(self, api: str, message: str, *, status: int | None = None) -> None:
        self.api = api
        self.status = status
        super().__init__(redact(f"{api}: {message}"))

    def __str__(self) -> str:
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidClientConfig(ClientError):
    """A base URL or parameter the client refuses to use (e.g. plain http to a public host)."""


class AuthError(ClientError):
    """Bad, revoked or unauthorised credentials: fail fast, record, alert."""


class SessionExpired(AuthError):
    """A cookie session (Statbate Plus) is over: sign in again. Never an empty history.

    `reason` says how it showed: "missing" (no cookies stored), "unreadable" (stored cookies
    that cannot be read), "401", "419" (XSRF rejected),
    "redirect" (302 to the login page) or "login_page" (a 200 answering the login page).
    """

    def __init__(self, api: str, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(api, message, status=status)
        self.reason = reason


class NotFound(ClientError):
    """The resource (or the tokened path) does not exist."""


class BadRequest(ClientError):
    """The API rejected the request itself (a bug or a changed API): record and alert."""


class ValidationFailed(ClientError):
    """Statbate 422: the request parameters were rejected; `error` is the API's explanation."""

    def __init__(self, api: str, error: str, *, status: int | None = 422) -> None:
        super().__init__(api, f"request rejected: {error}", status=status)
        self.error = redact(error)


class Throttled(ClientError):
    """The API asked us to slow down: wait at least `cool_down` before the next request."""

    def __init__(
        self, api: str, message: str, *, cool_down: timedelta, status: int | None = None
    ) -> None:
        super().__init__(
            api, f"{message} (cool down {cool_down.total_seconds():.0f} s)", status=status
        )
        self.cool_down = cool_down


class Blocked(ClientError):
    """Cloudflare answered instead of the API (challenge or block page): retry much later."""

    def __init__(self, api: str, message: str, *, status: int | None, ray_id: str | None) -> None:
        super().__init__(api, message, status=status)
        self.ray_id = ray_id


class InvalidResponse(ClientError):
    """The API answered with something we cannot read (bad JSON, wrong shape, odd redirect)."""


class InvalidNextUrl(InvalidResponse):
    """An Events API `nextUrl` that leaves the configured scheme/host/port: never followed."""


class UnexpectedStatus(ClientError):
    """A status the API's documentation does not give a meaning to."""


class TransientExhausted(ClientError):
    """Transient failures (429, 5xx, network, timeouts) outlasted the attempts or the deadline."""

    def __init__(
        self,
        api: str,
        message: str,
        *,
        attempts: int,
        last_failure: str,
        status: int | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(
            api, f"{message} after {attempts} attempt(s); last: {last_failure}", status=status
        )
        self.attempts = attempts
        self.last_failure = redact(last_failure)
        self.retry_after = retry_after
