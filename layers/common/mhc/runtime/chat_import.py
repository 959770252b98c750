"""Composition of the Statbate Plus chat import from settings: the Plus client on the session
kept by the cookie store, the `chat_import` job for the collector, and the collector of
`functions/chat_import` (what starts that function is `mhc.runtime.invoke.job_starter`)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx

from mhc.clients.errors import ClientError, SessionExpired
from mhc.clients.http import ClientDeps, Pacer
from mhc.clients.statbate_plus import StatbatePlusClient
from mhc.config import Settings
from mhc.domain.jobs import ChatImportConfig, JobKind
from mhc.domain.plus_cookies import PlusCookies
from mhc.observability import logger, redact
from mhc.runtime.cookie_store import cookie_store
from mhc.services.chat_import import import_job
from mhc.services.job_context import JobContext, JobFunction


def plus_client(
    settings: Settings,
    http: httpx.Client,
    *,
    deps: ClientDeps | None = None,
    request_interval_seconds: float | None = None,
) -> StatbatePlusClient:
    """The Plus client on the stored session (SSM in AWS, the 0600 file locally), paced by
    `request_interval_seconds` when given (a job's config), else by the setting."""
    pacer = None
    if request_interval_seconds is not None:
        pacer = Pacer(request_interval_seconds, deps)
    return StatbatePlusClient.from_settings(
        settings, http, cookies=cookie_store(settings), deps=deps, pacer=pacer
    )


def _connect(ctx: JobContext, config: ChatImportConfig) -> StatbatePlusClient:
    return plus_client(
        ctx.deps.settings,
        ctx.deps.http,
        deps=ctx.deps.client_deps,
        request_interval_seconds=config.request_interval_seconds,
    )


def chat_import_jobs() -> dict[JobKind, JobFunction]:
    """The collector's job function for the chat import."""
    return {JobKind.CHAT_IMPORT: functools.partial(import_job, connect=_connect)}


class _Jar:
    """A CookieStore holding one jar in memory (a sign-in being checked)."""

    def __init__(self, cookies: PlusCookies) -> None:
        self.cookies = cookies

    def load(self) -> PlusCookies | None:
        return self.cookies

    def save(self, cookies: PlusCookies) -> None:
        self.cookies = cookies


#: A page only a signed-in account can open (a guest is sent to /login).
SIGNED_IN_PAGE = "profile"


def accepted_by_plus(
    settings: Settings, http: httpx.Client, *, deps: ClientDeps | None = None
) -> Callable[[PlusCookies], bool]:
    """Whether Plus takes a jar as signed in: it opens the account's profile page with it.
    Anything but an expired session (Cloudflare, a network error) is not held against the
    jar: the owner did sign in, and the import will say what else is wrong."""

    def accepted(jar: PlusCookies) -> bool:
        client = StatbatePlusClient.from_settings(
            settings, http, cookies=_Jar(jar), deps=deps, pacer=Pacer(0, deps)
        )
        try:
            client.fetch(SIGNED_IN_PAGE)
        except SessionExpired:
            return False
        except ClientError as exc:
            logger.warning(
                "statbate_plus: the new session could not be checked", extra={"error": redact(exc)}
            )
        return True

    return accepted
