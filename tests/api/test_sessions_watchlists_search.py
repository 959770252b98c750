"""Sessions, watchlists and full-text search routes."""

from __future__ import annotations

from datetime import timedelta

from api.api_support import NOW, T0, Seed
from fakes.clock import FakeClock
from fastapi.testclient import TestClient


def test_session_lifecycle(client: TestClient, clock: FakeClock) -> None:
    # Given no session / Then current says not live
    assert client.get("/api/sessions/current").json() == {
        "live": False,
        "session": None,
        "stats": None,
    }
    started = client.post("/api/sessions/start").json()["session"]
    assert started["started_at"].startswith(NOW.isoformat()[:19])
    clock.advance(600)
    current = client.get("/api/sessions/current").json()
    assert current["live"] is True
    assert current["stats"]["duration_seconds"] == 600
    ended = client.post("/api/sessions/end").json()["session"]
    assert ended["id"] == started["id"]
    assert client.post("/api/sessions/end").json() == {"session": None}
    assert [s["id"] for s in client.get("/api/sessions").json()] == [started["id"]]
    before = client.get("/api/sessions", params={"before": started["started_at"]}).json()
    assert before == []


def test_session_detail_has_stats_and_room_interactions(client: TestClient, seeded: Seed) -> None:
    body = client.get(f"/api/sessions/{seeded.session}").json()
    assert body["session"]["id"] == seeded.session
    # 4 interactions in the owner's room by non-excluded persons; 2 tips, 125 tokens
    assert body["stats"]["interactions"] == 4
    assert body["stats"]["tips"] == 2
    assert body["stats"]["tokens"] == 125
    assert body["stats"]["duration_seconds"] == int((NOW - T0).total_seconds())
    assert len(body["interactions"]["items"]) == 4  # excluded persons are left out here too
    paged = client.get(f"/api/sessions/{seeded.session}", params={"limit": 2}).json()
    assert paged["interactions"]["next_cursor"]


def test_session_routes_need_the_owner(client: TestClient, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    from mhc.config import get_settings

    monkeypatch.delenv("MHC_OWNER_USERNAME")
    get_settings.cache_clear()
    response = client.get("/api/sessions/current")
    assert response.status_code == 503
    assert "MHC_OWNER_USERNAME" in response.json()["error"]["message"]


def test_watchlists_members_add_remove(client: TestClient, seeded: Seed) -> None:
    lists = client.get("/api/watchlists").json()
    assert [w["name"] for w in lists][:2] == ["Friends", "Known Streamers"]
    assert lists[0]["member_count"] == 1
    added = client.put(f"/api/watchlists/1/members/{seeded.bob}").json()
    assert added == {"watchlist_id": 1, "person_id": seeded.bob, "member": True, "changed": True}
    assert client.put(f"/api/watchlists/1/members/{seeded.bob}").json()["changed"] is False
    members = {m["person"]["username"]: m for m in client.get("/api/watchlists/1/members").json()}
    assert set(members) == {"alice_01", "bob_02"}
    alice, bob = members["alice_01"], members["bob_02"]
    assert alice["last_snapshot"]["delta"] == {"all_time_tokens": 80}
    assert alice["last_interaction_at"] is not None
    assert alice["online"] is None  # never seen in the online feed: unknown
    assert bob["online"] is True  # seen in the affiliate feed 3 minutes ago
    removed = client.delete(f"/api/watchlists/1/members/{seeded.bob}").json()
    assert removed["changed"] is True
    assert client.delete(f"/api/watchlists/1/members/{seeded.bob}").json()["changed"] is False
    assert client.put("/api/watchlists/999/members/1").status_code == 404
    assert client.put("/api/watchlists/1/members/999").status_code == 404


def test_online_status_expires(client: TestClient, seeded: Seed, clock: FakeClock) -> None:
    client.put(f"/api/watchlists/1/members/{seeded.bob}")
    clock.advance(timedelta(minutes=30).total_seconds())
    members = {m["person"]["username"]: m for m in client.get("/api/watchlists/1/members").json()}
    assert members["bob_02"]["online"] is None
    assert members["bob_02"]["last_seen_online_at"] is not None


def test_search_full_text_with_types_and_paging(client: TestClient, seeded: Seed) -> None:
    hits = client.get("/api/search", params={"q": "hello"}).json()
    assert [i["content"] for i in hits["items"]] == ["hello in private", "hello purple lights"]
    private = client.get("/api/search", params={"q": "hello", "type": "PRIVATE_MESSAGE"}).json()
    assert [i["content"] for i in private["items"]] == ["hello in private"]
    notes = client.get("/api/search", params={"q": "purple"}).json()
    assert {i["type"] for i in notes["items"]} == {"MANUAL_NOTE", "CHAT_MESSAGE"}
    with_excluded = client.get("/api/search", params={"q": "hello", "include_excluded": True})
    assert len(with_excluded.json()["items"]) == 3
    page = client.get("/api/search", params={"q": "hello", "limit": 1}).json()
    rest = client.get(
        "/api/search", params={"q": "hello", "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert rest["items"][0]["content"] == "hello purple lights"
    empty = client.get("/api/search", params={"q": "   "})
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "q"
