"""A member lookup also asks Statbate's member analysis (spending in the owner's room, tags)
within the lookup's deadline; what it refuses is a visible outcome, never a failed lookup."""

from __future__ import annotations

from datetime import UTC, datetime

from api.api_support import OWNER, FakeStatbate
from fastapi.testclient import TestClient
from mhc.clients.errors import ValidationFailed
from mhc.db.connection import Database

MEMBER = {
    "did": 288077,
    "name": "dave_05",
    "all_time_tokens": 4000,
    "first_tip_date": "2024-02-03T04:05:06+00:00",
}
ON_MODEL = {
    "data": {"total": {"tokens": 1000, "tips": 12, "usd": 50.0}},
    "meta": {"range": ["2024-02-03 04:05:06", "2026-06-01 22:00:00"]},
}
TAGS = {"data": [{"tag": "feet", "total_tokens": 900, "models_count": 12}], "meta": {}}


def test_a_member_lookup_stores_the_analysis_and_the_insights_use_it(
    client: TestClient, statbate: FakeStatbate, db: Database
) -> None:
    statbate.members["dave_05"] = MEMBER
    statbate.analysis[("model", "dave_05")] = ON_MODEL
    statbate.analysis[("tag-spending", "dave_05")] = TAGS
    body = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True}).json()
    outcomes = {o["source"]: o["status"] for o in body["statbate_analysis"]}
    assert outcomes == {"statbate_member_on_model": "ok", "statbate_tag_spending": "ok"}
    [(_, name, on_model), (_, _, tags)] = statbate.analysis_calls
    assert (name, on_model["model"]) == ("dave_05", OWNER)
    assert on_model["range"].start == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert on_model["deadline"] is not None
    assert tags["per_page"] == 50
    stored = body["latest_snapshots"]
    assert stored["statbate_member_on_model"]["snapshot"]["normalized_metrics"]["tokens"] == 1000
    assert stored["statbate_tag_spending"]["snapshot"]["normalized_metrics"]["tags"] == {
        "feet": 900
    }
    # The person page's spending: share of wallet from Statbate's own two figures
    spending = client.get(f"/api/persons/{body['person']['id']}/insights").json()["insights"][0]
    wallet = spending["value"]["share_of_wallet"]
    assert (wallet["share"], wallet["numerator_source"], wallet["uncertain"]) == (
        0.25,
        "statbate",
        False,
    )


def test_an_analysis_failure_is_an_outcome_not_a_failed_lookup(
    client: TestClient, statbate: FakeStatbate, db: Database
) -> None:
    statbate.members["dave_05"] = MEMBER
    statbate.analysis[("model", "dave_05")] = ValidationFailed("statbate", "range rejected")
    response = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True})
    assert response.status_code == 200
    outcomes = {o["source"]: o for o in response.json()["statbate_analysis"]}
    assert outcomes["statbate_member_on_model"]["status"] == "failed"
    assert "range rejected" in outcomes["statbate_member_on_model"]["error"]
    assert outcomes["statbate_tag_spending"]["status"] == "not_found"
    assert response.json()["statbate"][0]["status"] == "ok"  # the member info itself


def test_models_and_unknown_members_get_no_analysis(
    client: TestClient, statbate: FakeStatbate
) -> None:
    client.post("/api/lookup", json={"username": "nobody_1", "include_statbate": True})
    client.post(
        "/api/lookup", json={"username": "bob_02", "role": "MODEL", "include_statbate": True}
    )
    assert statbate.analysis_calls == []
