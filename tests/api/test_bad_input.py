"""Bad input gets a clear 4xx naming the field and its limit, and nothing half-written: NUL
bytes, forged cursors, dates out of range, oversized bodies, huge validation errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from api.api_support import Seed
from fastapi.testclient import TestClient


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def _forge(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    _forge("2030-01-01T00:00:00+00:00", True),
    _forge("2030-01-01T00:00:00+00:00", 2**63),
    _forge("9999-12-31T23:59:59-14:00", 3),
    _forge("0001-01-01T00:00:00+14:00", 3),
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_forged_cursors_are_422_on_every_paged_route(
    client: TestClient, seeded: Seed, cursor: str
) -> None:
    # Given a cursor the API never issued, on each of the three paged routes
    for path, query in (
        ("/api/search", {"q": "hello"}),
        (f"/api/persons/{seeded.alice}/interactions", {}),
        (f"/api/sessions/{seeded.session}", {}),
    ):
        response = client.get(path, params={**query, "cursor": cursor})
        # Then it is refused naming the cursor, never a 500
        assert response.status_code == 422, (path, response.text)
        assert _error(response)["details"] == [
            {"field": "cursor", "message": "not a cursor returned by this API"}
        ]
