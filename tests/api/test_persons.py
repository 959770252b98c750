"""Persons routes: search, detail, timeline, interactions, notes, attributes, role, aliases."""

from __future__ import annotations

from api.api_support import Seed
from fastapi.testclient import TestClient


def test_search_autocompletes_current_and_past_names(client: TestClient, seeded: Seed) -> None:
    # Given alice_01 also used the name "old_alice"
    assert (
        client.post(f"/api/persons/{seeded.alice}/aliases", json={"old_username": "old_alice"})
    ).status_code == 201
    # When searching a prefix / Then current and past names match, excluded persons do not
    names = [p["username"] for p in client.get("/api/persons", params={"q": "ALI"}).json()]
    assert names == ["alice_01"]
    assert [p["id"] for p in client.get("/api/persons", params={"q": "old_"}).json()] == [
        seeded.alice
    ]
    assert client.get("/api/persons", params={"q": "smk"}).json() == []
    hidden = client.get("/api/persons", params={"q": "smk", "include_excluded": True}).json()
    assert [p["username"] for p in hidden] == ["smk_lover"]


def test_detail_has_identity_snapshots_with_delta_watchlists_attributes_counts(
    client: TestClient, seeded: Seed
) -> None:
    body = client.get(f"/api/persons/{seeded.alice}").json()
    assert body["person"]["username"] == "alice_01"
    assert body["person"]["role"] == "VIEWER"
    assert body["person"]["is_excluded"] is False
    member = body["latest_snapshots"]["statbate_member"]
    assert member["snapshot"]["normalized_metrics"] == {"all_time_tokens": 580}
    assert member["delta"] == {"all_time_tokens": 80}
    assert [w["name"] for w in body["watchlists"]] == ["Friends"]
    assert [(a["key"], a["value"]) for a in body["attributes"]] == [("timezone", "Europe/Berlin")]
    assert body["interaction_counts"] == {
        "CHAT_MESSAGE": 1,
        "TIP_EVENT": 1,
        "PRIVATE_MESSAGE": 1,
        "MANUAL_NOTE": 1,
    }
    assert body["recent_interactions"][0]["type"] == "MANUAL_NOTE"


def test_snapshot_timeline_oldest_first_with_deltas(client: TestClient, seeded: Seed) -> None:
    response = client.get(
        f"/api/persons/{seeded.alice}/snapshots", params={"source": "statbate_member"}
    )
    assert response.status_code == 200
    assert [item["delta"] for item in response.json()] == [None, {"all_time_tokens": 80}]
    missing_source = client.get(f"/api/persons/{seeded.alice}/snapshots")
    assert missing_source.status_code == 422
    assert missing_source.json()["error"]["details"][0]["field"] == "source"


def test_interactions_filter_by_type_source_time_and_page(client: TestClient, seeded: Seed) -> None:
    path = f"/api/persons/{seeded.alice}/interactions"
    tips = client.get(path, params={"type": "TIP_EVENT"}).json()
    assert [i["content"] for i in tips["items"]] == ["for the song"]
    both = client.get(path, params=[("type", "TIP_EVENT"), ("type", "CHAT_MESSAGE")]).json()
    assert len(both["items"]) == 2
    manual = client.get(path, params={"source": "manual"}).json()
    assert [i["type"] for i in manual["items"]] == ["MANUAL_NOTE"]
    window = client.get(
        path, params={"since": "2026-06-01T20:02:00Z", "until": "2026-06-01T20:04:00Z"}
    ).json()
    assert [i["content"] for i in window["items"]] == ["for the song"]
    # Keyset paging: two pages of 2 cover all 4 interactions, newest first, no repeats
    first = client.get(path, params={"limit": 2}).json()
    second = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 4
    assert second["next_cursor"] is None
    bad = client.get(
        path, params={"since": "2026-06-02T00:00:00Z", "until": "2026-06-01T00:00:00Z"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "since"
    naive = client.get(path, params={"since": "2026-06-01T20:00:00"})
    assert naive.status_code == 422


def test_add_note_is_idempotent_with_a_key(client: TestClient, seeded: Seed) -> None:
    path = f"/api/persons/{seeded.bob}/notes"
    first = client.post(path, json={"text": "  great dancer ", "idempotency_key": "k-1"})
    assert first.status_code == 201
    assert first.json()["interaction"]["content"] == "great dancer"
    again = client.post(path, json={"text": "great dancer", "idempotency_key": "k-1"})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["interaction"]["id"] == first.json()["interaction"]["id"]
    empty = client.post(path, json={"text": "   "})
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "text"
    assert client.post("/api/persons/999/notes", json={"text": "x"}).status_code == 404


def test_set_attribute_with_evidence(client: TestClient, seeded: Seed) -> None:
    path = f"/api/persons/{seeded.alice}/attributes/favourite_colour"
    response = client.put(path, json={"value": "purple", "confidence": "high"})
    assert response.status_code == 200
    assert response.json()["evidence_kind"] == "manual"
    evidence = client.put(
        path,
        json={
            "value": "purple",
            "confidence": "high",
            "evidence_kind": "interaction",
            "interaction_id": seeded.note,
        },
    )
    assert evidence.status_code == 200
    assert evidence.json()["interaction_id"] == seeded.note
    wrong = client.put(
        f"/api/persons/{seeded.bob}/attributes/x",
        json={
            "value": "v",
            "confidence": "low",
            "evidence_kind": "interaction",
            "interaction_id": seeded.note,
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "interaction_id"
    bad_key = client.put(
        f"/api/persons/{seeded.alice}/attributes/Bad%20Key",
        json={"value": "v", "confidence": "low"},
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["error"]["details"][0]["field"] == "key"


def test_change_role_and_exclusion(client: TestClient, seeded: Seed) -> None:
    path = f"/api/persons/{seeded.alice}"
    manual = client.patch(path, json={"role": "MODEL"}).json()
    assert (manual["role"], manual["role_is_manual"]) == ("MODEL", True)
    automatic = client.patch(path, json={"role": None}).json()
    assert automatic["role_is_manual"] is False
    excluded = client.patch(path, json={"is_excluded": True}).json()
    assert excluded["is_excluded"] is True
    assert excluded["role_is_manual"] is False  # an absent role is left alone
    assert client.patch(path, json={"role": "KING"}).status_code == 422
    assert client.patch("/api/persons/999", json={"is_excluded": True}).status_code == 404


def test_link_alias_rules(client: TestClient, seeded: Seed) -> None:
    path = f"/api/persons/{seeded.alice}/aliases"
    current = client.post(path, json={"old_username": "alice_01"})
    assert current.status_code == 422
    taken = client.post(path, json={"old_username": "bob_02"})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"
    bad = client.post(path, json={"old_username": "not valid!"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "old_username"
