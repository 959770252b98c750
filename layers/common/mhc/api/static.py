"""Serve the built web UI next to the API — for `mhc run` only.

In AWS, CloudFront serves the UI from S3 and the Lambda never sees these paths, so nothing here
is wired into `create_app`. Locally, `with_frontend` wraps the API in a small ASGI dispatcher:
`/api` and `/api/...` go to the API untouched (its auth middleware still guards every route),
everything else is a file from `frontend/dist`, or `index.html` for the SPA's own routes.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api"

#: The UI's scripts and styles are its own files; it only talks to its own origin.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
UI_HEADERS = {
    "content-security-policy": UI_CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
#: Vite puts a content hash in every name under assets/: they never change.
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = (
    "The web UI is not built: run `make frontend` (or `npm --prefix frontend run build`).\n"
    "The API is served under /api.\n"
)

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")


def default_frontend_dir() -> Path:
    """`frontend/dist` of the checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[4] / "frontend" / "dist"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def resolve_file(root: Path, path: str) -> Path | None:
    """The file under `root` that `path` names, or None (missing, a folder, or outside root)."""
    parts = PurePosixPath(unquote(path)).parts[1:]
    if not parts or any(part in ("..", ".") or "\\" in part or "\x00" in part for part in parts):
        return None
    candidate = root.joinpath(*parts).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


class FrontendApp:
    """API under /api, the UI's files elsewhere, index.html for unknown UI paths."""

    def __init__(self, api: ASGIApp, dist: Path) -> None:
        self.api = api
        self.root = dist.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_api_path(scope.get("path", "")):
            await self.api(scope, receive, send)
            return
        response = self.respond(scope.get("method", "GET"), scope.get("path", "/"))
        await response(scope, receive, send)

    def respond(self, method: str, path: str) -> Response:
        if method not in ("GET", "HEAD"):
            return PlainTextResponse(
                "method not allowed", status_code=405, headers={"allow": "GET, HEAD", **UI_HEADERS}
            )
        index = self.root / "index.html"
        if not index.is_file():
            return PlainTextResponse(NOT_BUILT, status_code=503, headers=UI_HEADERS)
        found = resolve_file(self.root, path)
        if found is not None:
            immutable = found.parent == self.root / "assets"
            cache = IMMUTABLE if immutable else "no-cache"
            return FileResponse(found, headers={"cache-control": cache, **UI_HEADERS})
        if PurePosixPath(path).parts[1:2] == ("assets",):
            # A missing hashed asset is a real 404 (an old tab after a rebuild), not the SPA.
            return PlainTextResponse("not found", status_code=404, headers=UI_HEADERS)
        return FileResponse(index, headers={"cache-control": "no-cache", **UI_HEADERS})


def with_frontend(api: ASGIApp, dist: Path) -> ASGIApp:
    return FrontendApp(api, dist)
