"""Route tables: each API area declares its path operations here and `create_app` registers
them directly on the app, so FastAPI builds each route once.

FastAPI (0.138 and later) builds a route's dependencies and response fields when it is
declared on an `APIRouter`, then builds them all again for the including router's prefix, tags
and responses, and resolves the nested router on every request. With the error responses by
reference (`mhc.api.errors`) this cut the Lookup Lambda's cold import by 9% (decision 33). A
`RouteTable` records the decorator's arguments and builds nothing until `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Declared:
    method: str
    path: str
    endpoint: Callable[..., Any]
    options: dict[str, Any]


class RouteTable:
    """`@table.get(path, **options)` etc. take what `APIRouter.get` takes."""

    def __init__(self, prefix: str = "", *, tags: list[str]) -> None:
        self.prefix = prefix
        self.tags = tags
        self._declared: list[_Declared] = []

    def _route(
        self, method: str, path: str, options: dict[str, Any]
    ) -> Callable[[Endpoint], Endpoint]:
        def declare(endpoint: Endpoint) -> Endpoint:
            self._declared.append(_Declared(method, path, endpoint, options))
            return endpoint

        return declare

    def get(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._route("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._route("POST", path, options)

    def put(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._route("PUT", path, options)

    def patch(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._route("PATCH", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._route("DELETE", path, options)

    def register(
        self, app: FastAPI, *, prefix: str, responses: dict[int | str, dict[str, Any]]
    ) -> None:
        """Add every declared route to `app` under `prefix`, in declaration order; each
        route's own `responses` extend the shared ones, as an including router's would."""
        for route in self._declared:
            options = dict(route.options)
            app.add_api_route(
                prefix + self.prefix + route.path,
                route.endpoint,
                methods=[route.method],
                tags=list(self.tags),
                responses={**responses, **options.pop("responses", {})},
                **options,
            )
