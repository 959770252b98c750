"""POST /api/lookup: find or create, keep the paste, Statbate outcomes, the owner's-room view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.api_support import FakeStatbate, Seed
from fakes.clock import FakeClock
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.clients.errors import AuthError, TransientExhausted
from mhc.db.connection import Database

MEMBER = {
    "did": 288077,
    "name": "dave_05",
    "all_time_tokens": 580,
    "last_tip_amount": 1,
    "models_tipped_2weeks": 2,
}
MODEL = {
    "rid": 9001,
    "name": "bob_02",
    "gender": 1,
    "rank": 120,
    "sessions": {"count": 3, "total_duration": 600, "average_duration": 200},
    "income": {"tokens": 1000, "usd": 50.0},
    "tags": [{"name": "dance"}],
}


def _count(db: Database, table: str, where: str = "true") -> int:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {where}").fetchone()
    assert row is not None
    return int(row["n"])


def test_lookup_by_username_creates_the_person(client: TestClient, db: Database) -> None:
    body = client.post("/api/lookup", json={"username": "Dave_05"}).json()
    assert body["person"]["username"] == "dave_05"
    assert body["resolution"] == "new"
    assert body["paste"] is None
    assert body["statbate"] == []
    again = client.post("/api/lookup", json={"username": "dave_05"}).json()
    assert again["resolution"] == "existing"
    assert again["person"]["id"] == body["person"]["id"]
    assert _count(db, "persons") == 1


def test_pasted_text_extracts_names_and_is_kept_once(client: TestClient, db: Database) -> None:
    paste = "Met @Erin_9 tonight, she streams at https://chaturbate.com/frank_7/ too"
    body = client.post("/api/lookup", json={"pasted_text": paste}).json()
    assert body["extracted_usernames"] == ["erin_9", "frank_7"]
    assert body["person"]["username"] == "erin_9"
    assert [p["username"] for p in body["also_found"]] == ["frank_7"]
    assert body["paste"]["type"] == "PROFILE_PASTE"
    assert body["paste"]["content"] == paste
    assert body["paste_created"] is True
    # The same paste again is the same interaction
    again = client.post("/api/lookup", json={"pasted_text": paste}).json()
    assert again["paste_created"] is False
    assert again["paste"]["id"] == body["paste"]["id"]
    assert _count(db, "interactions", "type = 'PROFILE_PASTE'") == 1
    # With a username, the names found are "also found", and the paste is still recorded once,
    # linked to everyone it was looked up for: each finds it on their page
    named = client.post("/api/lookup", json={"username": "gina", "pasted_text": paste}).json()
    assert named["person"]["username"] == "gina"
    assert [p["username"] for p in named["also_found"]] == ["erin_9", "frank_7"]
    assert named["paste"]["id"] == body["paste"]["id"]
    assert _count(db, "interactions", "type = 'PROFILE_PASTE'") == 1
    for person in (named["person"], *named["also_found"]):
        pastes = client.get(f"/api/persons/{person['id']}").json()["pastes"]
        assert [x["id"] for x in pastes] == [body["paste"]["id"]], person["username"]


def test_lookup_input_errors_name_the_field(client: TestClient) -> None:
    nothing = client.post("/api/lookup", json={})
    assert nothing.status_code == 422
    assert nothing.json()["error"]["details"][0]["field"] == "username"
    prose = client.post("/api/lookup", json={"pasted_text": "just some words here!"})
    assert prose.status_code == 422
    assert prose.json()["error"]["details"][0]["field"] == "pasted_text"
    bad = client.post("/api/lookup", json={"username": "no spaces allowed"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "username"
    role = client.post("/api/lookup", json={"username": "ok", "role": "ADMIN"})
    assert role.json()["error"]["details"][0]["field"] == "role"


def test_statbate_member_info_appends_a_snapshot_and_records_the_did(
    client: TestClient, statbate: FakeStatbate, db: Database, clock: FakeClock
) -> None:
    statbate.members["dave_05"] = MEMBER
    body = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True}).json()
    assert statbate.calls == [("member", "dave_05")]
    # Statbate calls are bounded well inside API Gateway's 30 s request limit.
    [deadline] = statbate.deadlines
    assert deadline is not None
    assert deadline == clock() + timedelta(seconds=15)
    [outcome] = body["statbate"]
    assert outcome["status"] == "ok"
    assert outcome["source"] == "statbate_member"
    assert body["person"]["did"] == 288077
    latest = body["latest_snapshots"]["statbate_member"]
    assert latest["snapshot"]["id"] == outcome["snapshot_id"]
    assert latest["snapshot"]["normalized_metrics"]["all_time_tokens"] == 580
    assert "name" not in latest["snapshot"]["normalized_metrics"]
    assert latest["delta"] is None
    # A second lookup later gives a delta
    statbate.members["dave_05"] = {**MEMBER, "all_time_tokens": 600}
    again = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True})
    assert again.json()["latest_snapshots"]["statbate_member"]["delta"]["all_time_tokens"] == 20
    assert _count(db, "job_runs", "job = 'statbate_lookup' AND status = 'succeeded'") == 2


def test_models_get_model_info(client: TestClient, statbate: FakeStatbate, seeded: Seed) -> None:
    statbate.models["bob_02"] = MODEL
    body = client.post("/api/lookup", json={"username": "bob_02", "include_statbate": True}).json()
    assert statbate.calls == [("model", "bob_02")]
    assert body["person"]["rid"] == 9001
    metrics = body["latest_snapshots"]["statbate_model"]["snapshot"]["normalized_metrics"]
    assert metrics["income_tokens"] == 1000
    assert metrics["tags"] == ["dance"]
    statbate.calls.clear()
    client.post(
        "/api/lookup", json={"username": "bob_02", "role": "BOTH", "include_statbate": True}
    )
    assert statbate.calls == [("member", "bob_02"), ("model", "bob_02")]


def test_a_statbate_failure_is_visible_recorded_and_stores_no_snapshot(
    client: TestClient, statbate: FakeStatbate, db: Database
) -> None:
    statbate.members["dave_05"] = TransientExhausted(
        "statbate", "gave up", attempts=3, last_failure="HTTP 503"
    )
    response = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True})
    assert response.status_code == 200
    [outcome] = response.json()["statbate"]
    assert outcome["status"] == "failed"
    assert "gave up" in outcome["error"]
    assert outcome["snapshot_id"] is None
    assert _count(db, "snapshots") == 0
    assert _count(db, "job_runs", "job = 'statbate_lookup' AND status = 'failed'") == 1
    # The person was still found or created
    assert response.json()["person"]["username"] == "dave_05"


def test_statbate_auth_error_never_shows_the_token(
    client: TestClient, statbate: FakeStatbate
) -> None:
    statbate.members["dave_05"] = AuthError("statbate", "401 for Bearer 12|supersecrettoken")
    body = client.post("/api/lookup", json={"username": "dave_05", "include_statbate": True})
    assert "supersecrettoken" not in body.text
    assert body.json()["statbate"][0]["status"] == "failed"


def test_statbate_not_found_and_not_configured(
    client: TestClient, db: Database, api_env: None
) -> None:
    body = client.post("/api/lookup", json={"username": "nobody_1", "include_statbate": True})
    assert body.json()["statbate"][0]["status"] == "not_found"
    # Given the real Statbate factory with no token set (a local run)
    unconfigured: FastAPI = create_app(lambda: db)
    other = TestClient(unconfigured, headers=client.headers)
    outcome = other.post(
        "/api/lookup", json={"username": "nobody_1", "include_statbate": True}
    ).json()["statbate"][0]
    assert outcome["status"] == "not_configured"
    # Then the message names the setting in the words of a local run (no SSM)
    assert "MHC_STATBATE_TOKEN is not set" in outcome["error"]
    assert ".env" in outcome["error"]
    assert "SSM" not in outcome["error"]
    assert _count(db, "snapshots") == 0


def test_lookup_carries_the_owners_memory_of_the_person(client: TestClient, seeded: Seed) -> None:
    # Given alice with a past name, an attribute and two notes (among other interactions)
    client.post(f"/api/persons/{seeded.alice}/aliases", json={"old_username": "alice_old"})
    client.post(f"/api/persons/{seeded.alice}/notes", json={"text": "asks for songs"})
    # When she is looked up
    body: dict[str, Any] = client.post("/api/lookup", json={"username": "alice_01"}).json()
    # Then the answer holds her aliases, attributes and notes (newest first): one request
    assert [alias["username"] for alias in body["aliases"]] == ["alice_old"]
    assert [(a["key"], a["value"]) for a in body["attributes"]] == [("timezone", "Europe/Berlin")]
    assert {note["content"] for note in body["notes"]} == {"asks for songs", "likes purple"}
    assert {note["type"] for note in body["notes"]} == {"MANUAL_NOTE"}
    times = [note["occurred_at"] for note in body["notes"]]
    assert times == sorted(times, reverse=True)
    # And a new person has no memory yet
    fresh = client.post("/api/lookup", json={"username": "nobody_yet"}).json()
    assert (fresh["aliases"], fresh["attributes"], fresh["notes"]) == ([], [], [])


def test_my_room_view(client: TestClient, seeded: Seed) -> None:
    body: dict[str, Any] = client.post(
        "/api/lookup", json={"username": "alice_01", "include_my_room": True}
    ).json()
    room = body["my_room"]
    assert room["owner"] == "the_owner"
    assert (room["tips"], room["tokens"], room["chat_messages"], room["private_messages"]) == (
        1,
        25,
        1,
        1,
    )
    assert len(room["recent"]) == 3
    assert body["recent_interactions"][0]["type"] == "MANUAL_NOTE"
    # An anonymous tipper's tip does not appear under their name
    bob = client.post("/api/lookup", json={"username": "bob_02", "include_my_room": True}).json()
    assert (bob["my_room"]["tips"], bob["my_room"]["tokens"], bob["my_room"]["recent"]) == (
        0,
        0,
        [],
    )
    assert client.post("/api/lookup", json={"username": "alice_01"}).json()["my_room"] is None
