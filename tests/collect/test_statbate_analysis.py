"""Statbate's member analysis through the scheduled refresh: fake Statbate on loopback (the
documented shapes), real PostgreSQL, fake clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from collect.support import (
    OWNER,
    STATBATE_TOKEN,
    T0,
    budget,
    count,
    dumps,
    make_collector,
    only_due,
    rows,
    runs,
    settings_for,
)
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, RecordedRequest, Reply, json_reply
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.roles import Role
from mhc.services import persons, watchlists
from mhc.services.jobs import update_job

BATCH = "/api/members/chaturbate/info/batch"
BASE = "/api/members/chaturbate/alice"

ON_MODEL = {
    "data": {
        "member": {"name": "alice", "did": 101},
        "model": {"name": OWNER, "rid": 7, "gender": 1},
        "total": {"tokens": 1200, "usd": 60.0, "tips": 30},
        "daily_spending": [{"date": "2026-05-01", "tokens": 100, "usd": 5.0, "tips": 2}],
    },
    "meta": {"site": "chaturbate", "range": ["2024-02-03 04:05:06", "2026-06-01 20:00:00"]},
}
TAGS = {
    "data": [
        {"position": 1, "tag": "feet", "total_tokens": 900, "models_count": 12},
        {"position": 2, "tag": "asian", "total_tokens": 300, "models_count": 4},
        {"position": 3, "tag": None, "total_tokens": 5},
    ],
    "meta": {"site": "chaturbate"},
}
TIPS = {
    "data": [
        {"time": "2026-05-30T10:00:00+00:00", "model": "Model_A", "rid": 1, "tokens": 60},
        {"time": "2026-05-29T10:00:00+00:00", "model": "model_a", "rid": 1, "tokens": 40},
        {"time": "2026-05-28T10:00:00+00:00", "model": "model_b", "rid": 2, "tokens": 50},
    ],
    "meta": {"pagination": {"total": 3, "per_page": 200, "current_page": 1, "last_page": 1}},
}
ACTIVITY = {
    "data": {
        "hourly": [{"hour": 21, "tip_count": 4, "token_sum": 100}, {"hour": 3, "tip_count": 1}],
        "daily": [{"day_of_week": 1, "day_name": "Monday", "tip_count": 5}],
    },
    "meta": {"timezone": "Europe/Berlin"},
}


def seed(db: Database) -> int:
    with db.transaction() as conn:
        alice, _ = persons.find_or_create(
            conn, "alice", role=Role.VIEWER, seen_at=T0 - timedelta(days=1)
        )
    watchlists.add(db, watchlists.list_all(db)[0].id, alice.id)
    return alice.id


def member_reply() -> Reply:
    item = {
        "name": "alice",
        "did": 101,
        "all_time_tokens": 6000,
        "first_tip_date": "2024-02-03T04:05:06+00:00",
    }
    return json_reply({"data": [item], "meta": {"found": 1, "requested": 1}})


def answer(replies: dict[str, Reply]) -> Any:
    def handler(request: RecordedRequest) -> Reply:
        if request.path == BATCH:
            return member_reply()
        return replies.get(request.path, json_reply({"error": "Member not found"}, 404))

    return handler


def test_the_refresh_stores_each_analysis_answer_as_a_snapshot(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a watchlisted member Statbate knows, and an owner in Berlin
    alice = seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer(
        {
            f"{BASE}/model/{OWNER}": json_reply(ON_MODEL),
            f"{BASE}/tag-spending": json_reply(TAGS),
            f"{BASE}/tips": json_reply(TIPS),
            f"{BASE}/activity": json_reply(ACTIVITY),
        }
    )
    settings = settings_for(server, mhc_owner_timezone="Europe/Berlin")
    # When the refresh runs
    [report] = make_collector(db, server, clock, settings=settings).run_due(budget())
    # Then the four answers are snapshots of hers, normalized
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["analysis_snapshots"] == 4
    assert report.counts["requests"] == 5
    snaps = {
        r["source"]: r
        for r in rows(
            db,
            "SELECT source, normalized_metrics, raw_payload FROM snapshots WHERE person_id = %s",
            (alice,),
        )
    }
    assert snaps["statbate_member_on_model"]["normalized_metrics"] == {
        "tokens": 1200,
        "tips": 30,
        "usd": 60.0,
        "range_start": "2024-02-03 04:05:06",
        "range_end": "2026-06-01 20:00:00",
    }
    assert snaps["statbate_member_on_model"]["raw_payload"] == ON_MODEL  # kept whole
    assert snaps["statbate_tag_spending"]["normalized_metrics"] == {
        "tags": {"feet": 900, "asian": 300},
        "rooms": 12,
        "tag_count": 2,
    }
    tips = snaps["statbate_member_tips"]["normalized_metrics"]
    assert (tips["tips"], tips["tokens"], tips["rooms"]) == (
        3,
        150,
        {"model_a": 100, "model_b": 50},
    )
    activity = snaps["statbate_member_activity"]["normalized_metrics"]
    assert activity["tips_by_hour"][21] == 4
    assert activity["tips_by_hour"][3] == 1
    assert activity["tips_by_day"] == [5, 0, 0, 0, 0, 0, 0]
    assert activity["timezone"] == "Europe/Berlin"
    # and each request asked what the figures need: her range from her first tip, the owner's
    # timezone, the largest pages
    requests = {r.path: r for r in server.requests}
    on_model = requests[f"{BASE}/model/{OWNER}"]
    assert on_model.query["range[0]"] == ["2024-02-03 04:05:06"]
    assert on_model.query["range[1]"] == ["2026-06-01 20:00:00"]
    assert requests[f"{BASE}/activity"].query["timezone"] == ["Europe/Berlin"]
    assert requests[f"{BASE}/tips"].query["per_page"] == ["200"]
    assert requests[f"{BASE}/tag-spending"].query["per_page"] == ["50"]
    assert all(r.headers["authorization"] == f"Bearer {STATBATE_TOKEN}" for r in server.requests)
    # paced like every Statbate request: five requests, four pauses of 2 s
    assert clock.sleeps.count(2.0) == 4


def test_a_failing_endpoint_is_counted_and_the_others_still_stored(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    alice = seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer(
        {
            f"{BASE}/model/{OWNER}": json_reply({"error": "The range is invalid."}, 422),
            f"{BASE}/tag-spending": json_reply(TAGS),
            f"{BASE}/tips": Reply(status=200, body=b"<html>not json</html>"),
        }
    )
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["errors"] == 2
    assert report.counts["analysis_snapshots"] == 1  # tags; activity was not found
    sources = {
        r["source"] for r in rows(db, "SELECT source FROM snapshots WHERE person_id = %s", (alice,))
    }
    assert sources == {"statbate_member", "statbate_tag_spending"}
    [run] = runs(db, "statbate_refresh")
    assert run.error is not None
    assert "statbate_member_on_model" in run.error
    assert STATBATE_TOKEN not in dumps(run.model_dump())


def test_a_rejected_token_on_an_analysis_endpoint_fails_the_run(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer(
        {f"{BASE}/model/{OWNER}": json_reply({"message": "Unauthenticated."}, 401)}
    )
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert count(db, "SELECT count(*) FROM snapshots WHERE source LIKE 'statbate_member_%%'") == 0


def test_the_analysis_limit_bounds_the_extra_requests(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed(db)
    update_job(db, "statbate_refresh", config={"analysis_limit": 0})
    only_due(db, "statbate_refresh")
    server.handler = answer({})
    make_collector(db, server, clock).run_due(budget())
    assert [r.path for r in server.requests] == [BATCH]


def test_without_an_owner_the_spending_in_her_room_is_not_asked(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer({})
    settings = settings_for(server, mhc_owner_username=None)
    make_collector(db, server, clock, settings=settings).run_due(budget())
    assert not any("/model/" in r.path for r in server.requests)
    assert f"{BASE}/tag-spending" in {r.path for r in server.requests}


def test_the_deadline_stops_the_analysis_cleanly(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a budget that leaves 8 s after the safety margin: the batch at 0 s, then paced
    # analysis requests at 2, 4 and 6 s; the one at 8 s would be past the deadline
    alice = seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer(
        {f"{BASE}/model/{OWNER}": json_reply(ON_MODEL), f"{BASE}/tag-spending": json_reply(TAGS)}
    )
    [report] = make_collector(db, server, clock).run_due(budget(18))
    # Then the run ends as "deadline", and what was fetched before it is stored
    assert report.counts["stopped_because"] == "deadline"
    assert report.status is JobStatus.SUCCEEDED
    assert [r.path for r in server.requests] == [
        BATCH,
        f"{BASE}/model/{OWNER}",
        f"{BASE}/tag-spending",
        f"{BASE}/tips",
    ]
    sources = {
        r["source"] for r in rows(db, "SELECT source FROM snapshots WHERE person_id = %s", (alice,))
    }
    assert sources == {"statbate_member", "statbate_member_on_model", "statbate_tag_spending"}
