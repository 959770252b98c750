"""Every route of the app as concrete requests (path parameters filled in)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

PUBLIC = {"/api/health"}


def concrete(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) for every route, HEAD and OPTIONS left out."""
    found = []
    # FastAPI mounts included routers lazily; iter_route_contexts flattens them with prefixes.
    for context in iter_route_contexts(app.routes):
        methods = context.methods or ()
        path = context.path
        if path is None:
            continue
        for method in sorted(methods):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, path))
    return found
