"""Job affiliate_sweep end to end: a paged fake feed on loopback, real PostgreSQL, fake clock."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from collect.support import (
    CAMPAIGN,
    T0,
    budget,
    count,
    make_collector,
    only_due,
    room,
    rows,
    runs,
    settings_for,
)
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, RecordedRequest, Reply, cloudflare_reply, json_reply
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.roles import Role
from mhc.services import persons, watchlists

FEED = "/api/public/affiliates/onlinerooms/"


class FakeFeed:
    """Serves `rooms` 500 at a time by `offset`, counting every page request."""

    def __init__(self, rooms: list[dict[str, Any]]) -> None:
        self.rooms = rooms
        self.pages: Counter[int] = Counter()

    def __call__(self, request: RecordedRequest) -> Reply:
        offset = int(request.param("offset") or 0)
        limit = int(request.param("limit") or 500)
        self.pages[offset] += 1
        return json_reply(
            {"count": len(self.rooms), "results": self.rooms[offset : offset + limit]}
        )


def test_sweep_records_broadcasters_profiles_broadcasts_and_followers(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a watchlisted broadcaster and a feed of three rooms
    with db.transaction() as conn:
        anna, _ = persons.find_or_create(conn, "anna", role=Role.VIEWER, seen_at=T0)
    friends = watchlists.list_all(db)[0].id
    watchlists.add(db, friends, anna.id)
    only_due(db, "affiliate_sweep")
    feed = FakeFeed(
        [
            room("Anna", num_followers=500, seconds_online=1200, num_users=40),
            room("bella", tags=["feet", "milf"], age=None),
            room("cleo", current_show="private"),
        ]
    )
    server.handler = feed
    # When the sweep runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then: the feed was read once with the campaign code
    assert report.status is JobStatus.SUCCEEDED
    assert feed.pages == Counter({0: 1})
    assert server.requests[0].param("wm") == CAMPAIGN
    # broadcasters are MODEL persons (anna, a known viewer, is now BOTH)
    roles = rows(db, "SELECT username, role FROM persons ORDER BY username")
    assert roles == [
        {"username": "anna", "role": "BOTH"},
        {"username": "bella", "role": "MODEL"},
        {"username": "cleo", "role": "MODEL"},
    ]
    # one profile per broadcaster, with the feed's fields
    [bella] = rows(
        db,
        """SELECT display_name, gender, age, country, languages, tags, followers, image_url,
                  last_seen_online_at FROM profiles pr JOIN persons p ON p.id = pr.person_id
           WHERE p.username = 'bella'""",
    )
    assert bella == {
        "display_name": "Bella",
        "gender": "f",
        "age": None,
        "country": "NL",
        "languages": "English",
        "tags": ["feet", "milf"],
        "followers": 100,
        "image_url": "https://roomimg.example/bella.jpg",
        "last_seen_online_at": T0,
    }
    # one broadcast each, started seconds_online ago
    starts = rows(
        db,
        """SELECT p.username, b.started_at, b.max_viewers FROM broadcasts b
           JOIN persons p ON p.id = b.person_id ORDER BY p.username""",
    )
    assert starts[0] == {
        "username": "anna",
        "started_at": T0 - timedelta(seconds=1200),
        "max_viewers": 40,
    }
    assert count(db, "SELECT count(*) FROM follower_counts") == 3
    # the watchlist member got an affiliate snapshot and shows online
    assert count(db, "SELECT count(*) FROM snapshots WHERE source = 'affiliate'") == 1
    [member] = watchlists.members(db, friends, clock=clock)
    assert member.online is True
    assert report.counts["rooms"] == 3
    assert report.counts["broadcasts_started"] == 3


def test_second_sweep_extends_broadcasts_and_records_only_changed_followers(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "affiliate_sweep")
    server.handler = FakeFeed(
        [room("anna", seconds_online=600), room("bella", seconds_online=60, num_followers=7)]
    )
    collector = make_collector(db, server, clock)
    collector.run_due(budget())
    # When five minutes later anna is still on (start within a few seconds), bella gained
    # followers, and cleo came online
    clock.advance(300)
    server.handler = FakeFeed(
        [
            room("anna", seconds_online=903),
            room("bella", seconds_online=362, num_followers=9),
            room("cleo", seconds_online=30),
        ]
    )
    [report] = collector.run_due(budget())
    # Then no duplicate broadcasts: two extended, one new
    assert (report.counts["broadcasts_extended"], report.counts["broadcasts_started"]) == (2, 1)
    assert count(db, "SELECT count(*) FROM broadcasts") == 3
    assert rows(db, "SELECT sightings FROM broadcasts ORDER BY id") == [
        {"sightings": 2},
        {"sightings": 2},
        {"sightings": 1},
    ]
    # follower history: anna 100, bella 7 then 9, cleo 100
    assert count(db, "SELECT count(*) FROM follower_counts") == 4
    assert report.counts["followers_changed"] == 2
    assert count(db, "SELECT count(*) FROM persons") == 3
    # When anna went offline and is back 2 hours later: a new broadcast
    clock.advance(7200)
    server.handler = FakeFeed([room("anna", seconds_online=120)])
    collector.run_due(budget())
    assert count(db, "SELECT count(*) FROM broadcasts") == 4
    # and the same sweep twice at the same moment changes nothing
    collector.run_due(budget(), only=["affiliate_sweep"])
    assert count(db, "SELECT count(*) FROM broadcasts") == 4
    assert rows(db, "SELECT sightings FROM broadcasts ORDER BY id DESC LIMIT 1") == [
        {"sightings": 1}
    ]


def test_min_followers_keeps_small_rooms_out_unless_watchlisted(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    with db.transaction() as conn:
        tiny, _ = persons.find_or_create(conn, "tiny_friend", seen_at=T0)
    watchlists.add(db, watchlists.list_all(db)[0].id, tiny.id)
    only_due(db, "affiliate_sweep")
    with db.transaction() as conn:
        conn.execute(
            """UPDATE jobs SET config = '{"min_followers": 50}' WHERE name = 'affiliate_sweep'"""
        )
    server.handler = FakeFeed(
        [
            room("big", num_followers=51),
            room("small", num_followers=3),
            room("tiny_friend", num_followers=1),
        ]
    )
    make_collector(db, server, clock).run_due(budget())
    names = [r["username"] for r in rows(db, "SELECT username FROM persons ORDER BY username")]
    assert names == ["big", "tiny_friend"]


@pytest.mark.parametrize(
    ("reply", "error_part"),
    [
        (json_reply({"status": "unknown wm"}, 401), "AuthError"),
        (json_reply({}, 403), "AuthError"),
        (json_reply({}, 404), "NotFound"),
        (json_reply({"error": "bad offset"}, 400), "BadRequest"),
        (json_reply({}, 502), "TransientExhausted"),
        (json_reply({"rooms": []}), "InvalidResponse"),
        (cloudflare_reply(), "Blocked"),
    ],
)
def test_each_error_class_fails_and_writes_nothing(
    db: Database, server: FakeHttpServer, clock: FakeClock, reply: Reply, error_part: str
) -> None:
    only_due(db, "affiliate_sweep")
    server.handler = lambda _request: reply
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert error_part in (report.error or "")
    assert count(db, "SELECT count(*) FROM persons") == 0
    assert count(db, "SELECT count(*) FROM profiles") == 0


def test_a_failing_second_page_writes_nothing(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a two-page feed whose second page is refused
    only_due(db, "affiliate_sweep")
    feed = FakeFeed([room(f"room_{i}") for i in range(700)])
    server.handler = lambda r: feed(r) if r.param("offset") == "0" else json_reply({}, 401)
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert count(db, "SELECT count(*) FROM broadcasts") == 0


def test_missing_campaign_is_not_configured(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    only_due(db, "affiliate_sweep")
    settings = settings_for(server, mhc_affiliate_campaign=None)
    [report] = make_collector(db, server, clock, settings=settings).run_due(budget())
    assert report.status is JobStatus.NOT_CONFIGURED
    assert "MHC_AFFILIATE_CAMPAIGN" in (report.error or "")
    assert server.request_count == 0
    assert runs(db, "affiliate_sweep")[0].status is JobStatus.NOT_CONFIGURED


def test_five_thousand_rooms_fetch_each_page_once(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a 5,000-room feed (10 pages)
    only_due(db, "affiliate_sweep")
    feed = FakeFeed(
        [
            room(f"model_{i:05d}", num_followers=i, seconds_online=60 + i, num_users=i % 90)
            for i in range(5000)
        ]
    )
    server.handler = feed
    collector = make_collector(db, server, clock)
    # When the sweep runs (timed for the report, never asserted)
    started = time.perf_counter()
    [report] = collector.run_due(budget())
    elapsed = time.perf_counter() - started
    print(f"\naffiliate sweep, 5000 rooms: {elapsed:.2f} s")
    # Then every page was fetched exactly once, paced by the (fake) clock
    assert feed.pages == Counter(dict.fromkeys(range(0, 5000, 500), 1))
    assert clock.sleeps.count(0.75) == 9
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["complete"] is True
    assert count(db, "SELECT count(*) FROM persons WHERE role = 'MODEL'") == 5000
    assert count(db, "SELECT count(*) FROM profiles") == 5000
    assert count(db, "SELECT count(*) FROM broadcasts") == 5000
