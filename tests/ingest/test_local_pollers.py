"""`mhc run`'s local events poller: the same service as the Lambda, on a thread."""

from __future__ import annotations

import threading

from fakes.events_feed import OWNER, FakeEventsFeed, make_events
from fakes.http import RecordedRequest
from mhc.config import load_settings
from mhc.db.connection import Database
from mhc.runtime.local import LocalPollers


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
