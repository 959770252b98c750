"""The API's input guard: what no route can store or should parse, refused before routing.

One pure-ASGI middleware, inside the auth middleware (an anonymous request is a 401 first):

- **NUL** (`\\u0000`) in any string the API receives: query names and values, path values,
  header values and every key and string of a JSON body. PostgreSQL text and jsonb cannot hold
  it (search answered 500), and silently replacing it in the owner's own note would change
  what was typed. 422 names the field: `q`, `key` (a path parameter), `config.roles.0`,
  `header x-note`. Checked here rather than by a string type on every model and parameter,
  so a route added later is covered without remembering to use that type (decision 37).
- **Unknown query parameters**: a typo in a filter name (`tpye=TIP_EVENT`) answered everything,
  unfiltered, as if it had matched. 422 names it and the parameters the route takes (request
  bodies refuse unknown fields the same way).
- **Body size**: a body larger than its route accepts is a 413 before it is read in full
  (a 1 MB body of unknown keys made a 7 MB error). Every route takes
  `DEFAULT_MAX_BODY_BYTES`; one that needs more declares it on the route with
  `openapi_extra={MAX_BODY_EXTRA: n}`, which also documents it in the OpenAPI document (and
  may add `MAX_BODY_HINT_EXTRA`: what to do instead, said in the 413).
- A route whose declared body is not JSON (`openapi_extra` requestBody content without
  `application/json`: the token-history upload's CSV or gzip) reads its body itself: it is
  not searched for NUL (a gzip stream is full of NUL bytes).

Fetched and replayed payloads are a different matter: they are stored with NUL replaced
(`mhc.db.storable`), never refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, QueryParams
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mhc.api.errors import MAX_DETAILS, error_response, invalid_input

#: Every route's body cap. The largest legitimate body is a lookup's 50,000-character paste:
#: up to 12 bytes a character when a client escapes astral characters (`\\ud83d\\ude00`), so
#: 600,000 bytes; 1 MiB leaves room for the other fields.
DEFAULT_MAX_BODY_BYTES = 1_048_576
#: The `openapi_extra` key a route sets to accept a larger (or smaller) body.
MAX_BODY_EXTRA = "x-max-body-bytes"
#: The `openapi_extra` key of what the 413 tells the client to do instead.
MAX_BODY_HINT_EXTRA = "x-max-body-hint"

NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored"
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _shown(name: str) -> str:
    """A field name fit for a message: a NUL in it is shown escaped."""
    return name.replace("\x00", "\\u0000")


def nul_fields(document: Any) -> Iterator[str]:
    """The dotted path of every key or string holding NUL in a parsed JSON document."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                yield path or "body"
        elif isinstance(value, dict):
            children = []
            for key, child in value.items():
                child_path = f"{path}.{_shown(key)}" if path else _shown(key)
                if "\x00" in key:
                    yield child_path
                    continue
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in reversed(list(enumerate(value)))
            )


def _query_nul(scope: Scope) -> list[str]:
    raw: bytes = scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:
        return []
    fields: list[str] = []
    for name, value in QueryParams(raw).multi_items():
        if "\x00" in name or "\x00" in value:
            fields.append(_shown(name))
    return fields


def _query_names(dependant: Dependant) -> list[str]:
    """The query parameters a route takes, its dependencies' included, in declaration order."""
    names = [field.alias for field in dependant.query_params]
    for sub in dependant.dependencies:
        names.extend(name for name in _query_names(sub) if name not in names)
    return names


def _header_nul(headers: Headers) -> list[str]:
    return [f"header {_shown(name)}" for name, value in headers.items() if "\x00" in value]


class InputGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Callable[[], Sequence[BaseRoute]],
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.routes = routes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        fields = [*self._path_nul(scope), *_query_nul(scope), *_header_nul(headers)]
        if fields:
            await self._refuse_nul(fields, scope, receive, send)
            return
        unknown = self._unknown_query(scope)
        if unknown:
            await invalid_input(unknown[:MAX_DETAILS], total=len(unknown))(scope, receive, send)
            return
        if scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        route = self._route(scope)
        limit, hint = _body_limit(route, self.max_body_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(limit, hint, scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._too_large(limit, hint, scope, receive, send)
                return
        fields = self._body_nul(bytes(body)) if _takes_json(route) else []
        if fields:
            await self._refuse_nul(fields, scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    # -- checks ----------------------------------------------------------------------------
    def _matching(self, scope: Scope) -> Iterator[tuple[BaseRoute, dict[str, str]]]:
        path = scope.get("path", "")
        for route in self.routes():
            pattern = getattr(route, "path_regex", None)
            match = pattern.match(path) if pattern is not None else None
            if match is not None:
                yield route, match.groupdict()

    def _route(self, scope: Scope) -> APIRoute | None:
        """The API route that will answer (path and method), or None (a 404 or 405)."""
        method = scope.get("method")
        for route, _params in self._matching(scope):
            if isinstance(route, APIRoute) and method in (route.methods or ()):
                return route
        return None

    def _unknown_query(self, scope: Scope) -> list[dict[str, str]]:
        raw: bytes = scope.get("query_string", b"")
        if not raw:
            return []
        route = self._route(scope)
        if route is None:
            return []
        takes = _query_names(route.dependant)
        accepted = f"it takes {', '.join(takes)}" if takes else "it takes none"
        unknown = dict.fromkeys(
            name for name, _value in QueryParams(raw).multi_items() if name not in takes
        )
        return [
            {
                "field": name or "(unnamed)",
                "message": f"not a parameter of this request ({accepted})",
            }
            for name in unknown
        ]

    def _path_nul(self, scope: Scope) -> list[str]:
        if "\x00" not in scope.get("path", ""):
            return []
        for _route, params in self._matching(scope):
            named = [_shown(name) for name, value in params.items() if "\x00" in value]
            if named:
                return named
        return ["path"]

    @staticmethod
    def _body_nul(body: bytes) -> list[str]:
        # Substring searches first (C speed); the regex only when an escaped NUL may be there.
        if b"\x00" not in body and (b"\\u0000" not in body or not _ESCAPED_NUL.search(body)):
            return []
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            # Not JSON the routes could read anyway; a raw NUL byte is named as the body.
            return ["body"] if b"\x00" in body else []
        return list(nul_fields(document))

    # -- answers ---------------------------------------------------------------------------
    @staticmethod
    async def _refuse_nul(fields: list[str], scope: Scope, receive: Receive, send: Send) -> None:
        problems = [{"field": field, "message": NUL_MESSAGE} for field in fields[:MAX_DETAILS]]
        await invalid_input(problems, total=len(fields))(scope, receive, send)

    @staticmethod
    async def _too_large(
        limit: int, hint: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        message = f"the request body is too large: this route accepts at most {limit:,} bytes"
        response = error_response(413, "too_large", f"{message}: {hint}" if hint else message)
        await response(scope, receive, send)


def _body_limit(route: APIRoute | None, default: int) -> tuple[int, str | None]:
    """The route's body cap and what its 413 suggests instead."""
    extra = (route.openapi_extra or {}) if route is not None else {}
    limit, hint = extra.get(MAX_BODY_EXTRA), extra.get(MAX_BODY_HINT_EXTRA)
    return (
        limit if isinstance(limit, int) else default,
        hint if isinstance(hint, str) else None,
    )


def _takes_json(route: APIRoute | None) -> bool:
    """False for a route that declares a body of other media types only (it reads it)."""
    declared = ((route.openapi_extra or {}) if route is not None else {}).get("requestBody")
    content = declared.get("content") if isinstance(declared, dict) else None
    return not isinstance(content, dict) or "application/json" in content


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then the real stream's end."""
    done = False

    async def replayed() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
