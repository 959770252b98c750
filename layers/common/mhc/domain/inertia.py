"""Inertia.js page objects: the one piece of a Statbate Plus HTML page we read.

Plus is a Laravel + Inertia app. A first (non-Inertia) visit answers HTML whose root element
carries the page object, HTML-escaped, in its `data-page` attribute; later Inertia requests
answer that object as JSON. We never walk the DOM or scrape HTML: we find that one attribute
value, unescape it and decode it as JSON. (Inertia 2 can instead put the object in a
`<script data-page="..." type="application/json">` element; its text is read the same way.)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_DATA_PAGE = re.compile(r"""\sdata-page\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_SCRIPT_TAIL = re.compile(r"[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_LOGIN_PATH = "/login"


def page_from_html(text: str) -> dict[str, Any] | None:
    """The Inertia page object of an HTML document, or None when it carries none."""
    for match in _DATA_PAGE.finditer(text):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        page = _page_object(html.unescape(value))
        if page is not None:
            return page
        # Inertia 2's script form: <script data-page="app" type="application/json">{...}</script>
        tag_start = text.rfind("<", 0, match.start())
        if text[tag_start : tag_start + 7].lower() == "<script":
            body = _SCRIPT_TAIL.match(text, match.end())
            if body is not None:
                page = _page_object(body.group(1).strip())
                if page is not None:
                    return page
    return None


def _page_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if is_page_object(value) else None


def is_page_object(value: Any) -> bool:
    """An Inertia page: a JSON object with a string `component` and an object `props`."""
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("component"), str)
        and isinstance(value.get("props"), Mapping)
    )


def is_login_page(page: Mapping[str, Any]) -> bool:
    """Plus answered its sign-in page instead of the one asked for: the session has expired."""
    component = page.get("component")
    if isinstance(component, str) and "login" in component.lower():
        return True
    url = page.get("url")
    return isinstance(url, str) and is_login_url(url)


def is_login_url(url: str) -> bool:
    """Plus's sign-in route (exactly `/login`: a room may well be called "login")."""
    return urlsplit(url).path.rstrip("/").lower() == _LOGIN_PATH
