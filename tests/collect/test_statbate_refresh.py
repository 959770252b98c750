"""Job statbate_refresh end to end: fake Statbate on loopback, real PostgreSQL, fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from collect.support import (
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
from mhc.domain.models import InteractionSource, InteractionType, JobStatus, NewInteraction
from mhc.domain.roles import Role
from mhc.services import interactions, persons, watchlists
from mhc.services.jobs import update_job

BATCH = "/api/members/chaturbate/info/batch"


def member(name: str, did: int, tokens: int = 500) -> dict[str, object]:
    return {"name": name, "did": did, "all_time_tokens": tokens, "last_tip_amount": 25}


def batch_reply(*items: dict[str, object]) -> Reply:
    return json_reply({"data": list(items), "meta": {"found": len(items), "requested": len(items)}})


def model_reply(name: str, rid: int) -> Reply:
    return json_reply(
        {
            "data": {
                "name": name,
                "rid": rid,
                "gender": 1,
                "rank": 120,
                "sessions": {"count": 3, "total_duration": 300, "average_duration": 100},
                "income": {"tokens": 9000, "usd": 450.0},
                "tags": [{"name": "tag1"}],
            },
            "meta": {},
        }
    )


def seed(db: Database) -> dict[str, int]:
    """alice (Friends), carol (a broadcaster on Ones to Watch), bob (chatted recently),
    dave (nobody in particular), smk_lover (excluded, watchlisted)."""
    with db.transaction() as conn:
        ids = {
            name: persons.find_or_create(conn, name, role=role, seen_at=T0 - timedelta(days=1))[
                0
            ].id
            for name, role in [
                ("alice", Role.VIEWER),
                ("bob", Role.VIEWER),
                ("carol", Role.MODEL),
                ("dave", Role.VIEWER),
                ("smk_lover", Role.VIEWER),
            ]
        }
        interactions.record(
            conn,
            NewInteraction(
                person_id=ids["bob"],
                type=InteractionType.CHAT_MESSAGE,
                source=InteractionSource.CB_EVENTS,
                external_id="evt-1",
                occurred_at=T0 - timedelta(days=2),
                content="hi",
            ),
        )
    lists = {w.name: w.id for w in watchlists.list_all(db)}
    watchlists.add(db, lists["Friends"], ids["alice"])
    watchlists.add(db, lists["Ones to Watch"], ids["carol"])
    watchlists.add(db, lists["Friends"], ids["smk_lover"])
    return ids


def answer(request: RecordedRequest) -> Reply:
    if request.path == BATCH:
        names = request.json()["names"]
        known = {"alice": member("alice", 101), "bob": {"name": "bob", "error": "Member not found"}}
        return batch_reply(*[known[n] for n in names if n in known])
    if request.path == "/api/model/chaturbate/carol/info":
        return model_reply("carol", 55)
    return json_reply({"error": "Model not found"}, 404)


def test_refresh_in_priority_order_with_snapshots_absences_and_pacing(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given watchlist members, a recent contact and an excluded person
    ids = seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer
    # When the refresh runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then members went in one batch (watchlist first), the model through model info
    assert report.status is JobStatus.SUCCEEDED
    batch = [r for r in server.requests if r.path == BATCH]
    assert [r.json()["names"] for r in batch] == [["alice", "bob"]]
    assert batch[0].headers["authorization"] == f"Bearer {STATBATE_TOKEN}"
    # then Statbate's member analysis of the member found (404 here: nothing stored)
    assert [r.path for r in server.requests][1:] == [
        "/api/members/chaturbate/alice/model/the_owner",
        "/api/members/chaturbate/alice/tag-spending",
        "/api/members/chaturbate/alice/tips",
        "/api/members/chaturbate/alice/activity",
        "/api/model/chaturbate/carol/info",
    ]
    # one snapshot per person found, with ids recorded for rename detection
    snaps = rows(db, "SELECT person_id, source, normalized_metrics FROM snapshots ORDER BY id")
    assert [(s["person_id"], s["source"]) for s in snaps] == [
        (ids["alice"], "statbate_member"),
        (ids["carol"], "statbate_model"),
    ]
    assert snaps[1]["normalized_metrics"]["income_tokens"] == 9000
    assert rows(db, "SELECT did FROM persons WHERE id = %s", (ids["alice"],)) == [{"did": 101}]
    assert rows(db, "SELECT rid FROM persons WHERE id = %s", (ids["carol"],)) == [{"rid": 55}]
    # bob is "not on Statbate", not an error
    assert rows(db, "SELECT person_id, source FROM statbate_absences") == [
        {"person_id": ids["bob"], "source": "statbate_member"}
    ]
    assert report.counts["not_found"] == 1
    assert report.counts["errors"] == 0
    # paced: 2 s between the two requests (the fake clock slept, the test did not)
    assert 2.0 in clock.sleeps
    [run] = runs(db, "statbate_refresh")
    assert STATBATE_TOKEN not in dumps(run.model_dump())


def test_second_run_changes_nothing_it_should_not(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a completed refresh
    seed(db)
    only_due(db, "statbate_refresh")
    server.handler = answer
    collector = make_collector(db, server, clock)
    collector.run_due(budget())
    requests = server.request_count
    # When it runs again an hour later (forced)
    clock.advance(3600)
    [report] = collector.run_due(budget(), only=["statbate_refresh"])
    # Then fresh persons and "not found" ones are not asked again; nothing new is stored
    assert report.status is JobStatus.SUCCEEDED
    assert server.request_count == requests
    assert count(db, "SELECT count(*) FROM snapshots") == 2
    # A day later the found ones are refreshed (one new snapshot each), the absent one is not
    clock.advance(24 * 3600)
    collector.run_due(budget(), only=["statbate_refresh"])
    assert count(db, "SELECT count(*) FROM snapshots") == 4
    assert [r.json()["names"] for r in server.requests if r.path == BATCH][-1] == ["alice"]


def test_a_new_name_for_a_known_did_is_a_rename(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given old_name known with did 7 on a watchlist; Statbate now reports the name new_name
    with db.transaction() as conn:
        person, _ = persons.find_or_create(conn, "old_name", did=7, seen_at=T0)
    watchlists.add(db, watchlists.list_all(db)[0].id, person.id)
    only_due(db, "statbate_refresh")
    server.enqueue(batch_reply(member("New_Name", 7)), path=BATCH)
    # When the refresh runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then the person is renamed (alias kept) and the snapshot is theirs
    assert report.counts["renamed"] == 1
    assert rows(db, "SELECT username FROM persons WHERE id = %s", (person.id,)) == [
        {"username": "new_name"}
    ]
    assert rows(db, "SELECT username FROM person_aliases WHERE person_id = %s", (person.id,)) == [
        {"username": "old_name"}
    ]
    assert count(db, "SELECT count(*) FROM snapshots WHERE person_id = %s", (person.id,)) == 1


@pytest.mark.parametrize(
    ("reply", "error_part"),
    [
        (json_reply({"message": "Unauthenticated."}, 401), "AuthError"),
        (json_reply({"message": "Forbidden"}, 403), "AuthError"),
        (json_reply({}, 503), "TransientExhausted"),
        (
            Reply(status=200, body=b"<html>oops</html>", headers={"Content-Type": "text/plain"}),
            "not JSON",
        ),
        (json_reply({"error": "The names field is required."}, 422), "request rejected"),
        (json_reply({"error": "bad"}, 400), "HTTP 400"),
    ],
)
def test_each_error_class_fails_visibly_without_snapshots(
    db: Database, server: FakeHttpServer, clock: FakeClock, reply: Reply, error_part: str
) -> None:
    seed(db)
    only_due(db, "statbate_refresh")
    server.handler = lambda _request: reply
    [report] = make_collector(db, server, clock).run_due(budget())
    assert report.status is JobStatus.FAILED
    assert error_part in (report.error or "")
    assert STATBATE_TOKEN not in (report.error or "")
    assert count(db, "SELECT count(*) FROM snapshots") == 0
    assert count(db, "SELECT count(*) FROM statbate_absences") == 0


def test_repeated_item_errors_stop_the_run_instead_of_a_storm(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given 12 broadcasters on a watchlist and a model endpoint that always answers 422
    with db.transaction() as conn:
        people = [
            persons.find_or_create(conn, f"model_{i}", role=Role.MODEL, seen_at=T0)[0]
            for i in range(12)
        ]
    for person in people:
        watchlists.add(db, watchlists.list_all(db)[0].id, person.id)
    only_due(db, "statbate_refresh")
    server.handler = lambda _request: json_reply({"error": "invalid"}, 422)
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then it stopped after 5 failures in a row
    assert server.request_count == 5
    assert report.status is JobStatus.FAILED
    assert report.counts["stopped_because"] == "errors"


def test_missing_token_is_not_configured(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    seed(db)
    only_due(db, "statbate_refresh")
    settings = settings_for(server, mhc_statbate_token=None)
    [report] = make_collector(db, server, clock, settings=settings).run_due(budget())
    assert report.status is JobStatus.NOT_CONFIGURED
    assert "MHC_STATBATE_TOKEN" in (report.error or "")
    assert server.request_count == 0


def test_config_filters_choose_who_is_refreshed(
    db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given only the Friends list, no recent contacts, and the MODEL role group
    ids = seed(db)
    update_job(
        db, "statbate_refresh", config={"watchlists": ["Friends"], "recent_days": 0, "roles": []}
    )
    only_due(db, "statbate_refresh")
    server.handler = answer
    make_collector(db, server, clock).run_due(budget())
    # Then only alice was asked (carol's list and bob's chat are not chosen; smk_lover excluded)
    assert [r.json()["names"] for r in server.requests if r.path == BATCH] == [["alice"]]
    assert not any("carol" in r.path or "bob" in r.path for r in server.requests)
    assert ids["alice"] > 0
