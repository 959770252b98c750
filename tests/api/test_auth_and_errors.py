"""Auth on every route but /api/health, one error shape, request ids and security headers."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

import pytest
from api.api_support import PUBLIC, TOKEN, Seed, all_routes, concrete
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Conn, Database


def _error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]


def test_every_route_but_health_requires_the_token(app: FastAPI, anonymous: TestClient) -> None:
    # Given every route the app has (docs and OpenAPI included)
    routes = all_routes(app)
    assert ("GET", "/api/openapi.json") in routes
    assert ("POST", "/api/lookup") in routes
    protected = [(method, path) for method, path in routes if path not in PUBLIC]
    assert len(protected) >= 20
    # When each is called without a token / Then each answers 401 in the error shape
    for method, path in protected:
        response = anonymous.request(method, concrete(path), json={})
        assert response.status_code == 401, (method, path)
        assert _error(response)["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    # And an unknown path does not reveal whether it exists
    assert anonymous.get("/api/nope").status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}", "Bearer", ""],
)
def test_a_wrong_token_is_refused(anonymous: TestClient, authorization: str) -> None:
    response = anonymous.get("/api/watchlists", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert TOKEN not in response.text


def test_the_right_token_in_any_case_of_scheme_is_accepted(anonymous: TestClient) -> None:
    response = anonymous.get("/api/watchlists", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200


def test_health_needs_no_token(anonymous: TestClient) -> None:
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json()["database"] == "up"


def test_without_a_configured_token_the_api_is_closed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given MHC_API_TOKEN is unset
    monkeypatch.delenv("MHC_API_TOKEN", raising=False)
    get_settings.cache_clear()
    client = TestClient(create_app(lambda: db))
    # Then protected routes answer 503 with a clear message, whatever is presented
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
        response = client.get("/api/persons/1", headers=headers)
        assert response.status_code == 503
        error = _error(response)
        assert error["code"] == "auth_not_configured"
        assert "MHC_API_TOKEN" in str(error["message"])
    assert client.get("/api/health").status_code == 200


def test_request_id_and_security_headers_on_every_response(
    client: TestClient, anonymous: TestClient
) -> None:
    for response in (
        client.get("/api/watchlists"),
        client.get("/api/persons/999"),
        anonymous.get("/api/watchlists"),
        anonymous.get("/api/health"),
    ):
        assert len(response.headers["x-request-id"]) >= 8
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    # A caller's request id is kept; a malformed one is replaced
    assert (
        client.get("/api/watchlists", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert (
        client.get("/api/watchlists", headers={"X-Request-Id": "bad id\n"}).headers["x-request-id"]
        != "bad id\n"
    )
    # Two requests get two ids
    assert (
        client.get("/api/watchlists").headers["x-request-id"]
        != client.get("/api/watchlists").headers["x-request-id"]
    )


def test_every_log_line_of_a_request_carries_its_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two requests, one refused (each logs at least its access line)
    with caplog.at_level(logging.INFO, logger="mhc"):
        client.get("/api/persons/999", headers={"X-Request-Id": "trace-me-1"})
        client.get(
            "/api/persons/1", headers={"X-Request-Id": "trace-me-2", "Authorization": "Bearer no"}
        )
    records = [record for record in caplog.records if record.name == "mhc"]
    # Then every line carries the id of the request that wrote it, and never the token
    assert {getattr(record, "request_id", None) for record in records} == {
        "trace-me-1",
        "trace-me-2",
    }
    assert all(getattr(record, "request_id", None) for record in records)
    assert any(getattr(record, "status", None) == 404 for record in records)
    assert TOKEN not in caplog.text


def test_unknown_ids_are_404_in_the_error_shape(client: TestClient) -> None:
    for path in (
        "/api/persons/999",
        "/api/persons/999/interactions",
        "/api/persons/999/snapshots?source=cb_stats",
        "/api/sessions/999",
        "/api/watchlists/999/members",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert _error(response)["code"] == "not_found"


def test_validation_errors_name_the_field(client: TestClient) -> None:
    response = client.get("/api/persons/abc")
    assert response.status_code == 422
    error = _error(response)
    assert error["details"][0]["field"] == "person_id"  # type: ignore[index]
    assert "person_id" in str(error["message"])
    response = client.get("/api/persons", params={"q": "bad name!"})
    assert response.status_code == 422
    assert _error(response)["details"] == [
        {"field": "q", "message": str(_error(response)["details"][0]["message"])}
    ]  # type: ignore[index]
    response = client.post("/api/lookup", json={"username": "x", "surprise": 1})
    assert response.status_code == 422
    assert _error(response)["details"][0]["field"] == "surprise"  # type: ignore[index]
    response = client.get("/api/persons/1/interactions", params={"cursor": "garbage"})
    assert response.status_code in (404, 422)


def test_a_bad_cursor_is_422_naming_cursor(client: TestClient, seeded: Seed) -> None:
    response = client.get(f"/api/persons/{seeded.alice}/interactions", params={"cursor": "zzz"})
    assert response.status_code == 422
    assert _error(response)["details"] == [
        {"field": "cursor", "message": "not a cursor returned by this API"}
    ]


class _Exploding:
    def transaction(self) -> AbstractContextManager[Conn]:
        raise RuntimeError("SELECT secret FROM persons -- Traceback (most recent call last)")


def test_unexpected_errors_are_a_bare_500(api_env: None) -> None:
    client = TestClient(
        create_app(lambda: _Exploding()), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    response = client.get("/api/watchlists")
    assert response.status_code == 500
    assert _error(response) == {"code": "internal", "message": "internal error", "details": None}
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"]


def test_database_down_is_503(api_env: None) -> None:
    down = Database("postgresql://mhc:pw@127.0.0.1:1/mhc")
    client = TestClient(create_app(lambda: down), headers={"Authorization": f"Bearer {TOKEN}"})
    response = client.get("/api/watchlists")
    assert response.status_code == 503
    assert _error(response)["code"] == "database_unavailable"
    assert "pw" not in response.text


def test_no_cors_by_default_and_an_allow_list_when_set(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = {"Origin": "https://mhc.example.com"}
    assert (
        "access-control-allow-origin" not in client.get("/api/watchlists", headers=origin).headers
    )
    monkeypatch.setenv("MHC_CORS_ORIGINS", "https://mhc.example.com, https://other.example")
    get_settings.cache_clear()
    cors = TestClient(create_app(lambda: db), headers={"Authorization": f"Bearer {TOKEN}"})
    response = cors.get("/api/watchlists", headers=origin)
    assert response.headers["access-control-allow-origin"] == "https://mhc.example.com"
    preflight = cors.options(
        "/api/watchlists",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    evil = cors.get("/api/watchlists", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


def test_openapi_and_docs_are_served_with_the_token(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/api/health"]["get"]["security"] == []
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_every_operation_documents_the_error_shape(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    schemas = schema["components"]["schemas"]
    body = schemas["ErrorBody"]
    assert body["required"] == ["error"]
    detail_ref = body["properties"]["error"]["$ref"]
    assert detail_ref == "#/components/schemas/ErrorDetail"
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    operations = {
        (method, path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert len(operations) >= 26
    for (method, path), operation in operations.items():
        for status in ("400", "401", "404", "409", "422", "503"):
            content = operation["responses"][status]["content"]["application/json"]
            # A route's own response replaces the shared one: /api/health's 503 is a Health.
            own = "Health" if (method, path, status) == ("get", "/api/health", "503") else None
            assert content["schema"]["$ref"] == f"#/components/schemas/{own or 'ErrorBody'}"
    # FastAPI's own validation-error schema is not advertised: 422 is ErrorBody too.
    assert "HTTPValidationError" not in schemas
