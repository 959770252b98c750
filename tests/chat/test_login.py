"""`mhc chat-import login` without a display: Debian's Chromium (headless here, a visible
window for the owner) on the fake Plus's sign-in page; the owner's sign-in is played by the
test between MHC's looks; the cookies come from the browser context, are checked with Plus,
and kept."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from chat.support import OWNER, client_deps
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, Reply
from fakes.statbate_plus import SESSION_COOKIE, XSRF_COOKIE, FakePlus
from mhc.clients.statbate_plus import StatbatePlusClient
from mhc.config import load_settings
from mhc.domain.plus_cookies import PlusCookies
from mhc.runtime.chat_import import accepted_by_plus
from mhc.runtime.cookie_store import FileCookieStore
from mhc.runtime.plus_login import (
    CHROMIUM,
    SignInFailed,
    cookies_from_browser,
    on_sign_in_page,
    sign_in,
)

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (make chromium)"
)

SUBMIT_THE_FORM = """async () => {
    await fetch('/login', {method: 'POST', body: 'email=o&password=p', redirect: 'manual'});
    window.location.href = '/dashboard';
}"""


def test_the_browser_s_cookies_for_plus_only() -> None:
    cookies = [
        {"name": SESSION_COOKIE, "value": "s1", "domain": "plus.statbate.com"},
        {"name": XSRF_COOKIE, "value": "x%3D", "domain": ".statbate.com"},
        {"name": "cf_clearance", "value": "cf", "domain": ".plus.statbate.com"},
        {"name": "other", "value": "o", "domain": "evil.example"},
        {"name": "spaced", "value": "has space", "domain": "plus.statbate.com"},
        {"name": "suffix", "value": "v", "domain": "tatbate.com"},
    ]
    jar = cookies_from_browser(cookies, "https://plus.statbate.com")
    assert jar == PlusCookies({SESSION_COOKIE: "s1", XSRF_COOKIE: "x%3D", "cf_clearance": "cf"})


@pytest.mark.parametrize(
    ("url", "signing_in"),
    [
        ("https://plus.statbate.com/login", True),
        ("https://plus.statbate.com/two-factor-challenge", True),
        ("https://plus.statbate.com/dashboard", False),
        ("https://plus.statbate.com/", False),
        ("https://accounts.example/oauth", True),
    ],
)
def test_sign_in_pages(url: str, signing_in: bool) -> None:
    assert on_sign_in_page(url, "https://plus.statbate.com") is signing_in


@needs_chromium
def test_the_owner_signs_in_and_the_session_is_kept(
    fake: FakePlus, server: FakeHttpServer, tmp_path: Path, clock: FakeClock
) -> None:
    # Given Plus answering a guest with its sign-in page, and MHC checking a sign-in with Plus
    settings = load_settings(mhc_owner_username=OWNER, mhc_statbate_plus_url=server.url)
    looks: list[str] = []

    def owner(page: Any) -> None:
        """Between two looks of MHC, the owner types a password and submits the form."""
        looks.append(page.url)
        if len(looks) == 2:
            page.evaluate(SUBMIT_THE_FORM)
            page.wait_for_url("**/dashboard")

    with httpx.Client() as http:
        accepted = accepted_by_plus(settings, http, deps=client_deps(clock))
        # When `login` runs and the owner signs in on the page it opened
        jar = sign_in(
            server.url,
            accepted=accepted,
            timeout=timedelta(seconds=30),
            headless=True,
            pause=owner,
        )
    # Then MHC waited while the sign-in page showed, then took the signed-in cookies
    assert [url.removeprefix(server.url) for url in looks] == ["/login", "/login"]
    assert jar.session is not None
    assert jar.xsrf is not None
    # And they are kept, and they open a chat page
    store = FileCookieStore(tmp_path / "plus.json")
    store.replace(jar)
    assert json.loads(store.path.read_text())["cookies"][SESSION_COOKIE] == jar.session
    fake.add_room("any_room", [])
    with httpx.Client() as http:
        client = StatbatePlusClient(
            http, cookies=store, base_url=server.url, deps=client_deps(clock)
        )
        assert client.room_chat("any_room").body["component"] == "Room/Chat"


@needs_chromium
def test_a_guest_page_is_not_a_sign_in_and_the_wait_ends(
    fake: FakePlus, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given an owner who leaves the sign-in page as a guest, with a guest's session cookie
    settings = load_settings(mhc_owner_username=OWNER, mhc_statbate_plus_url=server.url)
    server.enqueue(Reply(body="<html><body>Welcome, guest</body></html>"), path="/welcome")
    checked: list[str | None] = []

    def guest(page: Any) -> None:
        if page.url.endswith("/login"):
            page.context.add_cookies(
                [{"name": SESSION_COOKIE, "value": "guest123", "url": server.url}]
            )
            page.goto(f"{server.url}/welcome")
        page.wait_for_timeout(100)

    with httpx.Client() as http:
        check = accepted_by_plus(settings, http, deps=client_deps(clock))

        def accepted(jar: PlusCookies) -> bool:
            checked.append(jar.session)
            return check(jar)

        # Then Plus refuses that cookie (checked once), and the wait ends with a clear reason
        with pytest.raises(SignInFailed, match="no sign-in within"):
            sign_in(
                server.url,
                accepted=accepted,
                timeout=timedelta(seconds=2),
                headless=True,
                pause=guest,
            )
    assert checked == ["guest123"]


def test_a_missing_browser_is_a_clear_failure(server: FakeHttpServer) -> None:
    with pytest.raises(SignInFailed, match="could not be started"):
        sign_in(
            server.url, accepted=lambda jar: True, executable="/no/such/chromium", headless=True
        )
