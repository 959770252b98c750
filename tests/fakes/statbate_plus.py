"""A fake Statbate Plus (Laravel + Inertia.js behind Cloudflare) on loopback.

It speaks what the chat import must handle: an HTML first visit whose root element carries the
Inertia page object in `data-page`; Inertia requests checked against the asset version (409 +
`X-Inertia-Location` when it changed, e.g. mid-walk); partial reloads honoured; Laravel
paginator pages (`data`, `next_page_url`, `current_page`, `last_page`, ...); `Set-Cookie`
rotation on every good answer; 419 on a bad `X-XSRF-TOKEN`; session expiry as a 302 to
/login, as a 401, or as a 200 login page; a Cloudflare challenge; and (scripted on the
underlying `FakeHttpServer`) 5xx, 429, slow replies and dropped connections.

Message shapes, each readable through the default field map alone:

- `shape_a`: flat `{id, created_at, username, message}`; `created_at` naive `Y-m-d H:i:s` in
  the account's timezone (the page's `props.data.timezone`).
- `shape_b`: nested `{user: {username}, text, time}` without ids; ISO 8601 UTC times; identical
  lines (same sender, second and text) come in pairs now and then.
- `shape_c`: tips `{donator, mes, date, tokens}`; `date` in epoch seconds.
- `member`: a member's chat across rooms `{id, created_at, room, message}`: the sender is the
  member named in the URL.
- `unmapped`: `{who, said, at}`: nothing the default map reads.

`har_for_room` writes a HAR 1.2 export of a room's pages, as DevTools saves it.
"""

from __future__ import annotations

import base64
import html
import json
import random
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fakes.http import FakeHttpServer, RecordedRequest, Reply, cloudflare_reply

SITE = "statbate"
ZONE = "America/New_York"
SESSION_COOKIE = "statbate_plus_session"
XSRF_COOKIE = "XSRF-TOKEN"
ROOM_COMPONENT = "Room/Chat"
MEMBER_COMPONENT = "Member/Chat"
LOGIN_COMPONENT = "Auth/Login"
#: 2026-01-10T00:00:00Z: far from any DST change, so every shape's time reads back exactly.
START = datetime(2026, 1, 10, tzinfo=UTC)

Shape = Literal["shape_a", "shape_b", "shape_c", "member", "unmapped"]
Expiry = Literal["redirect", "401", "login_page"]


@dataclass(frozen=True)
class FakeMessage:
    """One message as served (`raw`) and what reading it must give back."""

    raw: dict[str, Any]
    sender: str
    text: str
    occurred_at: datetime
    room: str
    message_id: str | None = None
    tokens: int | None = None


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def make_messages(
    count: int,
    *,
    room: str,
    shape: Shape,
    start: datetime = START,
    zone: str = ZONE,
    seed: int = 1,
    first_id: int = 1,
    member: str | None = None,
) -> list[FakeMessage]:
    """`count` messages, newest first (as Plus lists chat), one second apart at least.

    `shape_b` repeats a line (same sender, second and text) at positions 10k+4 / 10k+5, so the
    pair stays on one page whenever pages hold a multiple of ten.
    """
    rng = random.Random(seed)
    senders = [f"Viewer_{n:04d}" for n in range(max(5, count // 25))]
    moment = start
    messages: list[FakeMessage] = []
    for n in range(count):
        repeat = shape == "shape_b" and n % 10 == 5 and messages
        if not repeat:
            moment += timedelta(seconds=rng.randint(1, 20))
        sender = member or rng.choice(senders)
        text = f'line {n} in {room}: ¡hola! 🌶 "quoted" <b>x</b>'
        if repeat:
            messages.append(messages[-1])
            continue
        message_id: str | None = None
        tokens: int | None = None
        if shape == "shape_a":
            message_id = str(first_id + n)
            raw: dict[str, Any] = {
                "id": first_id + n,
                "created_at": _local(moment, zone),
                "username": sender,
                "message": text,
            }
        elif shape == "shape_b":
            raw = {
                "user": {"username": sender, "gender": "m", "is_fan": n % 3 == 0},
                "text": text,
                "time": moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            }
        elif shape == "shape_c":
            tokens = rng.choice([1, 5, 25, 100, 500])
            raw = {
                "donator": sender,
                "mes": text,
                "date": int(moment.timestamp()),
                "tokens": tokens,
            }
        elif shape == "member":
            message_id = str(first_id + n)
            raw = {
                "id": first_id + n,
                "created_at": _local(moment, zone),
                "room": room,
                "message": text,
            }
        else:
            raw = {"who": sender, "said": text, "at": moment.isoformat()}
        messages.append(FakeMessage(raw, sender.lower(), text, moment, room, message_id, tokens))
    messages.reverse()
    return messages


def page_html(page: dict[str, Any], *, title: str = "Statbate Plus") -> str:
    """A Laravel Inertia root view: the page object HTML-escaped in `data-page`, with the
    route table and decoys around it that a DOM-walking scraper would trip on."""
    data = html.escape(json.dumps(page), quote=True)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<script type="text/javascript">const Ziggy={"url":"https://plus.statbate.com",'
        '"routes":{"model.chat":{"uri":"room/{site}/{name}/chat"}}};'
        "document.querySelector('#app').getAttribute('data-page');</script>"
        '<link rel="stylesheet" href="/build/assets/app.css"></head>'
        '<body class="font-sans antialiased" data-theme="dark">'
        f'<div id="app" data-page="{data}"></div>'
        '<script type="module" src="/build/assets/app.js"></script></body></html>'
    )


@dataclass
class _Session:
    """The cookies issued during one signed-in session (old values stay valid, as Laravel's
    re-encrypted cookies do) and whether the session has expired."""

    values: set[str] = field(default_factory=set)
    xsrf: set[str] = field(default_factory=set)
    expired: bool = False


class FakePlus:
    """Attach to a `FakeHttpServer` (it becomes the server's handler): `FakePlus(server)`.
    Without a server it only builds pages and HAR files, for an `origin` that is never asked."""

    def __init__(
        self,
        server: FakeHttpServer | None = None,
        *,
        origin: str = "https://plus.statbate.com",
        per_page: int = 100,
        zone: str | None = ZONE,
        rotate_cookies: bool = True,
    ) -> None:
        self.origin = server.url if server is not None else origin
        self.per_page = per_page
        self.zone = zone
        self.rotate_cookies = rotate_cookies
        self.rooms: dict[str, list[FakeMessage]] = {}
        self.members: dict[str, list[FakeMessage]] = {}
        self.live: dict[str, list[FakeMessage]] = {}
        self.version = secrets.token_hex(16)
        #: How an expired session shows: a 302 to /login (Laravel's default), a 401, or a 200
        #: answering the login page.
        self.expiry: Expiry = "redirect"
        #: After this many more chat requests the session expires (None: never).
        self.expire_after: int | None = None
        #: After this many more Inertia requests the assets change (a deploy): new version.
        self.version_change_after: int | None = None
        #: The next this-many requests get a Cloudflare challenge.
        self.challenges = 0
        #: (path, the partial props asked for or None) of every Inertia answer served.
        self.inertia_served: list[tuple[str, str | None]] = []
        self.conflicts = 0
        self._session = _Session()
        self._lock = threading.Lock()
        if server is not None:
            server.handler = self.handle

    # -- scripting ---------------------------------------------------------------------------
    def sign_in(self) -> tuple[str, str]:
        """A fresh session: (session cookie, XSRF-TOKEN cookie as the browser holds it)."""
        with self._lock:
            self._session = _Session()
            return self._issue()

    def expire(self, how: Expiry | None = None) -> None:
        with self._lock:
            self._session.expired = True
            if how is not None:
                self.expiry = how

    def add_room(self, room: str, messages: Sequence[FakeMessage]) -> None:
        self.rooms[room.lower()] = list(messages)

    def add_member(self, member: str, messages: Sequence[FakeMessage]) -> None:
        self.members[member.lower()] = list(messages)

    def add_live(self, room: str, messages: Sequence[FakeMessage]) -> None:
        self.live[room.lower()] = list(messages)

    # -- pages (also used to build HAR files without HTTP) ------------------------------------
    def paginator(self, path: str, messages: Sequence[FakeMessage], page: int) -> dict[str, Any]:
        base = self.origin + path
        last = max(1, -(-len(messages) // self.per_page))
        chunk = messages[(page - 1) * self.per_page : page * self.per_page]
        first = (page - 1) * self.per_page + 1
        return {
            "current_page": page,
            "data": [m.raw for m in chunk],
            "first_page_url": f"{base}?page=1",
            "from": first if chunk else None,
            "last_page": last,
            "last_page_url": f"{base}?page={last}",
            "links": [
                {"url": None if page == 1 else f"{base}?page={page - 1}", "label": "&laquo; Previous", "active": False},
                {"url": f"{base}?page={page}", "label": str(page), "active": True},
                {"url": f"{base}?page={page + 1}" if page < last else None, "label": "Next &raquo;", "active": False},
            ],
            "next_page_url": f"{base}?page={page + 1}" if page < last else None,
            "path": base,
            "per_page": self.per_page,
            "prev_page_url": None if page == 1 else f"{base}?page={page - 1}",
            "to": first + len(chunk) - 1 if chunk else None,
            "total": len(messages),
        }  # fmt: skip

    def chat_page(self, kind: Literal["room", "member"], name: str, page: int) -> dict[str, Any]:
        """The Inertia page object of a room's or a member's chat page."""
        path = f"/{kind}/{SITE}/{name}/chat"
        source = self.rooms if kind == "room" else self.members
        data: dict[str, Any] = {"site": "chaturbate", "dbSite": SITE, "group": "day"}
        if self.zone is not None:
            data["timezone"] = self.zone
        props: dict[str, Any] = {
            "errors": {},
            "auth": {"user": {"id": 7, "masked_account_identifier": "ow***er"}},
            "flash": {"message": None, "token": None},
            "room" if kind == "room" else "member": {"name": name, "gender": 1},
            "data": data,
            "messages": self.paginator(path, source.get(name, []), page),
            "translations": {"Chat": "Chat", "Next": "Next"},
        }
        return {
            "component": ROOM_COMPONENT if kind == "room" else MEMBER_COMPONENT,
            "props": props,
            "url": f"{path}?page={page}" if page > 1 else path,
            "version": self.version,
            "clearHistory": False,
            "encryptHistory": False,
        }

    def login_page(self) -> dict[str, Any]:
        return {
            "component": LOGIN_COMPONENT,
            "props": {"errors": {}, "auth": {"user": None}, "canResetPassword": True},
            "url": "/login",
            "version": self.version,
            "clearHistory": False,
            "encryptHistory": False,
        }

    def account_page(self, name: str) -> dict[str, Any]:
        """A page only a signed-in account sees (the dashboard, the profile)."""
        return {
            "component": name.capitalize(),
            "props": {"errors": {}, "auth": {"user": {"id": 7, "remember_token": "rt-secret"}}},
            "url": f"/{name}",
            "version": self.version,
            "clearHistory": False,
            "encryptHistory": False,
        }

    # -- serving -----------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            return self._handle(request)

    def _handle(self, request: RecordedRequest) -> Reply:
        if self.challenges > 0:
            self.challenges -= 1
            return cloudflare_reply(403)
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        inertia = request.headers.get("x-inertia") == "true"
        if parts == ["login"] and request.method == "POST":
            return self._signed_in_reply()
        if parts == ["login"]:
            return self._inertia_reply(self.login_page(), inertia, rotate=False)
        chat = len(parts) == 4 and parts[0] in ("room", "member") and parts[1:4:2] == [SITE, "chat"]
        live = (
            len(parts) == 5 and parts[:3] == ["api", "live-sessions", SITE] and parts[4] == "chat"
        )
        if chat or live:
            self._count_towards_expiry()
        if not self._signed_in(request):
            return self._expired_reply(inertia)
        if request.method != "GET":
            if not self._xsrf_ok(request):
                return Reply(status=419, body={"message": "CSRF token mismatch."})
            if parts == ["api", "live-sessions", "statuses"]:
                return self._json_reply({"data": [], "echo": request.json()})
            return Reply(status=405, body={"message": "Method not allowed."})
        page = self._page_number(request)
        if parts in (["dashboard"], ["profile"]):
            return self._inertia_reply(self.account_page(parts[0]), inertia)
        if chat:
            return self._chat(request, parts[0], parts[2].lower(), page, inertia)  # type: ignore[arg-type]
        if live:
            path = "/" + "/".join(parts)
            return self._json_reply(self.paginator(path, self.live.get(parts[3].lower(), []), page))
        return Reply(status=404, body="<html><title>Not Found</title></html>")

    def _chat(
        self,
        request: RecordedRequest,
        kind: Literal["room", "member"],
        name: str,
        page: int,
        inertia: bool,
    ) -> Reply:
        if inertia:
            if self.version_change_after is not None:
                if self.version_change_after == 0:
                    self.version = secrets.token_hex(16)
                    self.version_change_after = None
                else:
                    self.version_change_after -= 1
            if request.headers.get("x-inertia-version") != self.version:
                self.conflicts += 1
                return Reply(
                    status=409,
                    headers={"X-Inertia-Location": self.origin + request.target},
                    header_list=self._rotation(),
                )
        body = self.chat_page(kind, name, page)
        partial = None
        if inertia and request.headers.get("x-inertia-partial-component") == body["component"]:
            partial = request.headers.get("x-inertia-partial-data", "")
            wanted = {p.strip() for p in partial.split(",") if p.strip()}
            body["props"] = {k: v for k, v in body["props"].items() if k in wanted}
        if inertia:
            self.inertia_served.append((request.path, partial))
        return self._inertia_reply(body, inertia)

    def _inertia_reply(self, body: dict[str, Any], inertia: bool, *, rotate: bool = True) -> Reply:
        cookies = self._rotation() if rotate else []
        if inertia:
            headers = {"Vary": "X-Inertia", "X-Inertia": "true", "Content-Type": "application/json"}
            return Reply(body=json.dumps(body).encode(), headers=headers, header_list=cookies)
        headers = {"Vary": "X-Inertia", "Content-Type": "text/html; charset=UTF-8"}
        return Reply(body=page_html(body), headers=headers, header_list=cookies)

    def _json_reply(self, body: Any) -> Reply:
        return Reply(
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            header_list=self._rotation(),
        )

    def _signed_in_reply(self) -> Reply:
        """The sign-in form was sent: a new session (Laravel regenerates it), then the
        dashboard. Any credentials do: the fake has one account."""
        self._session = _Session()
        session, xsrf = self._issue()
        return Reply(
            status=302,
            headers={"Location": f"{self.origin}/dashboard"},
            header_list=[
                ("Set-Cookie", f"{XSRF_COOKIE}={xsrf}; Max-Age=7200; path=/; samesite=lax"),
                ("Set-Cookie", f"{SESSION_COOKIE}={session}; Max-Age=7200; path=/; httponly"),
            ],
        )

    def _expired_reply(self, inertia: bool) -> Reply:
        if self.expiry == "401":
            return Reply(status=401, body={"message": "Unauthenticated."})
        if self.expiry == "login_page":
            return self._inertia_reply(self.login_page(), inertia, rotate=False)
        return Reply(status=302, headers={"Location": f"{self.origin}/login"})

    # -- cookies -----------------------------------------------------------------------------
    def _issue(self) -> tuple[str, str]:
        session = secrets.token_urlsafe(40)
        xsrf = base64.b64encode(secrets.token_bytes(30) + b"\x00").decode()  # ends in "="
        self._session.values.add(session)
        self._session.xsrf.add(xsrf)
        return session, quote(xsrf, safe="")

    def _rotation(self) -> list[tuple[str, str]]:
        """Laravel's answer cookies: both re-issued on every good answer."""
        if not self.rotate_cookies:
            return []
        session, xsrf = self._issue()
        expires = "Sat, 10-Jan-2099 02:00:00 GMT"
        return [
            ("Set-Cookie", f"{XSRF_COOKIE}={xsrf}; expires={expires}; Max-Age=7200; path=/; samesite=lax"),
            ("Set-Cookie", f"{SESSION_COOKIE}={session}; expires={expires}; Max-Age=7200; path=/; httponly; samesite=lax"),
        ]  # fmt: skip

    def _cookies_of(self, request: RecordedRequest) -> dict[str, str]:
        jar: dict[str, str] = {}
        for pair in request.headers.get("cookie", "").split(";"):
            name, _, value = pair.strip().partition("=")
            if name:
                jar[name] = value
        return jar

    def _signed_in(self, request: RecordedRequest) -> bool:
        session = self._cookies_of(request).get(SESSION_COOKIE)
        return not self._session.expired and session in self._session.values

    def _xsrf_ok(self, request: RecordedRequest) -> bool:
        header = request.headers.get("x-xsrf-token")
        cookie = self._cookies_of(request).get(XSRF_COOKIE)
        return (
            header is not None
            and cookie is not None
            and header == unquote(cookie)
            and header in self._session.xsrf
        )

    def _count_towards_expiry(self) -> None:
        if self.expire_after is not None:
            if self.expire_after == 0:
                self._session.expired = True
                self.expire_after = None
            else:
                self.expire_after -= 1

    @staticmethod
    def _page_number(request: RecordedRequest) -> int:
        value = request.param("page") or "1"
        return int(value) if value.isdigit() and int(value) >= 1 else 1


# -- HAR ---------------------------------------------------------------------------------------
def har_entry(
    url: str,
    *,
    status: int = 200,
    mime: str = "application/json",
    text: str | None = None,
    base64_body: bool = False,
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """One HAR 1.2 entry as Chromium's DevTools writes it."""
    content: dict[str, Any] = {"size": len(text or ""), "mimeType": mime}
    if text is not None:
        if base64_body:
            content["text"] = base64.b64encode(text.encode()).decode()
            content["encoding"] = "base64"
        else:
            content["text"] = text
    return {
        "startedDateTime": "2026-01-11T09:00:00.000Z",
        "time": 42.0,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": [{"name": n, "value": v} for n, v in headers],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "http/2.0",
            "headers": [{"name": "content-type", "value": mime}],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0.1, "wait": 40.0, "receive": 1.9},
    }


def har_document(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": entries,
        }
    }


def har_for_room(
    fake: FakePlus, room: str, *, base64_every: int = 3, noise: bool = True
) -> dict[str, Any]:
    """A HAR export of a walk through a room's chat: the HTML first visit (page 1 in its
    `data-page`), then an Inertia XHR per page (every `base64_every`-th body base64-encoded),
    with the unrelated requests a real export holds when `noise` is set."""
    origin = fake.origin
    path = f"/room/{SITE}/{room}/chat"
    first = fake.chat_page("room", room, 1)
    last = first["props"]["messages"]["last_page"]
    entries = [har_entry(origin + path, mime="text/html", text=page_html(first))]
    if noise:
        entries += [
            har_entry(origin + "/build/assets/app.js", mime="application/javascript", text="(()=>{})();"),
            har_entry(origin + "/api/me", text=json.dumps({"data": {"id": 7, "name": "owner"}})),
            har_entry(origin + "/api/model/statbate/x/tips", text=json.dumps({"data": [{"time": "2026-01-10 00:00:01", "name": "tipper", "tokens": 5}]})),
            har_entry(origin + "/favicon.ico", mime="image/x-icon", text="AAAB", base64_body=True),
            har_entry(origin + path + "?page=2", status=409, mime="text/html", text=""),
        ]  # fmt: skip
    for page in range(2, last + 1):
        body = json.dumps(fake.chat_page("room", room, page))
        entries.append(
            har_entry(
                f"{origin}{path}?page={page}",
                text=body,
                base64_body=base64_every > 0 and page % base64_every == 0,
                headers=[("X-Inertia", "true"), ("X-Inertia-Version", fake.version)],
            )
        )
    return har_document(entries)
