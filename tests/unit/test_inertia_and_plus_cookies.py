"""The Inertia page object read from one HTML attribute, the login page recognised, and the
Statbate Plus cookie jar (pasted values, Set-Cookie rotation, names only in its repr)."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

import pytest
from fakes.statbate_plus import FakePlus, page_html
from mhc.domain.inertia import is_login_page, is_login_url, page_from_html
from mhc.domain.plus_cookies import (
    SESSION_COOKIE,
    XSRF_COOKIE,
    InvalidCookie,
    PlusCookies,
    cookie_value,
)

PAGE = {
    "component": "Room/Chat",
    "props": {"a": "<b>&\"'</b>"},
    "url": "/room/statbate/x/chat",
    "version": "v1",
}
NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_the_page_object_comes_from_the_data_page_attribute() -> None:
    # The fake's root view has a script that mentions data-page and the Ziggy route table
    assert page_from_html(page_html(PAGE)) == PAGE


def test_single_quoted_attributes_and_inertia_2_script_elements() -> None:
    escaped = html.escape(json.dumps(PAGE), quote=True)
    assert page_from_html(f"<div id='app' data-page='{escaped}'></div>") == PAGE
    script = f'<script data-page="app" type="application/json">{json.dumps(PAGE)}</script>'
    assert page_from_html(f"<html><body>{script}<div id='app'></div></body></html>") == PAGE


@pytest.mark.parametrize(
    "text",
    [
        "<html><body>no app here</body></html>",
        '<div data-page="{not json}"></div>',
        f'<div data-page="{html.escape(json.dumps({"props": {}}))}"></div>',  # no component
        '<script>el.getAttribute("data-page")</script>',
        "",
    ],
)
def test_no_page_object_is_none(text: str) -> None:
    assert page_from_html(text) is None


def test_the_login_page_is_recognised_by_component_or_url() -> None:
    assert is_login_page(FakePlus().login_page())
    assert is_login_page({"component": "Auth/Login", "props": {}, "url": "/x"})
    assert is_login_page({"component": "Guest", "props": {}, "url": "/login?intended=1"})
    assert not is_login_page(PAGE)
    assert is_login_url("https://plus.statbate.com/login")
    assert not is_login_url("https://plus.statbate.com/room/statbate/login/chat")


# -- the jar -------------------------------------------------------------------------------
def test_pasted_cookies_are_cleaned_and_never_shown() -> None:
    cookies = PlusCookies.pasted(
        f' {SESSION_COOKIE}=sessVALUE123 ', '"eyJpdiI6IkFCQyJ9%3D"'
    )  # fmt: skip
    assert cookies.session == "sessVALUE123"
    assert cookies.xsrf == "eyJpdiI6IkFCQyJ9%3D"
    assert cookies.xsrf_header == "eyJpdiI6IkFCQyJ9="
    assert cookies.header() == f"{SESSION_COOKIE}=sessVALUE123; {XSRF_COOKIE}=eyJpdiI6IkFCQyJ9%3D"
    assert "sessVALUE123" not in repr(cookies)
    assert "eyJpdiI6" not in repr(cookies)
    assert set(cookies.secret_values()) == {
        "sessVALUE123",
        "eyJpdiI6IkFCQyJ9%3D",
        "eyJpdiI6IkFCQyJ9=",
    }


@pytest.mark.parametrize(
    "value", ["", "   ", "has space", "semi;colon", 'quote"inside', "back\\slash", "é"]
)
def test_a_value_no_browser_would_send_is_refused_without_echo(value: str) -> None:
    with pytest.raises(InvalidCookie) as caught:
        cookie_value(SESSION_COOKIE, value)
    if value.strip():
        assert value not in str(caught.value)


def test_set_cookie_rotation_replaces_adds_and_deletes() -> None:
    jar = PlusCookies({SESSION_COOKIE: "old", XSRF_COOKIE: "oldx", "remember_web_1": "r"})
    rotated = jar.with_set_cookies(
        [
            f"{SESSION_COOKIE}=new; expires=Sat, 10-Jan-2099 02:00:00 GMT; Max-Age=7200; path=/; httponly",
            f"{XSRF_COOKIE}=newx%3D; path=/; samesite=lax",
            "remember_web_1=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/",
            "cf_clearance=cf1; Max-Age=30",
            "__cf_bm=gone; expires=Thu, 01-Jan-1970 00:00:01 GMT",
            "garbage without equals",
            "bad name=x",
        ],
        NOW,
    )
    assert dict(rotated.values) == {
        SESSION_COOKIE: "new",
        XSRF_COOKIE: "newx%3D",
        "cf_clearance": "cf1",
    }
    assert jar.values[SESSION_COOKIE] == "old"  # the jar is a value: the old one is unchanged


def test_max_age_wins_over_expires_and_an_unchanged_jar_is_the_same_object() -> None:
    jar = PlusCookies({SESSION_COOKIE: "s"})
    kept = jar.with_set_cookies(["a=1; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=60"], NOW)
    assert kept.values["a"] == "1"
    assert jar.with_set_cookies([f"{SESSION_COOKIE}=s; path=/"], NOW) is jar
    assert jar.with_set_cookies(["empty=; path=/"], NOW) is jar
