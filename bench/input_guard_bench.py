"""Input guard benchmark: what `mhc.api.input_guard` adds to a request, in-process.

    python bench/input_guard_bench.py [--samples 3000]

Calls MHC's real route table (no database: the routes answer before reaching it) straight
through ASGI, with and without the guard, and prints the median per-request time of: a GET with
query parameters (search), a POST with a 50,000-character paste (the largest legitimate body),
and a POST whose body holds a NUL (refused by the guard). The guard's cost is the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))

from fastapi import FastAPI  # noqa: E402
from mhc.api.errors import ERROR_RESPONSES, install_error_handlers  # noqa: E402
from mhc.api.input_guard import InputGuard  # noqa: E402
from mhc.api.routers import lookup, persons, search, sessions  # noqa: E402


class _NoDatabase:
    def transaction(self) -> Any:
        raise RuntimeError("the bench never reaches the database")


def _app(guarded: bool) -> Any:
    """MHC's routes on a bare app; the handlers fail fast (validation first, then no DB)."""
    app = FastAPI()
    for module in (persons, sessions, search, lookup):
        module.routes.register(app, prefix="/api", responses=ERROR_RESPONSES)
    install_error_handlers(app)
    if guarded:
        app.add_middleware(InputGuard, routes=lambda: app.routes)
    return app


def _call(app: Any, method: str, path: str, query: bytes, body: bytes) -> int:
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
        "app": app,
    }
    try:
        asyncio.run(app(scope, receive, send))
    except Exception:
        status = 500  # without the guard, the NUL reaches the handler (in production: the DB)
    return status


def _median_ms(app: Any, request: tuple[str, str, bytes, bytes], samples: int) -> float:
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        _call(app, *request)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    paste = json.dumps({"pasted_text": "word " * 10_000, "include_statbate": "no"}).encode()
    requests = {
        # Each is refused by validation before any handler runs: the figure is the request path.
        "GET search with query": ("GET", "/api/search", b"q=hello&limit=500", b""),
        "POST 50,000-char paste": ("POST", "/api/lookup", b"", paste),
        "POST body with a NUL": ("POST", "/api/lookup", b"", b'{"username": "a\\u0000"}'),
    }
    plain, guarded = _app(False), _app(True)
    # Dependencies resolve before validation refuses the request: hand them a database that
    # would fail if ever used.
    context = SimpleNamespace(db=_NoDatabase, settings=None, statbate=None, clock=None)
    plain.state.mhc = guarded.state.mhc = context
    for name, request in requests.items():
        without = _median_ms(plain, request, args.samples)
        with_guard = _median_ms(guarded, request, args.samples)
        print(
            f"{name:<24} without guard {without:6.3f} ms (status {_call(plain, *request)}), "
            f"with guard {with_guard:6.3f} ms (status {_call(guarded, *request)}): "
            f"{with_guard - without:+.3f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
