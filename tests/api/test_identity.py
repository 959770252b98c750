"""Identity across renames, end to end through the API: Statbate's did reveals a rename (lookup
and the refresh job), pre-existing duplicates are merged by the owner and unmerged, explicit roles
stick, and a lookup is not an observation."""

from __future__ import annotations

from typing import Any

from api.api_support import FakeStatbate
from collect.support import budget, make_collector, only_due
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, json_reply
from fastapi.testclient import TestClient
from helpers import seen
from mhc.db.connection import Database
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.domain.roles import Role
from mhc.services import interactions, watchlists

BATCH = "/api/members/chaturbate/info/batch"


def member(name: str, did: int, tokens: int = 500) -> dict[str, Any]:
    return {"name": name, "did": did, "all_time_tokens": tokens, "last_tip_amount": 25}


def chat(db: Database, person_id: int, external_id: str, clock: FakeClock) -> None:
    with db.transaction() as conn:
        interactions.record(
            conn,
            NewInteraction(
                person_id=person_id,
                type=InteractionType.CHAT_MESSAGE,
                source=InteractionSource.CB_EVENTS,
                external_id=external_id,
                occurred_at=clock(),
                broadcaster="the_owner",
                content=f"said {external_id}",
            ),
        )


def lookup(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/lookup", json={"username": name, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_rename_seen_by_lookup_makes_one_person_with_both_names(
    client: TestClient, statbate: FakeStatbate, db: Database, clock: FakeClock
) -> None:
    # Given Statbate knows old_name_x as did 288077, and the owner looked them up
    statbate.members["old_name_x"] = member("old_name_x", 288077)
    first = lookup(client, "old_name_x", include_statbate=True)
    person_id = first["person"]["id"]
    assert first["person"]["did"] == 288077
    chat(db, person_id, "before-rename", clock)
    # When Statbate later answers new_name_x with the same did
    statbate.members["new_name_x"] = member("new_name_x", 288077, tokens=600)
    clock.advance(3600)
    renamed = lookup(client, "new_name_x", include_statbate=True)
    # Then it is the same person, now called new_name_x, the old name an alias with valid_to
    assert renamed["resolution"] == "merged"
    assert renamed["person"]["id"] == person_id
    assert renamed["person"]["username"] == "new_name_x"
    assert renamed["person"]["did"] == 288077
    [alias] = renamed["aliases"]
    assert (alias["username"], alias["source"]) == ("old_name_x", "statbate_did")
    assert alias["valid_to"] is not None
    assert any("renamed" in notice for notice in renamed["notices"])
    # And lookups of either name land on it, with everything seen under both names
    assert lookup(client, "old_name_x")["person"]["id"] == person_id
    assert lookup(client, "new_name_x")["person"]["id"] == person_id
    detail = client.get(f"/api/persons/{person_id}").json()
    assert [
        i["external_id"] for i in detail["recent_interactions"] if i["type"] == "CHAT_MESSAGE"
    ] == ["before-rename"]
    snapshots = client.get(
        f"/api/persons/{person_id}/snapshots", params={"source": "statbate_member"}
    ).json()
    assert [s["snapshot"]["normalized_metrics"]["all_time_tokens"] for s in snapshots] == [500, 600]
    # And the shell row the second lookup created reads as the person
    [shell] = detail["merged"]
    assert shell["username"] == "new_name_x"
    assert client.get(f"/api/persons/{shell['id']}").json()["person"]["id"] == person_id


def test_the_refresh_job_merges_a_pre_existing_duplicate(
    client: TestClient, db: Database, server: FakeHttpServer, clock: FakeClock
) -> None:
    # Given a member known by did 999 as old_y, and a second row for new_y seen in the room
    old, _ = seen(db, "old_y", did=999, at=clock())
    new, _ = seen(db, "new_y", at=clock())
    chat(db, new.id, "as-new-y", clock)
    watchlists.add(db, watchlists.list_all(db)[0].id, new.id)
    only_due(db, "statbate_refresh")
    # When the refresh job hears from Statbate that new_y has did 999
    server.enqueue(json_reply({"data": [member("new_y", 999)], "meta": {}}), path=BATCH)
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then the rename is recognised: one person named new_y, with both histories
    assert report.counts["renamed"] == 1
    survivor = client.get(f"/api/persons/{new.id}").json()
    assert survivor["person"]["id"] == old.id
    assert survivor["person"]["username"] == "new_y"
    assert [a["username"] for a in survivor["aliases"]] == ["old_y"]
    assert "as-new-y" in [i["external_id"] for i in survivor["recent_interactions"]]
    # And the watchlist counts the human once, under the survivor
    [member_row] = client.get(f"/api/watchlists/{watchlists.list_all(db)[0].id}/members").json()
    assert member_row["person"]["id"] == old.id
    # And unmerge puts both rows back as they were
    back = client.post(f"/api/persons/{old.id}/unmerge", json={"from": new.id})
    assert back.status_code == 200, back.text
    assert back.json()["username"] == "new_y"
    restored = client.get(f"/api/persons/{old.id}").json()
    assert (restored["person"]["username"], restored["person"]["did"]) == ("old_y", 999)
    assert restored["aliases"] == []


def test_the_owner_merges_two_rows_and_unmerges_them(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    # Given two rows the owner knows are one human, each with its own history
    a, _ = seen(db, "main_name", role=Role.VIEWER, at=clock())
    b, _ = seen(db, "second_account", role=Role.MODEL, at=clock())
    chat(db, a.id, "from-a", clock)
    chat(db, b.id, "from-b", clock)
    # When the owner merges b into a (twice: idempotent)
    first = client.post(f"/api/persons/{a.id}/merge", json={"from": b.id})
    again = client.post(f"/api/persons/{a.id}/merge", json={"from": b.id})
    assert first.status_code == again.status_code == 200, first.text
    # Then a keeps its name, b's name is an alias, both histories are one timeline
    detail = client.get(f"/api/persons/{a.id}").json()
    assert detail["person"]["username"] == "main_name"
    assert detail["person"]["role"] == "BOTH"
    assert [(x["username"], x["source"]) for x in detail["aliases"]] == [
        ("second_account", "merge")
    ]
    assert sorted(i["external_id"] for i in detail["recent_interactions"]) == ["from-a", "from-b"]
    assert (
        client.post("/api/lookup", json={"username": "second_account"}).json()["person"]["id"]
        == a.id
    )
    page = client.get(f"/api/persons/{b.id}/interactions").json()
    assert sorted(i["external_id"] for i in page["items"]) == ["from-a", "from-b"]
    # And the interactions table itself was never rewritten
    with db.transaction() as conn:
        owners = {
            row["external_id"]: row["person_id"]
            for row in conn.execute("SELECT external_id, person_id FROM interactions")
        }
    assert owners == {"from-a": a.id, "from-b": b.id}
    # When the owner unmerges
    undone = client.post(f"/api/persons/{a.id}/unmerge", json={"from": b.id})
    assert undone.status_code == 200, undone.text
    # Then both are persons of their own again
    assert client.get(f"/api/persons/{b.id}").json()["person"]["username"] == "second_account"
    after = client.get(f"/api/persons/{a.id}").json()
    assert (after["aliases"], after["merged"], after["person"]["role"]) == ([], [], "VIEWER")
    assert [i["external_id"] for i in after["recent_interactions"]] == ["from-a"]


def test_merging_two_statbate_members_is_refused_and_bad_merges_are_named(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    a, _ = seen(db, "member_one", did=1, at=clock())
    b, _ = seen(db, "member_two", did=2, at=clock())
    conflict = client.post(f"/api/persons/{a.id}/merge", json={"from": b.id})
    assert conflict.status_code == 409
    assert "different Statbate dids" in conflict.json()["error"]["message"]
    assert client.post(f"/api/persons/{a.id}/merge", json={"from": a.id}).status_code == 422
    assert client.post(f"/api/persons/{a.id}/merge", json={"from": 999999}).status_code == 404
    # Nothing changed
    assert client.get(f"/api/persons/{b.id}").json()["person"]["id"] == b.id


def test_an_alias_that_is_someone_elses_name_points_to_merge(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    a, _ = seen(db, "keeper", at=clock())
    b, _ = seen(db, "other_row", at=clock())
    response = client.post(f"/api/persons/{a.id}/aliases", json={"old_username": "other_row"})
    assert response.status_code == 409
    assert f"/api/persons/{a.id}/merge" in response.json()["error"]["message"]
    assert b.id > 0


def test_an_explicit_role_from_lookup_sticks(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    # Given a person seen broadcasting
    seen(db, "viewer_bob", role=Role.MODEL, at=clock())
    # When the owner looks them up saying they are a viewer
    body = lookup(client, "viewer_bob", role="VIEWER")
    # Then the role is the owner's, and stays so when they are seen broadcasting again
    assert (body["person"]["role"], body["person"]["role_is_manual"]) == ("VIEWER", True)
    person, _ = seen(db, "viewer_bob", role=Role.MODEL, at=clock())
    assert person.role is Role.VIEWER


def test_a_lookup_is_not_an_observation(client: TestClient, db: Database, clock: FakeClock) -> None:
    # Given a person last observed yesterday
    clock.advance(-86400)
    observed, _ = seen(db, "seen_before", at=clock())
    clock.advance(86400)
    # When the owner looks them up, and looks up someone never observed
    known = lookup(client, "seen_before")
    fresh = lookup(client, "typo_name")
    # Then last seen is still the observation, and the new person has none
    assert known["person"]["last_seen_at"] == observed.last_seen_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert fresh["person"]["last_seen_at"] is None
    assert fresh["person"]["first_seen_at"] is None
