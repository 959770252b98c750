"""Run now: the API makes a job due and starts it at once, by invoking the stats poller in AWS
or waking the local collector under `mhc run`; if starting fails, the next tick runs it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from collect.support import T0, rows, settings_for, stats_payload
from fakes.aws_lambda import load_function
from fakes.clock import FakeClock
from fakes.events_feed import StubLambda
from fakes.http import FakeHttpServer, RecordedRequest, Reply, json_reply
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.config import Settings, get_settings, load_settings
from mhc.db.connection import Database
from mhc.runtime.invoke import StatsPollerStarter
from mhc.runtime.local import LocalPollers
from mhc.services import jobs

TOKEN = "run-now-api-token-5e4d3c2b-1a2b3c4d"
FUNCTION = "mhc-prod-stats-poller"


@pytest.fixture
def api_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _client(db: Database, start_job: Callable[[str], None]) -> TestClient:
    app = create_app(lambda: db, statbate=lambda: None, start_job=start_job, clock=FakeClock(T0))
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def _not_due(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET next_run_at = %s", (T0 + timedelta(hours=2),))


def _settings(**values: Any) -> Callable[[], Settings]:
    settings = load_settings(**values)
    return lambda: settings


def test_run_now_invokes_the_stats_poller_for_that_job(db: Database, api_token: None) -> None:
    _not_due(db)
    lam = StubLambda()
    starter = StatsPollerStarter(
        _settings(mhc_stats_poller_function=FUNCTION), client_factory=lambda: lam
    )
    response = _client(db, starter).post("/api/jobs/profile_collection/run")
    assert response.status_code == 202
    assert response.json()["job"]["next_run_at"] == "2026-06-01T20:00:00Z"
    [call] = lam.calls
    assert call["FunctionName"] == FUNCTION
    assert call["InvocationType"] == "Event"
    assert json.loads(call["Payload"]) == {"jobs": ["profile_collection"]}


def test_without_the_stats_poller_setting_the_job_waits_for_the_tick(
    db: Database, api_token: None
) -> None:
    def no_client() -> Any:
        raise AssertionError("no Lambda client may be created")

    _not_due(db)
    starter = StatsPollerStarter(_settings(), client_factory=no_client)
    response = _client(db, starter).post("/api/jobs/cb_stats/run")
    assert response.status_code == 202
    assert rows(db, "SELECT next_run_at FROM jobs WHERE name = 'cb_stats'") == [{"next_run_at": T0}]


def test_a_failed_invoke_is_logged_and_the_job_stays_due(
    db: Database, api_token: None, caplog: pytest.LogCaptureFixture
) -> None:
    _not_due(db)
    lam = StubLambda()
    lam.fail_next = 1
    starter = StatsPollerStarter(
        _settings(mhc_stats_poller_function=FUNCTION), client_factory=lambda: lam
    )
    with caplog.at_level(logging.WARNING, logger="mhc"):
        response = _client(db, starter).post("/api/jobs/affiliate_sweep/run")
    assert response.status_code == 202
    assert lam.calls == []
    assert rows(db, "SELECT next_run_at FROM jobs WHERE name = 'affiliate_sweep'") == [
        {"next_run_at": T0}
    ]
    [warning] = [r for r in caplog.records if "next tick runs it" in r.getMessage()]
    assert warning.__dict__["job"] == "affiliate_sweep"
    assert TOKEN not in caplog.text


def test_an_unknown_job_is_404_and_starts_nothing(db: Database, api_token: None) -> None:
    started: list[str] = []
    response = _client(db, started.append).post("/api/jobs/no_such_job/run")
    assert response.status_code == 404
    assert started == []


def test_the_lambda_api_starts_jobs_through_the_stats_poller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The chat import runs in a function of its own; every other job in the stats poller
    monkeypatch.setenv("MHC_OWNER_USERNAME", "the_owner")
    monkeypatch.setenv("MHC_STATS_POLLER_FUNCTION", FUNCTION)
    monkeypatch.setenv("MHC_CHAT_IMPORT_FUNCTION", "mhc-prod-chat-import")
    get_settings.cache_clear()
    lam = StubLambda()
    monkeypatch.setattr("mhc.runtime.invoke._lambda_client", lambda: lam)
    app = load_function("lookup")
    api: FastAPI = app.asgi.app
    api.state.mhc.start_job("cb_stats")
    api.state.mhc.start_job("chat_import")
    assert [(c["FunctionName"], json.loads(c["Payload"])) for c in lam.calls] == [
        (FUNCTION, {"jobs": ["cb_stats"]}),
        ("mhc-prod-chat-import", {"jobs": ["chat_import"]}),
    ]


def test_run_now_wakes_the_local_collector(database_url: str) -> None:
    # Given `mhc run`'s collector: cb_stats due, affiliate_sweep enabled but due in an hour
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.transaction() as conn:
        conn.execute(
            """UPDATE jobs SET enabled = name IN ('cb_stats', 'affiliate_sweep'),
                   next_run_at = CASE WHEN name = 'cb_stats' THEN %s ELSE %s END""",
            (now - timedelta(minutes=1), now + timedelta(hours=1)),
        )
    stats_asked, feed_asked = threading.Event(), threading.Event()

    def reply(request: RecordedRequest) -> Reply:
        if request.path.startswith("/statsapi"):
            stats_asked.set()
            return json_reply(stats_payload())
        feed_asked.set()
        return json_reply({"count": 0, "results": []})

    with FakeHttpServer() as server:
        server.handler = reply
        pollers = LocalPollers(settings_for(server), database_url, events=False)
        pollers.start()
        try:
            # When its first pass has started (cb_stats asked the Stats API; the pass chose its
            # jobs before that) and the owner asks to run the affiliate sweep now
            assert stats_asked.wait(30)
            jobs.request_run(db, "affiliate_sweep", start=pollers.wake)
            # Then the sweep runs right after that pass, not at the next 60 s tick
            assert feed_asked.wait(30)
        finally:
            pollers.stop()
    db.close()
