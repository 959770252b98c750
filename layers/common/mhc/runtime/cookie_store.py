"""Where the Statbate Plus session is kept between runs: a private file locally, SSM in AWS.

Both keep what Plus rotated (so a session lives as long as Plus allows) without ever
overwriting cookies the owner pasted in the meantime: a run that started with old cookies
must not put them back over new ones.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mhc.domain.plus_cookies import (
    SESSION_COOKIE,
    XSRF_COOKIE,
    CorruptCookies,
    InvalidCookie,
    PlusCookies,
)
from mhc.observability import logger
from mhc.runtime.private_file import write_private_file

if TYPE_CHECKING:
    from mhc.config import Settings


def _fingerprint(cookies: PlusCookies | None) -> str | None:
    if cookies is None or cookies.session is None:
        return None
    return hashlib.sha256(cookies.session.encode()).hexdigest()[:16]


class FileCookieStore:
    """Local jar: `MHC_STATBATE_PLUS_COOKIE_FILE` (default `.mhc/statbate-plus-cookies.json`),
    mode 0600, replaced atomically.

    `pasted` are the cookies the settings hold (`MHC_STATBATE_PLUS_SESSION`/`_XSRF`). The file
    records a fingerprint of the paste it was saved under; when the settings hold another
    paste (new cookies after the old session expired), the paste wins over the file.
    """

    def __init__(self, path: Path, pasted: PlusCookies | None = None) -> None:
        self.path = path
        self.pasted = pasted

    def load(self) -> PlusCookies | None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return self.pasted
        try:
            data = json.loads(text)
            stored = PlusCookies(dict(data["cookies"]))
            pasted_then = data.get("pasted")
            if not all(isinstance(v, str) for v in stored.values.values()):
                raise TypeError
        except (ValueError, KeyError, TypeError, InvalidCookie):
            if self.pasted is not None:
                return self.pasted
            raise CorruptCookies(f"the cookie file {self.path} is unreadable") from None
        if self.pasted is not None and pasted_then != _fingerprint(self.pasted):
            return self.pasted
        return stored

    def save(self, cookies: PlusCookies) -> None:
        document = {"cookies": dict(cookies.values), "pasted": _fingerprint(self.pasted)}
        write_private_file(self.path, json.dumps(document, separators=(",", ":")))

    def replace(self, cookies: PlusCookies) -> None:
        """New cookies from the owner (sign-in, the session form): saved under the settings'
        paste, so they win over it until another paste is set."""
        self.save(cookies)


class SsmCookieStore:
    """AWS: the two SecureString parameters named by `MHC_STATBATE_PLUS_SESSION_PARAM` and
    `MHC_STATBATE_PLUS_XSRF_PARAM`, which the owner (or the UI's session form) writes and
    each import updates with Plus's rotation. Other cookies live only for the run."""

    def __init__(self, session_param: str, xsrf_param: str, client: Any = None) -> None:
        self.session_param = session_param
        self.xsrf_param = xsrf_param
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "ssm", config=Config(retries={"mode": "adaptive", "max_attempts": 8})
            )
        self._ssm = client
        self._known: dict[str, str | None] | None = None

    def _read(self) -> dict[str, str | None]:
        names = [self.session_param, self.xsrf_param]
        response = self._ssm.get_parameters(Names=names, WithDecryption=True)
        found = {p["Name"]: p["Value"] for p in response.get("Parameters", [])}
        return {
            SESSION_COOKIE: found.get(self.session_param),
            XSRF_COOKIE: found.get(self.xsrf_param),
        }

    def load(self) -> PlusCookies | None:
        current = self._read()
        self._known = current
        session = current[SESSION_COOKIE]
        if not session:
            return None
        try:
            return PlusCookies.pasted(session, current[XSRF_COOKIE])
        except InvalidCookie:
            raise CorruptCookies(
                f"the SSM parameters {self.session_param} / {self.xsrf_param} hold no usable cookie"
            ) from None

    def save(self, cookies: PlusCookies) -> None:
        current = self._read()
        if self._known is not None and current != self._known:
            logger.warning(
                "statbate_plus: the session parameters changed during the import; "
                "keeping the new ones, not saving the rotated cookies"
            )
            return
        for name, param in ((SESSION_COOKIE, self.session_param), (XSRF_COOKIE, self.xsrf_param)):
            value = cookies.values.get(name)
            if value is not None and value != current[name]:
                self._ssm.put_parameter(
                    Name=param, Value=value, Type="SecureString", Overwrite=True
                )
                current[name] = value
        self._known = current

    def replace(self, cookies: PlusCookies) -> None:
        """New cookies from the owner: both parameters written without reading them (the
        API, which takes the session form, may only write these two parameters)."""
        for name, param in ((SESSION_COOKIE, self.session_param), (XSRF_COOKIE, self.xsrf_param)):
            value = cookies.values.get(name)
            if value is not None:
                self._ssm.put_parameter(
                    Name=param, Value=value, Type="SecureString", Overwrite=True
                )
        self._known = None


def cookie_store(settings: Settings) -> FileCookieStore | SsmCookieStore:
    """SSM when both `_PARAM` settings are set, else the local file seeded from the settings'
    cookie values (either form must name both cookies' source the same way)."""
    from mhc.config import ConfigError

    session_param = settings.mhc_statbate_plus_session_param
    xsrf_param = settings.mhc_statbate_plus_xsrf_param
    if session_param or xsrf_param:
        if not (session_param and xsrf_param):
            raise ConfigError(
                "set both MHC_STATBATE_PLUS_SESSION_PARAM and MHC_STATBATE_PLUS_XSRF_PARAM "
                "(the import saves the rotated cookies back to both)"
            )
        return SsmCookieStore(session_param, xsrf_param)
    session = settings.secret("MHC_STATBATE_PLUS_SESSION")
    pasted = None
    if session is not None:
        try:
            pasted = PlusCookies.pasted(session, settings.secret("MHC_STATBATE_PLUS_XSRF"))
        except InvalidCookie as exc:
            raise ConfigError(f"MHC_STATBATE_PLUS_SESSION / _XSRF: {exc}") from None
    return FileCookieStore(settings.statbate_plus_cookie_file, pasted)
