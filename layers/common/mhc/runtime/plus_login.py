"""`mhc chat-import login`: the owner signs in to Statbate Plus in a real browser window and MHC
keeps the session cookies. The only browser use in MHC: Debian's Chromium driven by Playwright
(`executable_path`, never a downloaded browser), a visible window, nothing typed for the owner.

A sign-in is recognised when the window has left Plus's sign-in pages and the browser holds a
session cookie that Plus accepts (the caller's `accepted` check asks Plus for a chat page with
it): a guest's session cookie on the landing page is not a sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from mhc.domain.plus_cookies import InvalidCookie, PlusCookies

#: Debian's Chromium (`apt-get install chromium`).
CHROMIUM = "/usr/bin/chromium"
#: Plus's (Laravel Fortify's) sign-in pages: being on one is not being signed in.
AUTH_PATHS = frozenset(
    {
        "/login",
        "/register",
        "/forgot-password",
        "/reset-password",
        "/two-factor-challenge",
        "/email/verify",
        "/user/confirm-password",
    }
)


class SignInFailed(Exception):
    """No usable session came out of the browser; the message says why (never a cookie)."""


def cookies_from_browser(cookies: Iterable[Mapping[str, Any]], base_url: str) -> PlusCookies:
    """The browser's cookies for Plus's host (its parent domains' too), as the jar the client
    sends; cookies a browser would not send there, or with values no jar can hold, are left
    out."""
    host = (urlsplit(base_url).hostname or "").lower()
    values: dict[str, str] = {}
    for cookie in cookies:
        domain = str(cookie.get("domain", "")).lstrip(".").lower()
        name, value = cookie.get("name"), cookie.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        if domain != host and not host.endswith("." + domain):
            continue
        try:
            PlusCookies({name: value})
        except InvalidCookie:
            continue
        values[name] = value
    return PlusCookies(values)


def on_sign_in_page(url: str, base_url: str) -> bool:
    """Whether the window shows a sign-in page of Plus, or is not on Plus at all."""
    target, base = urlsplit(url), urlsplit(base_url)
    if (target.scheme, target.hostname) != (base.scheme, base.hostname):
        return True
    return target.path.rstrip("/").lower() in AUTH_PATHS


def _one_second(page: Any) -> None:
    page.wait_for_timeout(1000)


def wait_for_sign_in(
    page: Any,
    base_url: str,
    *,
    accepted: Callable[[PlusCookies], bool],
    timeout: timedelta,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[Any], None] | None = None,
) -> PlusCookies:
    """Wait (polling the Playwright `page`) until the owner has signed in; the session jar.

    `accepted` tells whether Plus takes a jar as signed in; `pause(page)` waits between looks
    (a second in the window by default; tests play the owner there).
    """
    from playwright.sync_api import Error as PlaywrightError

    wait = pause or _one_second
    end = clock() + timeout.total_seconds()
    tried: set[str | None] = set()
    while True:
        try:
            if page.is_closed():
                raise SignInFailed("the browser window was closed before signing in")
            if not on_sign_in_page(page.url, base_url):
                jar = cookies_from_browser(page.context.cookies(base_url), base_url)
                if jar.session is not None and jar.session not in tried:
                    tried.add(jar.session)
                    if accepted(jar):
                        return jar
            if clock() >= end:
                minutes = timeout.total_seconds() / 60
                raise SignInFailed(f"no sign-in within {minutes:.0f} minutes")
            wait(page)
        except PlaywrightError:
            raise SignInFailed("the browser was closed before signing in") from None


def sign_in(
    base_url: str,
    *,
    accepted: Callable[[PlusCookies], bool],
    timeout: timedelta = timedelta(minutes=10),
    executable: str = CHROMIUM,
    headless: bool = False,
    pause: Callable[[Any], None] | None = None,
) -> PlusCookies:
    """Open Chromium on Plus's sign-in page and wait for the owner to sign in."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SignInFailed(
            "Playwright is not installed (pip install playwright; the browser is Debian's "
            "chromium: apt-get install chromium)"
        ) from None
    login = base_url.rstrip("/") + "/login"
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, headless=headless)
        except PlaywrightError as exc:
            raise SignInFailed(f"Chromium could not be started from {executable}: {exc}") from None
        try:
            page = browser.new_context().new_page()
            try:
                page.goto(login)
            except PlaywrightError as exc:
                raise SignInFailed(f"the sign-in page did not open: {exc}") from None
            return wait_for_sign_in(page, base_url, accepted=accepted, timeout=timeout, pause=pause)
        finally:
            browser.close()
