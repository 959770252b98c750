"""The local server's UI mount: files, SPA fallback, the API untouched, no path escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.api.static import default_frontend_dir, resolve_file, with_frontend
from mhc.config import get_settings

TOKEN = "static-test-token-0123456789abcdef"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>MHC</title><div id=root></div>")
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside dist")
    return root


@pytest.fixture
def client(dist: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    return TestClient(with_frontend(create_app(lambda: None), dist))


def test_root_and_unknown_ui_paths_serve_index_html(client: TestClient) -> None:
    # Given a built UI, When the root or a deep SPA route is requested without a token
    for path in ("/", "/persons/12", "/health", "/search?q=hi"):
        response = client.get(path)
        # Then index.html comes back, never cached, with a CSP that allows only own scripts
        assert response.status_code == 200, path
        assert "<div id=root>" in response.text
        assert response.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in response.headers["content-security-policy"]


def test_hashed_assets_are_served_immutable_with_their_type(client: TestClient) -> None:
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert response.headers["content-type"].startswith("text/javascript")
    assert "immutable" in response.headers["cache-control"]


def test_a_missing_asset_is_a_404_not_the_spa(client: TestClient) -> None:
    assert client.get("/assets/index-old.js").status_code == 404


def test_api_paths_still_need_the_token(client: TestClient) -> None:
    # When an API route or an unknown /api path is requested without a token
    for path in ("/api/persons?q=a", "/api/nope", "/api"):
        response = client.get(path)
        # Then the API's own auth answers, not the UI
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"


def test_paths_cannot_escape_the_dist_folder(client: TestClient, dist: Path) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        response = client.get(path)
        assert "outside dist" not in response.text, path
    assert resolve_file(dist.resolve(), "/../secret.txt") is None
    assert resolve_file(dist.resolve(), "/favicon.svg") == (dist / "favicon.svg").resolve()


def test_only_get_and_head_reach_the_ui(client: TestClient) -> None:
    assert client.post("/persons/1").status_code == 405
    assert client.head("/").status_code == 200


def test_an_unbuilt_ui_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    client = TestClient(with_frontend(create_app(lambda: None), tmp_path / "missing"))
    response = client.get("/")
    assert response.status_code == 503
    assert "make frontend" in response.text


def test_the_default_folder_is_the_checkouts_frontend_dist() -> None:
    assert default_frontend_dir() == Path(__file__).resolve().parents[2] / "frontend" / "dist"


def test_the_lambda_app_serves_no_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    # The app factory (used by the Lambda) knows nothing of the UI: / is an authenticated 404/401.
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    client = TestClient(create_app(lambda: None))
    assert client.get("/").status_code == 401
    authed = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert authed.status_code == 404
