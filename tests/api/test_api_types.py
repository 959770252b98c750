"""The UI's API types are generated from the API: the committed OpenAPI document must be what
the current API produces (`make api-types` regenerates it and frontend/src/api/schema.d.ts;
`make api-types-check` also checks schema.d.ts against it)."""

from __future__ import annotations

import json
from pathlib import Path

from mhc.api.openapi_document import main, render

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "src" / "api" / "openapi.json"


def test_the_committed_openapi_document_is_what_the_api_produces() -> None:
    committed = COMMITTED.read_text("utf-8")
    produced = render()
    # Compared as data first (a readable diff of what changed), then byte for byte
    assert json.loads(committed) == json.loads(produced), "run `make api-types`"
    assert committed == produced, "run `make api-types` (formatting differs)"


def test_the_document_needs_no_server_no_database_and_no_settings() -> None:
    document = json.loads(render())
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "/api/persons/{person_id}" in document["paths"]
    assert "Person" in document["components"]["schemas"]


def test_check_mode_fails_on_a_stale_copy_and_passes_on_a_fresh_one(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    target.write_text('{"openapi": "3.1.0"}\n')
    assert main([str(target), "--check"]) == 1
    assert main([str(target)]) == 0
    assert main([str(target), "--check"]) == 0
    assert target.read_text("utf-8") == COMMITTED.read_text("utf-8")
