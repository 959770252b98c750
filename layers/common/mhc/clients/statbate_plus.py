"""Statbate Plus chat history: the logged-in web app, spoken to as a browser speaks Inertia.

Plus has no chat API: its pages are Laravel + Inertia.js behind Cloudflare, authenticated by
the owner's session cookies. The client does what the browser does:

- a first visit asks for HTML and reads the Inertia page object (and the asset `version`) from
  its `data-page` attribute, nothing else of the HTML (`mhc.domain.inertia`);
- later pages are Inertia requests (`X-Inertia`, `X-Inertia-Version`, `X-Requested-With`),
  partial reloads asking only for the props the field map reads (`matched_props`);
- a 409 with `X-Inertia-Location` (Plus deployed new assets) refreshes the version from that
  page's HTML and retries once;
- `Set-Cookie` rotations of good answers are kept and saved back through a `CookieStore`
  (throttled: a rotation re-encrypts the same session, so the last save stays valid);
- `X-XSRF-TOKEN` (the URL-decoded cookie) on every non-GET.

Session expiry in any of its forms (401, 419, 302 to /login, a 200 answering the login page)
raises `SessionExpired`, never an empty page; a Cloudflare challenge raises `Blocked`. Cookies
go only to the configured origin and never into a log line, error or repr.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import quote

import httpx

from mhc.clients.errors import (
    AuthError,
    InvalidClientConfig,
    InvalidResponse,
    NotFound,
    SessionExpired,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import (
    BROWSER_USER_AGENT,
    ApiHttp,
    ClientDeps,
    Pacer,
    RetryPolicy,
    Timeouts,
    blocked,
    check_base_url,
    decode_json,
    is_cloudflare_challenge,
    join_url,
)
from mhc.domain.chat_import import DEFAULT_MAP, FieldMap, chat_items, matched_props, next_page_url
from mhc.domain.inertia import is_login_page, is_login_url, is_page_object, page_from_html
from mhc.domain.plus_cookies import CookieStore, CorruptCookies, PlusCookies
from mhc.domain.usernames import InvalidUsername, normalize_username
from mhc.observability import register_secret

if TYPE_CHECKING:
    from mhc.config import Settings

API = "statbate_plus"
DEFAULT_BASE_URL = "https://plus.statbate.com"
#: What a browser's address bar asks for (a first visit) and what Inertia's XHRs ask for.
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
INERTIA_ACCEPT = "text/html, application/xhtml+xml"
_SITE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEADLINE_FAILURES = frozenset({"deadline", "pacing"})

PageKind = Literal["inertia", "json"]


@dataclass(frozen=True)
class PlusPage:
    """One answer: the request URL, the decoded JSON (an Inertia page object, or the plain
    JSON of an `api/` route) and the paginator's next URL (absolute; None at the end)."""

    url: str
    kind: PageKind
    body: Any = field(repr=False)
    next_url: str | None = None


def _name(name: str) -> str:
    try:
        return quote(normalize_username(name), safe="")
    except InvalidUsername as exc:
        raise ValueError(str(exc)) from None


def _raise_for(response: httpx.Response) -> NoReturn:
    """The typed error for an answer that is not a page (one place, easy to fold)."""
    status = response.status_code
    if is_cloudflare_challenge(response):
        raise blocked(API, response)
    if status == 401:
        raise SessionExpired(
            API, "HTTP 401: the session has expired; sign in again", reason="401", status=status
        )
    if status == 419:
        raise SessionExpired(
            API,
            "HTTP 419: the XSRF token was refused (the session has expired); sign in again",
            reason="419",
            status=status,
        )
    if status in _REDIRECTS:
        if is_login_url(response.headers.get("location", "")):
            raise SessionExpired(
                API,
                f"HTTP {status} to the login page: the session has expired; sign in again",
                reason="redirect",
                status=status,
            )
        raise InvalidResponse(API, f"unexpected redirect (HTTP {status})", status=status)
    if status == 403:
        raise AuthError(API, "HTTP 403: Plus refuses this page to the account", status=status)
    if status == 404:
        raise NotFound(API, "HTTP 404: no such page (unknown room or member?)", status=status)
    if status == 409:
        raise InvalidResponse(API, "HTTP 409 without X-Inertia-Location", status=status)
    raise UnexpectedStatus(API, f"HTTP {status}", status=status)


def _login_page() -> SessionExpired:
    return SessionExpired(
        API,
        "Plus answered its login page: the session has expired; sign in again",
        reason="login_page",
        status=200,
    )


class StatbatePlusClient:
    """Fetches chat pages with the owner's session; one client per run (it holds the jar)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        cookies: CookieStore,
        base_url: str = DEFAULT_BASE_URL,
        site: str = "statbate",
        field_map: FieldMap = DEFAULT_MAP,
        request_interval_seconds: float = 2.0,
        cookie_save_interval_seconds: float = 60.0,
        pacer: Pacer | None = None,
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        if not _SITE.match(site):
            raise InvalidClientConfig(API, "site must be a URL slug such as 'statbate'")
        self._client = client
        self._store = cookies
        self._base = check_base_url(API, base_url)
        self._api_prefix = join_url(self._base, "api/").path
        self._site = site
        self._map = field_map
        self._http = ApiHttp.with_defaults(API, client, timeouts=timeouts, retry=retry, deps=deps)
        self._deps = self._http.deps
        self._pacer = pacer or Pacer(request_interval_seconds, self._deps)
        self._save_interval = timedelta(seconds=cookie_save_interval_seconds)
        self._jar: PlusCookies | None = None
        self._saved: PlusCookies | None = None
        self._saved_at: datetime | None = None
        self._version: str | None = None
        self._partial: tuple[str, str] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx.Client, *, cookies: CookieStore, **kwargs: Any
    ) -> StatbatePlusClient:
        return cls(
            client,
            cookies=cookies,
            base_url=settings.mhc_statbate_plus_url,
            site=settings.mhc_statbate_plus_site,
            field_map=settings.statbate_plus_field_map(),
            request_interval_seconds=settings.mhc_statbate_plus_request_interval_seconds,
            timeouts=Timeouts.from_settings(settings),
            **kwargs,
        )

    # -- where the chat is -------------------------------------------------------------------
    def room_chat_url(self, room: str, page: int | None = None) -> str:
        """A room's chat (`room/{site}/{name}/chat`), from `page` (1 = newest) when given."""
        return self._route("room", room, page)

    def member_chat_url(self, member: str, page: int | None = None) -> str:
        """A member's chat across rooms (`member/{site}/{name}/chat`)."""
        return self._route("member", member, page)

    def live_session_chat_url(self, room: str, page: int | None = None) -> str:
        """The live session's chat JSON (`api/live-sessions/{site}/{name}/chat`)."""
        return self._route("api/live-sessions", room, page)

    def _route(self, prefix: str, name: str, page: int | None) -> str:
        url = join_url(self._base, f"{prefix}/{self._site}/{_name(name)}/chat")
        if page is not None:
            if page < 1:
                raise ValueError("page starts at 1")
            url = url.copy_set_param("page", str(page))
        return str(url)

    # -- fetching ----------------------------------------------------------------------------
    def room_chat(
        self, room: str, *, page: int | None = None, deadline: datetime | None = None
    ) -> PlusPage:
        return self.fetch(self.room_chat_url(room, page), deadline=deadline)

    def member_chat(
        self, member: str, *, page: int | None = None, deadline: datetime | None = None
    ) -> PlusPage:
        return self.fetch(self.member_chat_url(member, page), deadline=deadline)

    def live_session_chat(
        self, room: str, *, page: int | None = None, deadline: datetime | None = None
    ) -> PlusPage:
        return self.fetch(self.live_session_chat_url(room, page), deadline=deadline)

    def fetch(self, url: str, *, deadline: datetime | None = None) -> PlusPage:
        """The page at `url` (a chat URL, a paginator's next URL or a stored checkpoint):
        plain JSON under `api/`, an Inertia page anywhere else."""
        target = self._same_origin(url, "the URL")
        if target.path.startswith(self._api_prefix):
            return self._page(target, "json", self._json(target, deadline))
        return self._page(target, "inertia", self._inertia(target, deadline))

    def request_json(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        deadline: datetime | None = None,
    ) -> Any:
        """Any Plus JSON route (the route table is known, its payloads are not): for routes the
        owner maps later. Non-GET requests carry `X-XSRF-TOKEN`, as Laravel requires."""
        target = self._same_origin(url, "the URL")
        return self._json(target, deadline, method=method.upper(), json_body=json_body)

    def walk(self, start_url: str, *, deadline: datetime | None = None) -> ChatWalk:
        """Every page from `start_url` (a chat URL or a stored checkpoint) to the last."""
        return ChatWalk(self, start_url, deadline=deadline, field_map=self._map)

    def save_cookies(self) -> None:
        """Save the jar now if Plus rotated it since the last save (call at the end of a run)."""
        if self._jar is not None and self._jar != self._saved:
            self._store.save(self._jar)
            self._saved = self._jar
            self._saved_at = self._deps.clock()

    # -- Inertia -----------------------------------------------------------------------------
    def _inertia(self, url: httpx.URL, deadline: datetime | None) -> dict[str, Any]:
        if self._version is None:
            return self._visit(url, deadline)
        refreshed = False
        while True:
            response = self._send("GET", url, self._inertia_headers(), deadline)
            location = response.headers.get("x-inertia-location")
            if response.status_code != 409 or not location:
                return self._inertia_answer(response)
            if refreshed:
                raise InvalidResponse(
                    API, "the asset version changed again right after a refresh", status=409
                )
            target = self._same_origin(location, "X-Inertia-Location")
            if is_login_url(str(target)):
                raise SessionExpired(
                    API,
                    "Plus sent the browser to its login page: sign in again",
                    reason="redirect",
                    status=409,
                )
            self._keep_cookies(response)
            self._visit(target, deadline)
            refreshed = True

    def _inertia_headers(self) -> dict[str, str]:
        headers = {
            "Accept": INERTIA_ACCEPT,
            "X-Inertia": "true",
            "X-Inertia-Version": self._version or "",
            "X-Requested-With": "XMLHttpRequest",
        }
        if self._partial is not None:
            headers["X-Inertia-Partial-Component"] = self._partial[0]
            headers["X-Inertia-Partial-Data"] = self._partial[1]
        return headers

    def _visit(self, url: httpx.URL, deadline: datetime | None) -> dict[str, Any]:
        """A browser's first visit: HTML whose `data-page` holds the page and its version."""
        response = self._send("GET", url, {"Accept": HTML_ACCEPT}, deadline)
        if response.status_code != 200:
            _raise_for(response)
        page = self._html_page(response)
        version = page.get("version")
        self._version = "" if version is None else str(version)
        self._keep_cookies(response)
        return page

    def _inertia_answer(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            _raise_for(response)
        if response.headers.get("x-inertia", "").lower() == "true":
            page = decode_json(API, response)
            if not is_page_object(page):
                raise InvalidResponse(API, "the Inertia answer is not a page object", status=200)
            if is_login_page(page):
                raise _login_page()
        else:  # a whole HTML page instead of an Inertia answer: the login page, or a reload
            page = self._html_page(response)
            version = page.get("version")
            self._version = "" if version is None else str(version)
        self._keep_cookies(response)
        result: dict[str, Any] = page
        return result

    def _html_page(self, response: httpx.Response) -> dict[str, Any]:
        if is_cloudflare_challenge(response):
            raise blocked(API, response)
        page = page_from_html(response.text)
        if page is None:
            raise InvalidResponse(API, "the HTML page carries no Inertia data-page", status=200)
        if is_login_page(page):
            raise _login_page()
        return page

    # -- plain JSON --------------------------------------------------------------------------
    def _json(
        self,
        url: httpx.URL,
        deadline: datetime | None,
        *,
        method: str = "GET",
        json_body: Any = None,
    ) -> Any:
        headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}
        response = self._send(method, url, headers, deadline, json_body=json_body)
        if response.status_code != 200:
            _raise_for(response)
        if "html" in response.headers.get("content-type", "").lower():
            self._html_page(response)  # the login page (or Cloudflare) raises
            raise InvalidResponse(API, "HTML instead of JSON", status=200)
        body = decode_json(API, response)
        if is_page_object(body) and is_login_page(body):
            raise _login_page()
        self._keep_cookies(response)
        return body

    # -- transport, cookies, origin ----------------------------------------------------------
    def _send(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        deadline: datetime | None,
        *,
        json_body: Any = None,
    ) -> httpx.Response:
        jar = self._cookies()
        sent = {"User-Agent": BROWSER_USER_AGENT, **headers, "Cookie": jar.header()}
        if method != "GET" and jar.xsrf_header:
            sent["X-XSRF-TOKEN"] = jar.xsrf_header
        self._pacer.wait(API, deadline)
        try:
            return self._http.request(
                method, url, headers=sent, json_body=json_body, deadline=deadline
            )
        finally:
            self._forget_library_cookies()

    def _cookies(self) -> PlusCookies:
        if self._jar is None:
            try:
                loaded = self._store.load()
            except CorruptCookies as exc:
                raise SessionExpired(API, f"{exc}: sign in again", reason="unreadable") from None
            if loaded is None or loaded.session is None:
                raise SessionExpired(
                    API,
                    "no Statbate Plus session is stored: sign in (mhc chat-import login) "
                    "or set the session cookies",
                    reason="missing",
                )
            self._remember(loaded)
            self._jar = self._saved = loaded
        return self._jar

    @staticmethod
    def _remember(jar: PlusCookies) -> None:
        for value in jar.secret_values():
            register_secret(value)

    def _keep_cookies(self, response: httpx.Response) -> None:
        """Take a good answer's `Set-Cookie` rotation into the jar; save it when due."""
        rotated = response.headers.get_list("set-cookie")
        if not rotated or self._jar is None:
            return
        now = self._deps.clock()
        jar = self._jar.with_set_cookies(rotated, now)
        if jar is self._jar:
            return
        self._remember(jar)
        self._jar = jar
        if self._saved_at is None or now - self._saved_at >= self._save_interval:
            self.save_cookies()

    def _forget_library_cookies(self) -> None:
        """httpx keeps its own jar on the (possibly shared) client: drop what Plus set there,
        so our cookies live only in our jar and are sent only by us."""
        jar = self._client.cookies.jar
        host = self._base.host.lower()
        for cookie in list(jar):
            domain = cookie.domain.lstrip(".").lower().removesuffix(".local")
            if domain == host:
                jar.clear(cookie.domain, cookie.path, cookie.name)

    def _same_origin(self, url: str, what: str) -> httpx.URL:
        """`url` (absolute, or relative to the base URL) when it stays on the configured
        origin: cookies are never sent anywhere else."""
        try:
            target = self._base.join(url)
        except (httpx.InvalidURL, TypeError):
            raise InvalidResponse(API, f"{what} is not a URL") from None
        same = (
            target.scheme == self._base.scheme
            and target.host.lower() == self._base.host.lower()
            and target.port == self._base.port
            and not target.userinfo
        )
        if not same:
            raise InvalidResponse(API, f"{what} leaves the configured Plus origin: not followed")
        return target

    def _page(self, url: httpx.URL, kind: PageKind, body: Any) -> PlusPage:
        if kind == "inertia" and (self._partial is None or body["component"] != self._partial[0]):
            props = matched_props(body, self._map)
            self._partial = (body["component"], ",".join(props)) if props else None
        following = next_page_url(body, self._map)
        next_url = str(self._same_origin(following, "the next page URL")) if following else None
        return PlusPage(str(url), kind, body, next_url)


class ChatWalk:
    """The pages of one chat, following the paginator's next URL to its end.

    `checkpoint` is the URL still to fetch. It moves past a page only when the caller asks for
    the next one, that is after it stored the page: a crash re-fetches at most that page, and a
    walk started from a stored checkpoint resumes there. When the deadline leaves no time for
    another request the walk stops with its checkpoint (`stopped_at_deadline`). Any other
    failure raises, the checkpoint still on the page that failed. The caller saves the cookies
    (`StatbatePlusClient.save_cookies`) when it is done.
    """

    def __init__(
        self,
        client: StatbatePlusClient,
        start_url: str,
        *,
        deadline: datetime | None,
        field_map: FieldMap,
    ) -> None:
        self.checkpoint: str | None = start_url
        self.pages = 0
        #: The paginator said there is no next page.
        self.ended = False
        self.stopped_at_deadline = False
        self._client = client
        self._deadline = deadline
        self._map = field_map

    def __iter__(self) -> Iterator[PlusPage]:
        seen: set[str] = set()
        while self.checkpoint is not None:
            if self.checkpoint in seen:
                raise InvalidResponse(API, "the paginator's next URL leads back to a page read")
            seen.add(self.checkpoint)
            try:
                page = self._client.fetch(self.checkpoint, deadline=self._deadline)
            except TransientExhausted as exc:
                if exc.attempts == 0 and exc.last_failure in _DEADLINE_FAILURES:
                    self.stopped_at_deadline = True
                    return
                raise
            yield page
            self.pages += 1
            empty = chat_items(page.body, self._map) == []
            self.checkpoint = None if empty else page.next_url
        self.ended = True
