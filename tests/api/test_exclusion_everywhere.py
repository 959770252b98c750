"""Exclusion everywhere: with an excluded big tipper present, no aggregate and no list the API
returns includes them (only their own person page and the Excluded list name them), the Excluded
list and the flag are one thing, and an anonymous tip never names its tipper."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from api.api_support import OWNER, T0, Seed, all_routes, concrete
from collect.support import budget, make_collector, only_due, room
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, json_reply
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.db.connection import Database
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.services import interactions, watchlists

EXCLUDED = "smk_lover"
BIG_TIP = 77_777


def _big_tips(db: Database, person_id: int) -> None:
    """The excluded person tips big in the owner's room during the session, and chats."""
    with db.transaction() as conn:
        for minute, kind, metadata in (
            (6, InteractionType.TIP_EVENT, {"tokens": BIG_TIP}),
            (7, InteractionType.CHAT_MESSAGE, {}),
            (8, InteractionType.USER_ENTER, {}),
        ):
            interactions.record(
                conn,
                NewInteraction(
                    person_id=person_id,
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"whale-{minute}",
                    occurred_at=T0 + timedelta(minutes=minute),
                    broadcaster=OWNER,
                    content="hello from the whale",
                    metadata=metadata,
                ),
            )


def _own_pages(seed: Seed, path: str) -> bool:
    return f"/api/persons/{seed.excluded}" in path


def test_no_aggregate_or_list_names_an_excluded_person(
    app: FastAPI, client: TestClient, seeded: Seed, db: Database
) -> None:
    # Given the excluded person tipping big, on Friends and on the Excluded list
    _big_tips(db, seeded.excluded)
    friends = watchlists.list_all(db)[0].id
    watchlists.add(db, friends, seeded.excluded)
    excluded_list = next(w.id for w in watchlists.list_all(db) if w.name == "Excluded")
    values = {
        "person_id": str(seeded.alice),
        "session_id": str(seeded.session),
        "watchlist_id": str(friends),
        "name": "cb_stats",
    }
    queries: dict[str, dict[str, str]] = {
        "/api/search": {"q": "hello"},
        "/api/persons": {"q": "smk"},
        "/api/persons/{person_id}/snapshots": {"source": "statbate_member"},
    }
    # When every GET route is read (new routes are covered automatically)
    checked = []
    for method, template in all_routes(app):
        if method != "GET" or template in ("/api/docs", "/api/openapi.json"):
            continue
        path = concrete(template, values)
        response = client.get(path, params=queries.get(template, {}))
        assert response.status_code == 200, (path, response.text)
        text = response.text
        # Then the excluded person's name, id and tokens appear nowhere
        assert EXCLUDED not in text, path
        assert str(BIG_TIP) not in text, path
        checked.append(path)
    assert len(checked) >= 12
    # And the figures are the ones without them
    owner = client.get("/api/owner").json()
    assert owner["current_session"]["stats"]["tokens"] == 125
    assert owner["current_session"]["stats"]["distinct_visitors"] == 1
    lists = {w["name"]: w["member_count"] for w in client.get("/api/watchlists").json()}
    assert lists["Friends"] == 1  # alice; not the excluded person
    assert lists["Excluded"] == 1
    members = client.get(f"/api/watchlists/{excluded_list}/members").json()
    assert [m["person"]["username"] for m in members] == [EXCLUDED]
    # Only their own page names them, with their own history
    own = client.get(f"/api/persons/{seeded.excluded}").json()
    assert own["person"]["is_excluded"] is True
    assert any(i["content"] == "hello from the whale" for i in own["recent_interactions"])


def test_the_excluded_list_and_the_flag_are_one_thing(
    client: TestClient, seeded: Seed, db: Database
) -> None:
    lists = {w["name"]: w["id"] for w in client.get("/api/watchlists").json()}
    # smk_lover is excluded and on the Excluded list from the start
    members = client.get(f"/api/watchlists/{lists['Excluded']}/members").json()
    assert [m["person"]["username"] for m in members] == [EXCLUDED]
    # Adding alice to the Excluded list excludes her (her tips leave the session totals)
    assert (
        client.put(f"/api/watchlists/{lists['Excluded']}/members/{seeded.alice}").status_code == 200
    )
    assert client.get(f"/api/persons/{seeded.alice}").json()["person"]["is_excluded"] is True
    assert client.get("/api/owner").json()["current_session"]["stats"]["tokens"] == 100
    # Clearing her flag takes her off the list
    client.patch(f"/api/persons/{seeded.alice}", json={"is_excluded": False})
    members = client.get(f"/api/watchlists/{lists['Excluded']}/members").json()
    assert seeded.alice not in [m["person"]["id"] for m in members]
    # Removing smk_lover from the list includes them again
    client.delete(f"/api/watchlists/{lists['Excluded']}/members/{seeded.excluded}")
    assert client.get(f"/api/persons/{seeded.excluded}").json()["person"]["is_excluded"] is False


def test_an_anonymous_tip_never_names_its_tipper(client: TestClient, seeded: Seed) -> None:
    # bob's tip of 100 is anonymous: the dashboard, the session page and search agree
    tips = client.get("/api/owner").json()["recent_tips"]["items"]
    session = client.get(f"/api/sessions/{seeded.session}").json()
    found = client.get("/api/search", params={"q": "secret"}).json()["items"]
    session_tip = next(
        i for i in session["interactions"]["items"] if i["content"] == "secret admirer"
    )
    for item in (session_tip, found[0]):
        assert item["is_anonymous"] is True
        assert (item["person_id"], item["person_username"]) == (None, None)
    assert next(t for t in tips if t["is_anonymous"])["username"] is None
    # The tokens count for the session, never under bob's name
    assert session["stats"]["tokens"] == 125
    bob = client.get(f"/api/persons/{seeded.bob}").json()
    assert "secret admirer" not in json.dumps(bob)
    assert bob["interaction_counts"].get("TIP_EVENT", 0) == 0


def test_the_affiliate_sweep_does_not_count_an_excluded_watchlist_member(
    db: Database, server: FakeHttpServer, clock: FakeClock, seeded: Seed
) -> None:
    # Given the excluded person and alice, both on Friends, both online in the feed
    friends = watchlists.list_all(db)[0].id
    watchlists.add(db, friends, seeded.excluded)
    only_due(db, "affiliate_sweep")
    feed: dict[str, Any] = {"count": 2, "results": [room(EXCLUDED), room("alice_01")]}
    server.enqueue(json_reply(feed))
    # When the sweep runs
    [report] = make_collector(db, server, clock).run_due(budget())
    # Then only alice counts as a watchlist member online
    assert report.counts["watchlist_online"] == 1
