"""The Lambda handler (Mangum) with API Gateway HTTP API v2 events, as `sam local invoke` sends."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest
from api.api_support import TOKEN, Seed, requests_for, seed
from fakes.aws_lambda import FakeLambdaContext, load_function
from mhc.config import get_settings
from mhc.db.connection import Database

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("lookup_*.json"))
LOOKUP_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:mhc-lookup"


@pytest.fixture
def function(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    monkeypatch.setenv("MHC_OWNER_USERNAME", "the_owner")
    get_settings.cache_clear()
    module = load_function("lookup")
    yield module
    if module._database is not None:
        module._database.close()


@pytest.fixture
def world(function: ModuleType) -> Seed:
    return seed(function.database())


def _invoke(function: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = function.handler(
        event, FakeLambdaContext(lambda: datetime.now(UTC), 30, arn=LOOKUP_ARN)
    )
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {k.lower(): v for k, v in response["headers"].items()}
    parsed = (
        json.loads(body) if headers.get("content-type", "").startswith("application/json") else body
    )
    return response["statusCode"], headers, parsed


def _with_token(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    if "authorization" in event["headers"]:
        event["headers"]["authorization"] = f"Bearer {TOKEN}"
    return event


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_every_sample_event_is_answered(function: ModuleType, world: Seed, path: Path) -> None:
    event = json.loads(path.read_text())
    assert event["version"] == "2.0"
    assert event["requestContext"]["stage"] == "$default"
    status, headers, body = _invoke(function, _with_token(event))
    expected = 401 if path.stem == "lookup_unauthorized" else 200
    assert status == expected, body
    assert headers["x-request-id"] == event["requestContext"]["requestId"]
    assert headers["x-content-type-options"] == "nosniff"


def test_sample_events_cover_the_main_routes() -> None:
    names = {p.stem for p in EVENTS}
    assert {"lookup_health", "lookup_lookup", "lookup_person_detail", "lookup_owner"} <= names


def _event(method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
    base = json.loads((ROOT / "events" / "lookup_person_detail.json").read_text())
    event = _with_token(base)
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = urlencode(query)
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    return event


def test_every_route_through_the_handler(function: ModuleType, world: Seed) -> None:
    for method, path, query, body, expected in requests_for(world):
        status, _, answer = _invoke(function, _event(method, path, query, body))
        assert status == expected, (method, path, answer)


def test_handler_refuses_without_token_and_maps_errors(function: ModuleType, world: Seed) -> None:
    event = _event("GET", "/api/watchlists", {}, None)
    del event["headers"]["authorization"]
    status, _, body = _invoke(function, event)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, _, body = _invoke(function, _event("GET", "/api/persons/999", {}, None))
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, _, body = _invoke(function, _event("GET", "/api/persons/x", {}, None))
    assert status == 422
    assert body["error"]["details"][0]["field"] == "person_id"


def test_the_database_is_opened_once_per_environment(function: ModuleType, world: Seed) -> None:
    first = function.database()
    _invoke(function, _event("GET", "/api/watchlists", {}, None))
    assert function.database() is first
    assert isinstance(first, Database)
