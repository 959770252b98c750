"""The middleware's outer checks: the CloudFront origin secret, websockets, other scopes, and
no slash redirects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

import pytest
from api.api_support import TOKEN
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.api.middleware import ORIGIN_VERIFY_HEADER, RequestContextMiddleware
from mhc.config import get_settings
from mhc.db.connection import Conn, Database
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

ORIGIN_SECRET = "origin-secret-3b9e1f0c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
THROUGH_SITE = {ORIGIN_VERIFY_HEADER: ORIGIN_SECRET}


class _Untouchable:
    """A database that fails the test if a request ever reaches it."""

    opened = 0

    def transaction(self) -> AbstractContextManager[Conn]:
        _Untouchable.opened += 1
        raise AssertionError("a refused request reached the database")


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def origin_env(api_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MHC_ORIGIN_SECRET", ORIGIN_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def behind_cloudfront(db: Database, origin_env: None) -> Iterator[TestClient]:
    """The API as deployed: an origin secret configured, no default headers."""
    with TestClient(create_app(lambda: db)) as client:
        yield client


# ------------------------------------------------------------------ origin secret


def test_a_direct_call_is_refused_before_the_token_and_the_database(origin_env: None) -> None:
    # Given the API configured with an origin secret, on a database nothing may reach
    client = TestClient(create_app(lambda: _Untouchable()))
    _Untouchable.opened = 0

    # When requests come without the header: with the right token, a wrong one, to health, to
    # an unknown path, and with a wrong or empty header value
    attempts = [
        client.get("/api/watchlists", headers=AUTH),
        client.get("/api/watchlists", headers={"Authorization": "Bearer nope"}),
        client.get("/api/health"),
        client.get("/api/nope", headers=AUTH),
        client.get("/api/health", headers={ORIGIN_VERIFY_HEADER: ORIGIN_SECRET + "x"}),
        client.get("/api/health", headers={ORIGIN_VERIFY_HEADER: ORIGIN_SECRET[:-1]}),
        client.get("/api/health", headers={ORIGIN_VERIFY_HEADER: ""}),
        client.post("/api/lookup", headers=AUTH, json={"username": "alice_01"}),
    ]

    # Then each is a 403 in the error shape, with the security headers, and nothing ran
    for response in attempts:
        assert response.status_code == 403
        assert _error(response)["code"] == "forbidden"
        assert ORIGIN_SECRET not in response.text
        assert "www-authenticate" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-request-id"]
    assert _Untouchable.opened == 0


def test_through_the_site_the_token_is_still_required(behind_cloudfront: TestClient) -> None:
    # Given requests that carry the origin secret (as CloudFront adds it)
    # Then health answers, a protected route needs the token, and with it the route answers
    health = behind_cloudfront.get("/api/health", headers=THROUGH_SITE)
    assert health.status_code == 200
    assert health.json()["database"] == "up"
    anonymous = behind_cloudfront.get("/api/watchlists", headers=THROUGH_SITE)
    assert anonymous.status_code == 401
    assert _error(anonymous)["code"] == "unauthorized"
    allowed = behind_cloudfront.get("/api/watchlists", headers={**THROUGH_SITE, **AUTH})
    assert allowed.status_code == 200


def test_during_a_rotation_both_secrets_are_accepted(
    db: Database, api_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a rotation in progress: the new secret first (CloudFront's), then the old one
    monkeypatch.setenv("MHC_ORIGIN_SECRET", " new-secret-1 , old-secret-0 ")
    get_settings.cache_clear()
    client = TestClient(create_app(lambda: db))

    # Then either is accepted and anything else is refused
    for value, status in (
        ("new-secret-1", 200),
        ("old-secret-0", 200),
        ("new-secret-1,old-secret-0", 403),
        ("other", 403),
    ):
        response = client.get("/api/health", headers={ORIGIN_VERIFY_HEADER: value})
        assert response.status_code == status, value


def test_a_secret_of_only_separators_refuses_everything(
    db: Database, api_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mangled parameter must close the API, never open it
    monkeypatch.setenv("MHC_ORIGIN_SECRET", " , ")
    get_settings.cache_clear()
    client = TestClient(create_app(lambda: db))
    for value in ("", ",", " , "):
        response = client.get("/api/health", headers={ORIGIN_VERIFY_HEADER: value})
        assert response.status_code == 403, repr(value)


def test_without_an_origin_secret_the_check_is_off(anonymous: TestClient) -> None:
    # `mhc run`: no MHC_ORIGIN_SECRET, so no header is needed (the token still is)
    assert anonymous.get("/api/health").status_code == 200
    assert anonymous.get("/api/watchlists").status_code == 401
    assert anonymous.get("/api/watchlists", headers=AUTH).status_code == 200


# ------------------------------------------------------------------ websockets and other scopes


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello " + await websocket.receive_text())
    await websocket.close()


def _guarded(origin_secret: str | None = None, **starlette: Any) -> Starlette:
    """A small app with a websocket route, wrapped in the API's middleware."""
    app = Starlette(routes=[WebSocketRoute("/api/ws", _echo)], **starlette)
    app.add_middleware(
        RequestContextMiddleware,
        token=lambda: TOKEN,
        origin_secret=lambda: origin_secret,
        docs_path="/api/docs",
    )
    return app


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["no-token", "wrong-token", "no-scheme"],
)
def test_an_unauthenticated_websocket_is_closed_with_1008(headers: dict[str, str]) -> None:
    client = TestClient(_guarded())
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/api/ws", headers=headers),
    ):
        pass
    assert closed.value.code == 1008


def test_an_authenticated_websocket_reaches_its_route() -> None:
    client = TestClient(_guarded())
    with client.websocket_connect("/api/ws", headers=AUTH) as websocket:
        websocket.send_text("owner")
        assert websocket.receive_text() == "hello owner"


def test_a_websocket_around_the_distribution_is_closed_with_1008() -> None:
    client = TestClient(_guarded(origin_secret=ORIGIN_SECRET))
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/api/ws", headers=AUTH),
    ):
        pass
    assert closed.value.code == 1008
    with client.websocket_connect("/api/ws", headers={**AUTH, **THROUGH_SITE}) as websocket:
        websocket.send_text("site")
        assert websocket.receive_text() == "hello site"


def test_a_websocket_whose_secrets_cannot_be_read_is_closed_not_opened() -> None:
    def unreadable() -> str | None:
        raise RuntimeError("SSM unreachable")

    app = Starlette(routes=[WebSocketRoute("/api/ws", _echo)])
    app.add_middleware(
        RequestContextMiddleware, token=unreadable, origin_secret=lambda: None, docs_path="/d"
    )
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        TestClient(app).websocket_connect("/api/ws", headers=AUTH),
    ):
        pass
    assert closed.value.code == 1011


def test_lifespan_passes_through_unchecked() -> None:
    # Given an app whose lifespan records that it ran (no token can accompany a lifespan)
    ran: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ran.append("startup")
        yield
        ran.append("shutdown")

    # When a server starts and stops it
    with TestClient(_guarded(lifespan=lifespan)):
        pass

    # Then both phases reached the app
    assert ran == ["startup", "shutdown"]


def test_an_unknown_scope_type_reaches_nothing() -> None:
    called: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope["type"])

    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "whatever"}

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = RequestContextMiddleware(app, token=lambda: TOKEN, docs_path="/api/docs")
    asyncio.run(middleware({"type": "webtransport", "path": "/api/ws"}, receive, send))
    assert called == []
    assert sent == []


# ------------------------------------------------------------------ slash redirects


def test_a_trailing_slash_is_a_404_not_a_redirect(client: TestClient) -> None:
    # Given the routes exist without the slash
    assert client.get("/api/persons", params={"q": "alice"}).status_code == 200
    assert client.get("/api/watchlists").status_code == 200

    # When they are asked for with one, with a Host an attacker chose
    for path in ("/api/persons/", "/api/watchlists/", "/api/health/"):
        response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)

        # Then the answer is a 404 in the error shape, pointing nowhere
        assert response.status_code == 404, path
        assert "location" not in response.headers, path
        assert _error(response)["code"] == "not_found"
        assert "evil.example" not in response.text
