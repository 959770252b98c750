"""A stray Start/End click can be undone: the owner deletes a manual session (with a
confirmation), never one made from broadcast events, and the deletion is recorded for good."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from api.api_support import Seed
from fakes.clock import FakeClock
from fastapi.testclient import TestClient
from mhc.db.connection import Database


def _stray_session(client: TestClient, clock: FakeClock) -> int:
    """Start and end a session 3 seconds apart, by hand (past the merge gap of the seed's
    session, which is open)."""
    assert client.post("/api/sessions/end").status_code == 200
    clock.advance(timedelta(hours=2).total_seconds())
    started = client.post("/api/sessions/start").json()["session"]
    clock.advance(3)
    assert client.post("/api/sessions/end").status_code == 200
    return int(started["id"])


def _deletions(db: Database) -> list[dict[str, object]]:
    with db.transaction() as conn:
        return list(conn.execute("SELECT * FROM deletions ORDER BY id"))


def test_a_manual_session_is_deleted_with_confirmation_and_recorded(
    client: TestClient, db: Database, seeded: Seed, clock: FakeClock
) -> None:
    # Given a 3-second session from a stray Start/End click
    session_id = _stray_session(client, clock)
    before = client.get(f"/api/sessions/{session_id}").json()["session"]
    # When the owner deletes it without confirming, nothing happens
    response = client.delete(f"/api/sessions/{session_id}")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "confirm"
    assert client.get(f"/api/sessions/{session_id}").status_code == 200
    # When the owner confirms
    clock.advance(60)
    response = client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"})
    # Then it is gone from the list and the detail
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] is True
    assert body["session"] == before
    assert client.get(f"/api/sessions/{session_id}").status_code == 404
    assert session_id not in [s["id"] for s in client.get("/api/sessions").json()]
    # And the deletion is recorded: the whole row, what it was, who and when
    [record] = _deletions(db)
    assert record["kind"] == "stream_sessions"
    assert record["row_key"] == str(session_id)
    assert record["deleted_row"] == before
    assert record["deleted_by"] == "owner (API)"
    assert record["deleted_at"] == clock()
    assert body["deletion"]["id"] == record["id"]


def test_deleting_twice_changes_nothing_the_second_time(
    client: TestClient, db: Database, seeded: Seed, clock: FakeClock
) -> None:
    session_id = _stray_session(client, clock)
    first = client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"}).json()
    again = client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"})
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert again.json()["deletion"] == first["deletion"]
    assert again.json()["session"] == first["session"]
    assert len(_deletions(db)) == 1


def test_a_session_made_from_broadcast_events_cannot_be_deleted(
    client: TestClient, db: Database, seeded: Seed
) -> None:
    response = client.delete(f"/api/sessions/{seeded.session}", params={"confirm": "true"})
    assert response.status_code == 409
    assert "broadcast events" in response.json()["error"]["message"]
    assert client.get(f"/api/sessions/{seeded.session}").status_code == 200
    assert _deletions(db) == []


def test_an_unknown_session_is_404(client: TestClient, seeded: Seed) -> None:
    response = client.delete("/api/sessions/999", params={"confirm": "true"})
    assert response.status_code == 404


def test_the_open_manual_session_can_be_deleted(
    client: TestClient, seeded: Seed, clock: FakeClock
) -> None:
    # A stray Start click: the session is still open
    client.post("/api/sessions/end")
    clock.advance(timedelta(hours=1).total_seconds())
    session_id = client.post("/api/sessions/start").json()["session"]["id"]
    response = client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"})
    assert response.status_code == 200
    assert client.get("/api/sessions/current").json()["live"] is False


def test_a_failure_mid_delete_leaves_the_session_and_no_record(
    client: TestClient, db: Database, seeded: Seed, clock: FakeClock
) -> None:
    # Given a session, and a database that refuses the row's removal (after the record)
    session_id = _stray_session(client, clock)
    with db.transaction() as conn:
        conn.execute(
            """CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'disk on fire'; END $$"""
        )
        conn.execute(
            "CREATE TRIGGER refuse BEFORE DELETE ON stream_sessions "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    # When the owner deletes it, the request fails
    response = client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"})
    assert response.status_code == 500
    # Then nothing is half-written: the session is there, and no deletion is recorded
    assert client.get(f"/api/sessions/{session_id}").status_code == 200
    assert _deletions(db) == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE deletions SET deleted_by = 'x'", "DELETE FROM deletions", "TRUNCATE deletions"],
)
def test_the_record_of_deletions_is_append_only(
    client: TestClient, db: Database, seeded: Seed, clock: FakeClock, statement: str
) -> None:
    session_id = _stray_session(client, clock)
    client.delete(f"/api/sessions/{session_id}", params={"confirm": "true"})
    with (
        pytest.raises(psycopg.errors.RestrictViolation, match="append-only"),
        db.transaction() as conn,
    ):
        conn.execute(statement)  # type: ignore[arg-type]
    assert len(_deletions(db)) == 1
