"""The Statbate Plus session as a browser keeps it: a small cookie jar, and where it is kept.

Plus (Laravel) authenticates by two cookies, `statbate_plus_session` and `XSRF-TOKEN`, and
answers most requests with `Set-Cookie` (the session re-encrypted, a fresh XSRF token). The
jar keeps what the server sets, so the session lives as long as Plus allows, and a
`CookieStore` saves it between runs (a 0600 file locally, SSM SecureStrings in AWS). Values
are secrets: the jar's repr shows names only, and `secret_values()` feeds the redactor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import unquote

SESSION_COOKIE = "statbate_plus_session"
XSRF_COOKIE = "XSRF-TOKEN"

_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$")
_VALUE = re.compile(r"^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,8192}$")


class InvalidCookie(ValueError):
    """A pasted or stored cookie value that no browser would send (never echoes the value)."""


class CorruptCookies(Exception):
    """The stored cookies cannot be read; the message never includes their content."""


def cookie_value(name: str, pasted: str) -> str:
    """A cookie value as pasted by the owner: surrounding blanks, quotes and a leading
    `name=` (copied with the name from DevTools) are removed; anything else is refused."""
    value = pasted.strip().strip('"')
    if value.startswith(f"{name}="):
        value = value[len(name) + 1 :]
    if not value or not _VALUE.match(value):
        raise InvalidCookie(f"the {name} cookie value is empty or has characters a cookie cannot")
    return value


@dataclass(frozen=True)
class PlusCookies:
    """Cookie name -> value exactly as the server set it (the XSRF token stays URL-encoded)."""

    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            if not _NAME.match(name):
                raise InvalidCookie("a cookie name has characters a cookie name cannot")
            if not _VALUE.match(value):
                raise InvalidCookie(f"the {name} cookie value has characters a cookie cannot")

    @classmethod
    def pasted(cls, session: str, xsrf: str | None) -> PlusCookies:
        """The two cookies the owner copied from the browser (or the settings hold)."""
        values = {SESSION_COOKIE: cookie_value(SESSION_COOKIE, session)}
        if xsrf:
            values[XSRF_COOKIE] = cookie_value(XSRF_COOKIE, xsrf)
        return cls(values)

    def __repr__(self) -> str:
        return f"PlusCookies(names={sorted(self.values)})"

    @property
    def session(self) -> str | None:
        return self.values.get(SESSION_COOKIE)

    @property
    def xsrf(self) -> str | None:
        return self.values.get(XSRF_COOKIE)

    @property
    def xsrf_header(self) -> str | None:
        """`X-XSRF-TOKEN` as Laravel expects it: the URL-decoded `XSRF-TOKEN` cookie."""
        return unquote(self.values[XSRF_COOKIE]) if XSRF_COOKIE in self.values else None

    def header(self) -> str:
        """The `Cookie` request header."""
        return "; ".join(f"{name}={value}" for name, value in self.values.items())

    def secret_values(self) -> list[str]:
        """Every value as sent and URL-decoded: what the redactor must never let out."""
        values = list(self.values.values())
        return values + [unquote(v) for v in values if unquote(v) != v]

    def with_set_cookies(self, headers: Iterable[str], now: datetime) -> PlusCookies:
        """The jar after a response's `Set-Cookie` headers: new values kept, expired ones
        (Max-Age <= 0, Expires in the past, or an empty value) removed."""
        values = dict(self.values)
        for header in headers:
            parsed = _parse_set_cookie(header, now)
            if parsed is None:
                continue
            name, value = parsed
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return self if values == self.values else PlusCookies(values)


def _parse_set_cookie(header: str, now: datetime) -> tuple[str, str | None] | None:
    """(name, value), value None when the cookie is deleted; None for a header we ignore."""
    pair, *attributes = header.split(";")
    name, equals, value = pair.partition("=")
    name, value = name.strip(), value.strip().strip('"')
    if not equals or not _NAME.match(name) or not _VALUE.match(value):
        return None
    max_age: int | None = None
    expires: datetime | None = None
    for attribute in attributes:
        key, _, argument = attribute.partition("=")
        key, argument = key.strip().lower(), argument.strip()
        if key == "max-age":
            try:
                max_age = int(argument)
            except ValueError:
                continue
        elif key == "expires":
            try:
                expires = parsedate_to_datetime(argument)
            except (TypeError, ValueError):
                continue
    if max_age is not None:  # Max-Age wins over Expires (RFC 6265 §5.3)
        expired = max_age <= 0
    else:
        expired = expires is not None and expires.tzinfo is not None and expires <= now
    return (name, None) if expired or not value else (name, value)


class CookieStore(Protocol):
    """Where the session is kept between runs."""

    def load(self) -> PlusCookies | None:
        """The saved cookies, or None when there are none (the owner must sign in)."""
        ...

    def save(self, cookies: PlusCookies) -> None:
        """Keep `cookies` (after Plus rotated them) for the next run."""
        ...


class SessionWriter(Protocol):
    """Where cookies the owner gives (the UI's session form, `mhc chat-import login`) go:
    written as given, never read back."""

    def replace(self, cookies: PlusCookies) -> None:
        """Keep `cookies` in place of whatever session is stored."""
        ...
