"""The jobs API: list with last runs, read, validated partial changes (422 naming the field,
nothing changed), run now; profile fields and online status on person and watchlist views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from collect.support import T0, rows
from fakes.clock import FakeClock
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.roles import Role
from mhc.services import job_runs, persons, profiles, watchlists
from mhc.services.profiles import FeedProfile, FeedRoom

TOKEN = "jobs-api-token-0c9b8a7f-9e8d7c6b5a"


@pytest.fixture
def client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    app = create_app(lambda: db, statbate=lambda: None, clock=FakeClock(T0))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as test_client:
        yield test_client


def test_list_shows_every_job_with_its_last_run(db: Database, client: TestClient) -> None:
    with db.transaction() as conn:
        run = job_runs.start(conn, "cb_stats", T0 - timedelta(minutes=1))
        job_runs.finish(
            conn, run.id, status=JobStatus.FAILED, at=T0, counts={}, error="stats: HTTP 401"
        )
    response = client.get("/api/jobs")
    assert response.status_code == 200
    jobs = {item["job"]["name"]: item for item in response.json()}
    assert set(jobs) == {
        "cb_stats",
        "statbate_refresh",
        "affiliate_sweep",
        "profile_collection",
        "chat_import",
    }
    assert jobs["cb_stats"]["last_run"]["status"] == "failed"
    assert jobs["cb_stats"]["last_run"]["error"] == "stats: HTTP 401"
    assert jobs["statbate_refresh"]["job"]["interval_seconds"] == 6 * 3600
    assert jobs["statbate_refresh"]["effective_config"]["batch_size"] == 5
    assert client.get("/api/jobs/affiliate_sweep").json()["job"]["kind"] == "affiliate_sweep"
    assert client.get("/api/jobs/nope").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {"limit": "lots"}}, "config.limit"),
        ({"config": {"unknown_key": 1}}, "config.unknown_key"),
        ({"enabled": False, "config": {"batch_size": 0}}, "config.batch_size"),
        ({"interval_seconds": 5}, "interval_seconds"),
        ({"enabled": "perhaps"}, "enabled"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_are_422_naming_the_field_and_change_nothing(
    db: Database, client: TestClient, body: dict[str, object], field: str
) -> None:
    before = rows(db, "SELECT * FROM jobs ORDER BY name")
    response = client.patch("/api/jobs/statbate_refresh", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in [detail["field"] for detail in error["details"]]
    assert rows(db, "SELECT * FROM jobs ORDER BY name") == before


def test_partial_changes_keep_other_fields(client: TestClient) -> None:
    assert (
        client.patch("/api/jobs/statbate_refresh", json={"config": {"limit": 30}}).status_code
        == 200
    )
    response = client.patch(
        "/api/jobs/statbate_refresh", json={"enabled": False, "config": {"roles": ["MODEL"]}}
    )
    assert response.status_code == 200
    job = response.json()["job"]
    assert job["enabled"] is False
    assert job["interval_seconds"] == 6 * 3600
    assert job["config"] == {"limit": 30, "roles": ["MODEL"]}


def test_run_now_makes_the_job_due(db: Database, client: TestClient) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET next_run_at = %s", (T0 + timedelta(hours=2),))
    response = client.post("/api/jobs/profile_collection/run")
    assert response.status_code == 202
    assert rows(db, "SELECT next_run_at FROM jobs WHERE name = 'profile_collection'") == [
        {"next_run_at": T0}
    ]


def test_jobs_routes_require_the_token(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    anonymous = TestClient(create_app(lambda: db, statbate=lambda: None))
    for method, path in [
        ("GET", "/api/jobs"),
        ("GET", "/api/jobs/cb_stats"),
        ("PATCH", "/api/jobs/cb_stats"),
        ("POST", "/api/jobs/cb_stats/run"),
    ]:
        assert anonymous.request(method, path, json={}).status_code == 401


def test_person_and_watchlist_views_show_profile_and_online(
    db: Database, client: TestClient
) -> None:
    # Given a broadcaster seen in the feed five minutes ago, on a watchlist
    with db.transaction() as conn:
        person, _ = persons.find_or_create(conn, "zoe", role=Role.MODEL, seen_at=T0)
        profiles.record_feed(
            conn,
            [
                FeedRoom(
                    FeedProfile(
                        person_id=person.id,
                        display_name="Zoe",
                        gender="f",
                        age=27,
                        location="Mars",
                        country="NL",
                        languages="English",
                        tags=["tag1"],
                        room_subject="hi",
                        followers=321,
                        image_url="https://img.example/zoe.jpg",
                        current_show="public",
                        num_users=12,
                    ),
                    seconds_online=600,
                )
            ],
            seen_at=T0 - timedelta(minutes=5),
        )
    friends = watchlists.list_all(db)[0].id
    watchlists.add(db, friends, person.id)
    # When the owner opens the person and the watchlist
    detail = client.get(f"/api/persons/{person.id}").json()
    [member] = client.get(f"/api/watchlists/{friends}/members").json()
    # Then both show the profile and that she is online
    assert detail["profile"]["display_name"] == "Zoe"
    assert detail["profile"]["followers"] == 321
    assert detail["online"] is True
    assert member["profile"]["tags"] == ["tag1"]
    assert member["online"] is True
