"""The analysis routes over HTTP: shapes, the owner's timezone, evidence links that open, the
one-click acceptance of a proposed attribute, and errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analysis_world import NOW, OWNER, World, build
from api.api_support import TOKEN
from fakes.clock import FakeClock
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Database


@pytest.fixture
def world(db: Database) -> World:
    return build(db)


def _client(db: Database, monkeypatch: pytest.MonkeyPatch, timezone: str) -> Iterator[TestClient]:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    monkeypatch.setenv("MHC_OWNER_TIMEZONE", timezone)
    get_settings.cache_clear()
    app = create_app(lambda: db, statbate=lambda: None, clock=FakeClock(NOW))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


@pytest.fixture
def client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    yield from _client(db, monkeypatch, "Europe/Berlin")


def test_person_insights_have_the_documented_shape(client: TestClient, world: World) -> None:
    response = client.get(f"/api/persons/{world.rita}/insights")
    assert response.status_code == 200
    body = response.json()
    assert body["person_id"] == world.rita
    assert body["as_of"] == "2026-02-24T12:00:00Z"
    assert body["timezone"] == "Europe/Berlin"
    assert [i["kind"] for i in body["insights"]] == [
        "spending",
        "timing",
        "tags",
        "loyalty",
        "engagement",
    ]
    for insight in body["insights"]:
        assert set(insight) == {"kind", "title", "summary", "value", "evidence", "uncertainty"}
        assert {"n", "confidence", "not_enough_data"} <= set(insight["uncertainty"])
        assert {"counts", "window", "sources"} <= set(insight["evidence"])
    spending = body["insights"][0]["value"]
    for key in (
        "tokens_to_owner",
        "tips_to_owner",
        "median_tip",
        "largest_tip",
        "first_tip_at",
        "last_tip_at",
        "tokens_last_30d",
        "tokens_prior_30d",
        "share_of_owner_income",
        "statbate_all_time_tokens",
        "statbate_tokens_to_owner",
        "share_of_wallet",
    ):
        assert key in spending
    assert body["headline"]["tokens_to_owner"] == 300


def test_hours_are_in_the_owners_timezone(
    db: Database, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    for zone, text in (("Europe/Berlin", "Mon; 21:00-00:00"), ("UTC", "Mon; 20:00-23:00")):
        client = next(_client(db, monkeypatch, zone))
        timing = client.get(f"/api/persons/{world.rita}/insights").json()["insights"][1]
        assert timing["value"]["usual_hours"] == text


def test_an_evidence_query_opens_the_rows_behind_the_figure(
    client: TestClient, world: World
) -> None:
    spending = client.get(f"/api/persons/{world.rita}/insights").json()["insights"][0]
    query = spending["evidence"]["query"]
    params: dict[str, str | list[str]] = {
        "type": query["types"],
        "broadcaster": query["broadcaster"],
        "until": query["until"],
        "limit": "200",
    }
    rows = client.get(f"/api/persons/{query['person_id']}/interactions", params=params).json()
    # 7 tips and 1 media purchase; the owner's private message is not among them.
    assert len(rows["items"]) == spending["evidence"]["counts"]["tips"] + 1
    assert {r["type"] for r in rows["items"]} == {"TIP_EVENT", "MEDIA_PURCHASE"}
    elsewhere = client.get(
        f"/api/persons/{world.rita}/interactions", params={**params, "broadcaster": "someone_else"}
    ).json()
    assert elsewhere["items"] == []
    assert (
        client.get(
            f"/api/persons/{world.rita}/interactions", params={"broadcaster": "Not A Name!"}
        ).status_code
        == 422
    )


def test_accepting_a_proposal_makes_an_inferred_attribute_and_ends_the_proposal(
    client: TestClient, world: World
) -> None:
    url = f"/api/persons/{world.rita}"
    proposals = {p["key"]: p for p in client.get(f"{url}/insights").json()["proposed_attributes"]}
    proposal = proposals["usual_hours"]
    # When the owner accepts it with one click (the attribute API, evidence kind `inferred`)
    response = client.put(
        f"{url}/attributes/usual_hours",
        json={
            "value": proposal["value"],
            "confidence": proposal["confidence"],
            "evidence_kind": "inferred",
            "evidence_note": proposal["evidence"],
        },
    )
    assert response.status_code == 200
    attribute = response.json()
    assert (attribute["evidence_kind"], attribute["confidence"]) == ("inferred", "medium")
    assert attribute["evidence_note"].startswith("Peaks in 26 active hours")
    # Then it is no longer proposed, the tags still are
    keys = {p["key"] for p in client.get(f"{url}/insights").json()["proposed_attributes"]}
    assert keys == {"favourite_tags"}


def test_a_value_set_by_hand_is_never_proposed_over(client: TestClient, world: World) -> None:
    url = f"/api/persons/{world.rita}"
    client.put(f"{url}/attributes/favourite_tags", json={"value": "music", "confidence": "high"})
    keys = {p["key"] for p in client.get(f"{url}/insights").json()["proposed_attributes"]}
    assert keys == {"usual_hours"}


def test_an_inferred_value_that_changed_is_proposed_again(client: TestClient, world: World) -> None:
    url = f"/api/persons/{world.rita}"
    client.put(
        f"{url}/attributes/favourite_tags",
        json={"value": "feet", "confidence": "low", "evidence_kind": "inferred"},
    )
    proposals = {
        p["key"]: p["value"] for p in client.get(f"{url}/insights").json()["proposed_attributes"]
    }
    assert proposals["favourite_tags"] == "feet, lovense, asian"


def test_inferred_evidence_carries_no_ids(client: TestClient, world: World) -> None:
    response = client.put(
        f"/api/persons/{world.rita}/attributes/usual_hours",
        json={"value": "x", "confidence": "low", "evidence_kind": "inferred", "snapshot_id": 1},
    )
    assert response.status_code == 422


def test_a_merged_rows_insights_are_its_survivors(client: TestClient, world: World) -> None:
    body = client.get(f"/api/persons/{world.mo_old}/insights").json()
    assert body["person_id"] == world.mo
    assert body["headline"]["tokens_to_owner"] == 70


def test_the_audience_over_http(client: TestClient, world: World) -> None:
    body = client.get("/api/owner/audience").json()
    assert body["audience"]["window"] == {
        "since": "2025-11-26T12:00:00Z",
        "until": "2026-02-24T12:00:00Z",
    }
    assert [e["person_id"] for e in body["audience"]["top_spenders"]] == [
        world.rita,
        world.mo,
        world.dan,
        world.andy,
        world.nia,
    ]
    assert str(world.smk) not in body["names"]
    entry = body["audience"]["top_spenders"][0]
    assert {"person_id", "rank", "value", "evidence", "uncertainty"} <= set(entry)
    narrow = client.get(
        "/api/owner/audience",
        params={"since": "2026-02-16T00:00:00Z", "until": "2026-02-24T00:00:00Z"},
    ).json()
    assert [e["person_id"] for e in narrow["audience"]["top_spenders"]] == [world.rita, world.nia]


def test_bad_audience_windows_are_refused(client: TestClient, world: World) -> None:
    backwards = client.get(
        "/api/owner/audience",
        params={"since": "2026-02-24T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/owner/audience", params={"since": "yesterday"}).status_code == 422
    naive = client.get("/api/owner/audience", params={"since": "2026-02-01T00:00:00"})
    assert naive.status_code == 422


def test_the_recap_over_http(client: TestClient, world: World) -> None:
    body = client.get(f"/api/sessions/{world.sessions[7]}/recap").json()
    assert body["session_id"] == world.sessions[7]
    assert body["compared_with"] == 7
    assert body["recap"]["figures"]["tokens"]["value"] == 55
    assert body["names"] == {str(world.rita): "rita", str(world.nia): "nia"}


def test_unknown_ids_are_404(client: TestClient, world: World) -> None:
    assert client.get("/api/persons/999999/insights").status_code == 404
    assert client.get("/api/sessions/999999/recap").status_code == 404


def test_without_an_owner_the_analysis_routes_say_so(
    db: Database, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    client = next(_client(db, monkeypatch, "UTC"))
    monkeypatch.delenv("MHC_OWNER_USERNAME")
    get_settings.cache_clear()
    for path in (f"/api/persons/{world.rita}/insights", "/api/owner/audience"):
        response = client.get(path)
        assert response.status_code == 503
        assert "MHC_OWNER_USERNAME" in response.json()["error"]["message"]
