"""`mhc run`'s local events poller and `mhc poll-events`: the same service as the Lambda."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.events_feed import OWNER, TOKEN, FakeEventsFeed, make_events
from fakes.http import RecordedRequest
from mhc import cli
from mhc.config import get_settings, load_settings
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.runtime.cursor import FileCursorStore
from mhc.runtime.local import LocalPollers
from mhc.services import job_runs


def test_local_events_poller_ingests_the_feed_and_stops(
    database_url: str, tmp_path: object
) -> None:
    events = make_events(300)
    caught_up = threading.Event()
    with FakeEventsFeed(events, page_size=100) as feed:
        last_id = events[-1]["id"]

        def watch(request: RecordedRequest) -> None:
            # A request after the last event means that page was committed and the cursor saved.
            if request.param("i") == last_id:
                caught_up.set()

        feed.before_reply = watch
        settings = load_settings(
            mhc_events_url=feed.base_url,
            mhc_owner_username=OWNER,
            mhc_events_cursor_file=str(tmp_path) + "/cursor.json",
            mhc_events_max_timeout_seconds=1,
        )
        pollers = LocalPollers(settings, database_url, jobs=False)
        assert pollers.start() == ["events poller: long-polling the Events API"]
        try:
            assert caught_up.wait(30)
        finally:
            pollers.stop()
    db = Database(database_url)
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM raw_events").fetchone() == {"n": 300}
    db.close()


def test_events_poller_says_when_it_is_not_configured(database_url: str) -> None:
    pollers = LocalPollers(load_settings(), database_url, jobs=False)
    assert pollers.start() == [
        "events poller: not configured (set MHC_EVENTS_URL and MHC_OWNER_USERNAME)"
    ]
    pollers.stop()
    # and records it where the Jobs & health page looks ("not configured", not "never run")
    db = Database(database_url)
    with db.transaction() as conn:
        [run] = job_runs.recent(conn, job="events_poller")
    db.close()
    assert run.status is JobStatus.NOT_CONFIGURED
    assert run.counts == {"missing": ["MHC_EVENTS_URL", "MHC_OWNER_USERNAME"]}
    assert run.error is not None
    assert run.error.startswith("MHC_EVENTS_URL is not set (add it to .env")
    assert "SSM" not in run.error


def _poll_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, feed: FakeEventsFeed, cursor: Path
) -> None:
    for name, value in {
        "DATABASE_URL": database_url,
        "MHC_EVENTS_URL": feed.base_url,
        "MHC_OWNER_USERNAME": OWNER,
        "MHC_EVENTS_CURSOR_FILE": str(cursor),
        "MHC_EVENTS_MAX_TIMEOUT_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_cli_poll_events_with_the_documented_minimum_polls(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    cursor_file = tmp_path / "cursor.json"
    with FakeEventsFeed(make_events(30), page_size=10, hold_when_caught_up=True) as feed:
        _poll_env(monkeypatch, database_url, feed, cursor_file)
        # Too short for one long-poll (3 s kept free + 5 s read margin + 1 s hold): refused
        assert cli.main(["poll-events", "--max-seconds", "8"]) == 2
        assert "at least 9" in capsys.readouterr().err
        # The documented minimum polls (it once polled nothing and reported success): one
        # long-poll fits, and the first page comes back at once
        assert cli.main(["poll-events", "--max-seconds", "9"]) == 0
    out = capsys.readouterr().out
    assert "status=succeeded, reason=1 page(s) polled" in out
    assert "inserted=10" in out
    assert TOKEN not in out
    saved = FileCursorStore(cursor_file).load()
    assert saved is not None
    assert saved.next_url.startswith(feed.base_url)
    db = Database(database_url)
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM raw_events").fetchone() == {"n": 10}
    db.close()


def test_poll_events_captures_the_feed_within_its_budget(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a feed on a fake clock (a long-poll hold advances it instead of waiting)
    clock = FakeClock()
    start = clock()
    with FakeEventsFeed(make_events(30), page_size=10, clock=clock) as feed:
        _poll_env(monkeypatch, database_url, feed, tmp_path / "cursor.json")
        # When the command's poll runs for 60 s
        outcome = cli.poll_events(get_settings(), 60, clock=clock)
    # Then it takes every event, then holds until less than one long-poll fits in the budget
    assert outcome.status.value == "succeeded"
    assert outcome.counts.inserted == 30
    assert 51 <= (clock() - start).total_seconds() <= 60
