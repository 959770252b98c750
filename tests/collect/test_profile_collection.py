"""Job profile_collection end to end: fake profile JSON endpoint on loopback, real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from collect.support import T0, budget, count, make_collector, only_due, rows, runs
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, RecordedRequest, Reply, cloudflare_reply, json_reply
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.roles import Role
from mhc.services import persons, watchlists


def profile(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "follower_count": 321,
        "location": "Amsterdam",
        "real_name": "A.",
        "languages": "English, Dutch",
        "display_age": 27,
        "sex": "Female",
        "about_me": '<p>Hi <script>alert(1)</script><a href="javascript:x()">me</a></p>',
        "wish_list": "<b>flowers</b>",
        "last_broadcast": "2026-06-01T10:00:00",
        "room_status": "offline",
        "photo_sets": [{"id": 1, "name": "set"}],
    }
    data.update(changes)
    return data


def seed_models(db: Database, *names: str, watch: tuple[str, ...] = ()) -> dict[str, int]:
    with db.transaction() as conn:
        ids = {
            name: persons.find_or_create(conn, name, role=Role.MODEL, seen_at=T0)[0].id
            for name in names
        }
        persons.find_or_create(conn, "just_a_viewer", role=Role.VIEWER, seen_at=T0)
    friends = watchlists.list_all(db)[0].id
    for name in watch:
        watchlists.add(db, friends, ids[name])
    return ids


def path(name: str) -> str:
    return f"/api/biocontext/{name}/"


def test_profiles_are_stored_sanitized_with_snapshots_gone_and_restricted(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given three broadcasters (zoe watchlisted) and a viewer
    ids = seed_models(db, "anna", "gone_girl", "zoe", "hidden_one", watch=("zoe",))
    only_due(db, "profile_collection")
    server.enqueue(json_reply(profile()), path=path("zoe"))
    server.enqueue(json_reply(profile(follower_count=5)), path=path("anna"))
    server.enqueue(json_reply({"detail": "gone"}, 404), path=path("gone_girl"))
    server.enqueue(
        json_reply({"code": "unavailable", "detail": "Not in your region"}, 401),
        path=path("hidden_one"),
    )
    # When the job runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then: watchlist first, only broadcasters asked, paced at 25/min (2.4 s)
    assert report.status is JobStatus.SUCCEEDED
    asked = [r.path for r in server.requests]
    assert asked[0] == path("zoe")
    assert sorted(asked) == sorted(path(n) for n in ("anna", "gone_girl", "zoe", "hidden_one"))
    assert clock.sleeps.count(2.4) == 3
    assert server.requests[0].headers["x-requested-with"] == "XMLHttpRequest"
    # stored profile: sanitized HTML, Pacific last_broadcast in UTC, raw kept
    [zoe] = rows(
        db,
        """SELECT location, languages, age, followers, gender, about_me_html, last_broadcast_at,
                  profile_status, profile_raw FROM profiles WHERE person_id = %s""",
        (ids["zoe"],),
    )
    assert zoe["location"] == "Amsterdam"
    assert (zoe["age"], zoe["followers"], zoe["gender"]) == (27, 321, "f")
    assert "<script" not in zoe["about_me_html"]
    assert "javascript" not in zoe["about_me_html"]
    assert zoe["last_broadcast_at"] == T0 - timedelta(hours=3)  # 10:00 PDT = 17:00 UTC
    assert zoe["profile_status"] == "ok"
    assert zoe["profile_raw"]["real_name"] == "A."
    assert "<script" not in zoe["profile_raw"]["about_me"]
    assert count(db, "SELECT count(*) FROM snapshots WHERE source = 'cb_profile'") == 2
    assert count(db, "SELECT count(*) FROM follower_counts WHERE source = 'cb_profile'") == 2
    marks = rows(
        db,
        "SELECT person_id, profile_status, profile_retry_after FROM profiles "
        "WHERE profile_status <> 'ok' ORDER BY person_id",
    )
    assert marks == [
        {
            "person_id": ids["gone_girl"],
            "profile_status": "gone",
            "profile_retry_after": marks[0]["profile_retry_after"],
        },
        {
            "person_id": ids["hidden_one"],
            "profile_status": "restricted",
            "profile_retry_after": marks[1]["profile_retry_after"],
        },
    ]
    assert marks[0]["profile_retry_after"] >= T0 + timedelta(days=30)
    assert (report.counts["fetched"], report.counts["gone"], report.counts["restricted"]) == (
        2,
        1,
        1,
    )


def test_second_run_asks_nobody_fresh_or_gone(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed_models(db, "anna", "gone_girl")
    only_due(db, "profile_collection")
    server.enqueue(json_reply(profile()), path=path("anna"))
    server.enqueue(json_reply({}, 404), path=path("gone_girl"))
    collector = make_collector(db, server, clock)
    collector.run_due(budget())
    # When it runs again 15 minutes later
    clock.advance(900)
    [report] = collector.run_due(budget())
    # Then nothing was asked or stored again
    assert report.counts["persons"] == 0
    assert server.request_count == 2
    assert count(db, "SELECT count(*) FROM snapshots") == 1


def test_three_429s_stop_the_batch_and_cool_the_api_down(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given five broadcasters and an API that answers 429 to everything
    seed_models(db, "m_a", "m_b", "m_c", "m_d", "m_e")
    only_due(db, "profile_collection")
    server.handler = lambda _request: json_reply({}, 429, **{"Retry-After": "30"})
    # When the job runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then it stopped after three, marked nobody done, and persisted a cool-down
    assert server.request_count == 3
    assert report.status is JobStatus.SKIPPED
    assert report.counts["stopped_because"] == "throttled"
    assert report.counts["not_done"] == 5
    assert count(db, "SELECT count(*) FROM profiles") == 0
    [cool] = rows(db, "SELECT until FROM api_cool_downs WHERE api = 'profiles'")
    assert cool["until"] > T0 + timedelta(minutes=15)
    # and a forced run ten minutes later sends nothing; the schedule waits for the cool-down
    clock.advance(600)
    [again] = make_collector(db, server, clock).run_due(budget(), only=["profile_collection"])
    assert again.status is JobStatus.SKIPPED
    assert server.request_count == 3
    [job] = rows(db, "SELECT next_run_at FROM jobs WHERE name = 'profile_collection'")
    assert job["next_run_at"] >= cool["until"]


def test_cloudflare_fails_the_run_and_cools_down(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed_models(db, "m_a", "m_b")
    only_due(db, "profile_collection")
    server.handler = lambda _request: cloudflare_reply()
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert "Cloudflare" in (report.error or "")
    assert server.request_count == 1
    assert count(db, "SELECT count(*) FROM api_cool_downs WHERE api = 'profiles'") == 1
    assert count(db, "SELECT count(*) FROM profiles") == 0


@pytest.mark.parametrize(
    "reply",
    [
        json_reply({}, 418),
        Reply(status=200, body=b"nope", headers={"Content-Type": "text/plain"}),
    ],
)
def test_one_bad_profile_does_not_stop_the_others(
    db: Database, server: FakeHttpServer, clock: FakeClock, reply: Reply
) -> None:
    seed_models(db, "bad_one", "good_one", watch=("bad_one",))
    only_due(db, "profile_collection")

    def answer(request: RecordedRequest) -> Reply:
        return reply if request.path == path("bad_one") else json_reply(profile())

    server.handler = answer
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.SUCCEEDED
    assert (report.counts["fetched"], report.counts["not_done"]) == (1, 1)
    assert rows(db, "SELECT count(*) AS n FROM profiles WHERE profile_status = 'ok'") == [{"n": 1}]


def test_server_errors_outlasting_retries_fail_the_run(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed_models(db, "m_a")
    only_due(db, "profile_collection")
    server.handler = lambda _request: json_reply({}, 503)
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert runs(db, "profile_collection")[0].error is not None


def test_nothing_to_collect_succeeds_quietly(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Profiles need no credentials: with nobody to collect the job succeeds, asking nothing
    only_due(db, "profile_collection")
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.SUCCEEDED
    assert server.request_count == 0


def test_a_default_run_asks_20_profiles_in_under_a_minute_of_paced_waits(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given more broadcasters due than one run takes, and a profile for each
    names = [f"model_{n:02d}" for n in range(60)]
    seed_models(db, *names)
    only_due(db, "profile_collection")
    server.handler = lambda request: json_reply(profile())
    started = clock()

    # When the job runs with its default config
    [report] = make_collector(db, server, clock).run_due(budget())

    # Then it fetched 20 (the default limit) and spent under a minute waiting on the pacing,
    # which is what a Lambda run is billed for
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["fetched"] == 20
    assert len(server.requests) == 20
    assert clock.sleeps.count(2.4) == 19
    assert clock() - started < timedelta(minutes=1)


def test_the_owner_can_ask_for_larger_runs(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    from mhc.services import jobs

    names = [f"model_{n:02d}" for n in range(60)]
    seed_models(db, *names)
    only_due(db, "profile_collection")
    server.handler = lambda request: json_reply(profile())
    jobs.set_values(db, "profile_collection", {"limit": 50})  # mhc jobs set ... limit=50

    [report] = make_collector(db, server, clock).run_due(budget())

    assert report.counts["fetched"] == 50
