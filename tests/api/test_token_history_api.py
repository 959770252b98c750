"""The owner's token-history upload (its own body limit, CSV or gzip), imports, the capture
audit, shows, and the live room and alert routes over HTTP."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from api.api_support import NOW, OWNER, T0
from fakes.token_history import PRIVATE, TIP, export_bytes, room_event
from fastapi.testclient import TestClient
from helpers import ingest_events
from mhc.api.routers import token_history as router
from mhc.db.connection import Database
from mhc.services import token_history as service

ROWS = [
    ("alice_01", 100, T0, TIP, "thanks"),
    ("bob_02", 60, T0 + timedelta(minutes=1), PRIVATE, ""),
    ("bob_02", 60, T0 + timedelta(minutes=2), PRIVATE, ""),
]
CSV = {"Content-Type": "text/csv"}


def upload(client: TestClient, body: bytes, **params: str) -> dict[str, object]:
    response = client.post("/api/owner/token-history", content=body, headers=CSV, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_upload_csv_then_gzip_of_the_same_rows_adds_nothing(client: TestClient) -> None:
    first = upload(client, export_bytes(ROWS), file_name="tokens.csv")
    assert (first["imported"], first["new_rows"], first["file_name"]) == (True, 3, "tokens.csv")
    again = client.post(
        "/api/owner/token-history",
        content=gzip.compress(export_bytes(ROWS)),
        headers={"Content-Type": "application/gzip"},
    )
    assert again.status_code == 200
    assert (again.json()["new_rows"], again.json()["already_stored"]) == (0, 3)
    imports = client.get("/api/owner/token-history/imports").json()
    assert [(i["file_name"], i["new_rows"]) for i in imports] == [(None, 0), ("tokens.csv", 3)]
    shows = client.get("/api/owner/shows").json()
    assert [(s["username"], s["minutes_billed"], s["tokens"]) for s in shows] == [
        ("bob_02", 2, 120)
    ]


def test_bad_lines_are_refused_with_each_line_then_accepted(client: TestClient) -> None:
    body = export_bytes([*ROWS, ("", 5, T0, TIP, ""), ("carol_03", 0, T0, TIP, "")])
    refused = client.post("/api/owner/token-history", content=body, headers=CSV)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "token_history_refused"
    assert "2 bad line(s): nothing was imported" in error["message"]
    assert [(p["line"], p["kind"]) for p in error["details"]["problems"]] == [
        (5, "empty_user"),
        (6, "non_positive_amount"),
    ]
    assert client.get("/api/owner/token-history/imports").json() == []
    accepted = upload(client, body, accept_problems="true")
    assert (accepted["new_rows"], accepted["problem_count"]) == (3, 2)


def test_the_upload_has_its_own_size_limit_and_types(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Larger than the limit, said up front or found while reading: 413, nothing read further
    over = router.MAX_UPLOAD_BYTES + 1
    too_big = client.post("/api/owner/token-history", content=b"x" * over, headers=CSV)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "too_large"
    assert "mhc import token-history" in too_big.json()["error"]["message"]

    def chunks() -> object:
        yield b"x" * (over // 2)
        yield b"x" * (over - over // 2)

    streamed = client.post("/api/owner/token-history", content=chunks(), headers=CSV)
    assert streamed.status_code == 413
    # Not CSV or gzip: 415
    as_json = client.post("/api/owner/token-history", json={"rows": []})
    assert as_json.status_code == 415


def test_a_decompression_bomb_and_broken_files_are_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_EXPORT_BYTES", 1000)
    bomb = gzip.compress(export_bytes(ROWS) + b"\r\n" * 5000)
    refused = client.post("/api/owner/token-history", content=bomb, headers=CSV)
    assert refused.status_code == 422
    assert "larger than" in refused.json()["error"]["message"]
    cut = client.post("/api/owner/token-history", content=gzip.compress(b"x" * 50)[:-6])
    assert cut.status_code == 422
    assert "not a complete gzip file" in cut.json()["error"]["message"]
    latin = client.post(
        "/api/owner/token-history", content=export_bytes(ROWS) + "José\r\n".encode("latin-1")
    )
    assert latin.status_code == 422
    assert "not UTF-8" in latin.json()["error"]["message"]
    not_export = client.post("/api/owner/token-history", content=b"a,b\r\n1,2\r\n")
    assert not_export.status_code == 422
    assert "missing column" in not_export.json()["error"]["message"]


def test_capture_audit_route(client: TestClient, db: Database) -> None:
    assert client.get("/api/owner/capture-audit").json()["unavailable"] == (
        "no token-history export imported yet"
    )
    ingest_events(
        db, [room_event("userEnter", OWNER, "alice_01", T0)], owner=OWNER, received_at=NOW
    )
    ingest_events(
        db,
        [room_event("userLeave", OWNER, "alice_01", T0 + timedelta(minutes=30))],
        owner=OWNER,
        received_at=NOW,
    )
    upload(client, export_bytes(ROWS))
    audit = client.get("/api/owner/capture-audit").json()
    assert (audit["exported"], audit["seen_live"]) == (1, 0)
    assert [m["username"] for m in audit["missed"]] == ["alice_01"]


def test_room_and_alert_rules_over_http(client: TestClient, db: Database) -> None:
    # No open session: not live
    assert client.get("/api/owner/room").json()["live"] is False
    client.post("/api/sessions/start")
    ingest_events(
        db, [room_event("userEnter", OWNER, "alice_01", NOW)], owner=OWNER, received_at=NOW
    )
    room = client.get("/api/owner/room").json()
    assert room["live"] is True
    assert [p["username"] for p in room["people"]] == ["alice_01"]
    # Rules: saved, idempotent, validated
    rules = {"rules": [{"id": "whale", "kind": "lifetime_tokens", "min_tokens": 50}]}
    saved = client.put("/api/owner/alert-rules", json=rules)
    assert saved.status_code == 200
    assert [s["kind"] for s in saved.json()["suggestions"]] == ["lifetime_tokens", "big_tip"]
    assert (
        client.put("/api/owner/alert-rules", json=rules).json()["saved_at"]
        == (saved.json()["saved_at"])
    )
    twice = {"rules": rules["rules"] * 2}
    duplicate = client.put("/api/owner/alert-rules", json=twice)
    assert duplicate.status_code == 422
    assert "used twice" in duplicate.json()["error"]["message"]
    unknown = client.put(
        "/api/owner/alert-rules",
        json={"rules": [{"id": "w", "kind": "watchlist", "watchlist_id": 999}]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "rules.0.watchlist_id"
    assert client.get("/api/owner/alert-rules").json()["rules"] == [
        {
            "id": "whale",
            "enabled": True,
            "sound": False,
            "kind": "lifetime_tokens",
            "min_tokens": 50,
        }
    ]
    # Alerts page on with a cursor
    assert client.get("/api/owner/alerts").json() == {"items": [], "next_cursor": None}
    assert client.get("/api/owner/alerts", params={"cursor": "nonsense"}).status_code == 422
