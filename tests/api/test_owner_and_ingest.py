"""The owner dashboard and ingest health."""

from __future__ import annotations

import pytest
from api.api_support import NOW, Seed
from fastapi.testclient import TestClient
from mhc.config import get_settings
from mhc.db.connection import Database


def test_owner_dashboard_labels_every_figure(client: TestClient, seeded: Seed) -> None:
    body = client.get("/api/owner").json()
    assert body["owner"] == "the_owner"
    assert body["person_id"] == seeded.owner
    live = body["live"]
    assert (live["provider"], live["source"]) == ("mhc", "stream_sessions")
    assert (live["is_live"], live["since"]) == (True, "2026-06-01T20:00:00Z")
    assert live["decided_by"]["detail"] == "a session is open (from broadcast events)"
    stats = body["stats"]
    assert (stats["provider"], stats["source"]) == ("chaturbate", "cb_stats")
    assert stats["snapshot"]["snapshot"]["normalized_metrics"] == {"num_followers": 110}
    assert stats["follower_delta"] == 10
    assert (body["statbate"]["provider"], body["statbate"]["snapshot"]) == ("statbate", None)
    assert body["current_session"]["stats"]["tokens"] == 125
    assert body["current_session"]["provider"] == "mhc"
    assert [s["session"]["id"] for s in body["recent_sessions"]] == [seeded.session]


def test_anonymous_tips_are_not_shown_by_name(client: TestClient, seeded: Seed) -> None:
    tips = client.get("/api/owner").json()["recent_tips"]
    assert (tips["provider"], tips["source"]) == ("chaturbate", "cb_events")
    # Newest first; the excluded person's tip is left out
    anonymous, named = tips["items"]
    assert anonymous["is_anonymous"] is True
    assert anonymous["username"] is None
    assert anonymous["person_id"] is None
    assert anonymous["tokens"] == 100
    assert named["username"] == "alice_01"
    assert named["person_id"] == seeded.alice
    assert named["tokens"] == 25


def test_owner_dashboard_without_data_creates_nothing(client: TestClient, db: Database) -> None:
    body = client.get("/api/owner").json()
    assert body["person_id"] is None
    assert body["live"]["is_live"] is None  # no live signal at all: unknown, not "offline"
    assert body["stats"]["snapshot"] is None
    assert body["recent_tips"]["items"] == []
    with db.transaction() as conn:
        count = conn.execute("SELECT count(*) AS n FROM persons").fetchone()
    assert count is not None
    assert count["n"] == 0


def test_owner_dashboard_needs_the_owner_setting(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MHC_OWNER_USERNAME")
    get_settings.cache_clear()
    response = client.get("/api/owner")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


def test_ingest_health_shows_lag_runs_and_gaps(client: TestClient, seeded: Seed) -> None:
    body = client.get("/api/health/ingest").json()
    assert body["checked_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert body["last_event_at"] == "2026-06-01T21:50:00Z"
    assert body["event_lag_seconds"] == 10 * 60
    assert body["last_successful_poll_at"] == "2026-06-01T21:41:00Z"
    assert body["poll_lag_seconds"] == 19 * 60
    assert body["poller"] == "stale"  # no successful poll for more than 10 minutes
    assert [run["job"] for run in body["recent_job_runs"]] == ["events_poller"]
    assert [gap["reason"] for gap in body["recent_event_gaps"]] == ["waited too long"]


def test_ingest_health_before_anything_ran(client: TestClient) -> None:
    body = client.get("/api/health/ingest").json()
    assert body["last_event_at"] is None
    assert body["event_lag_seconds"] is None
    assert body["poller"] == "never_run"
    assert body["recent_job_runs"] == []
