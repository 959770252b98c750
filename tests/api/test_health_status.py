"""GET /api/health/status: the collectors' state, judged by the API from each job's last runs and
the events poller's runs, lag and gaps (the header pill and the Jobs & health page show it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.api_support import NOW
from fastapi.testclient import TestClient
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.services import capture, job_runs

JOBS = ("affiliate_sweep", "cb_stats", "chat_import", "profile_collection", "statbate_refresh")


def record(
    db: Database,
    job: str,
    status: JobStatus,
    *,
    minutes_ago: float,
    error: str | None = None,
    counts: dict[str, Any] | None = None,
) -> None:
    with db.transaction() as conn:
        job_runs.record(
            conn,
            job,
            at=NOW - timedelta(minutes=minutes_ago),
            status=status,
            counts=counts or {},
            error=error,
        )


def all_jobs_succeeded(db: Database, *, minutes_ago: float = 3) -> None:
    for job in JOBS:
        record(db, job, JobStatus.SUCCEEDED, minutes_ago=minutes_ago)


def status(client: TestClient) -> dict[str, Any]:
    """The status, with `reasons` as their texts (each reason's level checked against the
    verdict: a failing verdict has a failing reason first, an attention one none)."""
    response = client.get("/api/health/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    levels = [reason["level"] for reason in body["reasons"]]
    assert levels == sorted(levels, key=lambda level: level != "failing")
    expected = "failing" if "failing" in levels else "attention" if levels else "ok"
    assert body["verdict"] == expected
    body["reasons"] = [reason["text"] for reason in body["reasons"]]
    return body


def job(body: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [j for j in body["jobs"] if j["name"] == name]
    return found


def test_everything_fresh_is_ok(client: TestClient, db: Database) -> None:
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db)
    body = status(client)
    assert body["verdict"] == "ok"
    assert body["reasons"] == []
    assert body["events_poller"]["state"] == "ok"
    assert body["events_poller"]["poll_lag_seconds"] == 60
    assert {j["name"]: j["state"] for j in body["jobs"]} == dict.fromkeys(JOBS, "ok")


def test_a_failed_job_stays_flagged_however_many_other_runs_follow(
    client: TestClient, db: Database
) -> None:
    # Given cb_stats failed, then 21 lookups recorded Statbate runs (the old header read the
    # last 20 runs of all jobs and lost the failure)
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db, minutes_ago=30)
    record(db, "cb_stats", JobStatus.FAILED, minutes_ago=20, error="AuthError: stats: HTTP 401")
    for minute in range(21):
        record(db, "statbate_lookup", JobStatus.SUCCEEDED, minutes_ago=19 - minute * 0.5)
    body = status(client)
    # Then the API says failing, because of cb_stats, with its error
    assert body["verdict"] == "failing"
    assert body["reasons"] == ["cb_stats failed"]
    cb_stats = job(body, "cb_stats")
    assert cb_stats["state"] == "failing"
    assert cb_stats["error"] == "AuthError: stats: HTTP 401"
    assert cb_stats["last_run"]["status"] == "failed"


def test_nothing_configured_and_nothing_run_is_not_ok(client: TestClient) -> None:
    # Given a fresh install: no job has run, the events poller never ran
    body = status(client)
    # Then the verdict is not "ok": it says what is not collecting
    assert body["verdict"] == "attention"
    assert body["events_poller"]["state"] == "never_run"
    assert {j["state"] for j in body["jobs"]} == {"never_run"}
    assert body["reasons"][0] == "events poller has never run"
    assert "cb_stats has never run" in body["reasons"]


def test_not_configured_collectors_say_so_and_name_the_settings(
    client: TestClient, db: Database
) -> None:
    record(
        db,
        "events_poller",
        JobStatus.NOT_CONFIGURED,
        minutes_ago=2,
        error="MHC_EVENTS_URL is not set (add it to .env or the environment)",
        counts={"missing": ["MHC_EVENTS_URL"]},
    )
    all_jobs_succeeded(db, minutes_ago=10)
    record(
        db,
        "cb_stats",
        JobStatus.NOT_CONFIGURED,
        minutes_ago=4,
        error="MHC_STATS_TOKEN is not set (add it to .env or the environment)",
        counts={"missing": ["MHC_STATS_TOKEN"]},
    )
    body = status(client)
    assert body["verdict"] == "attention"
    assert body["reasons"] == ["events poller not configured", "cb_stats not configured"]
    poller = body["events_poller"]
    assert (poller["state"], poller["missing"]) == ("not_configured", ["MHC_EVENTS_URL"])
    assert poller["error"].startswith("MHC_EVENTS_URL is not set")
    cb_stats = job(body, "cb_stats")
    assert (cb_stats["state"], cb_stats["missing"]) == ("not_configured", ["MHC_STATS_TOKEN"])


def test_once_a_job_ran_after_its_setting_was_fixed_its_old_error_is_gone(
    client: TestClient, db: Database
) -> None:
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db, minutes_ago=10)
    record(
        db,
        "cb_stats",
        JobStatus.NOT_CONFIGURED,
        minutes_ago=5,
        error="MHC_STATS_TOKEN is not set",
        counts={"missing": ["MHC_STATS_TOKEN"]},
    )
    record(db, "cb_stats", JobStatus.SUCCEEDED, minutes_ago=1)
    cb_stats = job(status(client), "cb_stats")
    assert (cb_stats["state"], cb_stats["error"], cb_stats["missing"]) == ("ok", None, [])


def test_poller_stale_and_failing(client: TestClient, db: Database) -> None:
    all_jobs_succeeded(db)
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=19)
    body = status(client)
    assert (body["verdict"], body["events_poller"]["state"]) == ("failing", "stale")
    assert body["reasons"] == ["events poller stale: no successful poll for 19 min"]
    # A failed link after that names its error
    record(db, "events_poller", JobStatus.FAILED, minutes_ago=5, error="AuthError: events: 401")
    body = status(client)
    assert body["events_poller"]["state"] == "failing"
    assert body["events_poller"]["error"] == "AuthError: events: 401"
    assert body["reasons"] == ["events poller failing"]


def test_skipped_watchdog_runs_do_not_hide_the_poller_state(
    client: TestClient, db: Database
) -> None:
    all_jobs_succeeded(db)
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=2)
    for minute in range(30):
        record(db, "events_poller", JobStatus.SKIPPED, minutes_ago=1 - minute / 60)
    assert status(client)["events_poller"]["state"] == "ok"


def test_a_running_job_is_judged_by_its_last_finished_run(client: TestClient, db: Database) -> None:
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db, minutes_ago=10)
    record(db, "statbate_refresh", JobStatus.FAILED, minutes_ago=8, error="boom")
    with db.transaction() as conn:
        job_runs.start(conn, "statbate_refresh", NOW - timedelta(minutes=1))
    statbate = job(status(client), "statbate_refresh")
    assert (statbate["state"], statbate["running"], statbate["error"]) == ("failing", True, "boom")


def test_disabled_jobs_are_shown_but_not_reasons(client: TestClient, db: Database) -> None:
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db)
    record(db, "profile_collection", JobStatus.FAILED, minutes_ago=1, error="boom")
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET enabled = false WHERE name = 'profile_collection'")
    body = status(client)
    assert job(body, "profile_collection")["state"] == "disabled"
    assert (body["verdict"], body["reasons"]) == ("ok", [])


def test_a_cooling_down_job_and_recent_gaps_need_attention(
    client: TestClient, db: Database
) -> None:
    record(db, "events_poller", JobStatus.SUCCEEDED, minutes_ago=1)
    all_jobs_succeeded(db, minutes_ago=10)
    until = NOW + timedelta(minutes=12)
    record(db, "cb_stats", JobStatus.SKIPPED, minutes_ago=2, error="stats: throttled")
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO api_cool_downs (api, until, reason) VALUES ('stats', %s, 'HTTP 403')",
            (until,),
        )
        for hours_ago in (30, 3):
            capture.record_gap(
                conn, detected_at=NOW - timedelta(hours=hours_ago), reason="waited too long"
            )
    body = status(client)
    assert body["verdict"] == "attention"
    cb_stats = job(body, "cb_stats")
    assert cb_stats["state"] == "cooling_down"
    assert _instant(cb_stats["cool_down_until"]) == until
    assert body["events_poller"]["gaps_last_day"] == 1
    assert body["reasons"] == ["cb_stats cooling down", "1 event gap in the last 24 h"]


def test_status_needs_the_token(anonymous: TestClient) -> None:
    assert anonymous.get("/api/health/status").status_code == 401


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
