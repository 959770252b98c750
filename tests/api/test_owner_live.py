"""The owner's live status on GET /api/owner: every live signal (open session, Stats API, the
affiliate feed), the one that decided, and how fresh each is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.api_support import NOW, OWNER
from fastapi.testclient import TestClient
from mhc.db.connection import Database
from mhc.domain.models import SnapshotSource
from mhc.domain.roles import Role
from mhc.services import persons, snapshots


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def owner_id(db: Database) -> int:
    with db.transaction() as conn:
        person, _ = persons.find_or_create(
            conn, OWNER, role=Role.MODEL, seen_at=NOW - timedelta(days=1)
        )
    return person.id


def stats(db: Database, *, minutes_ago: float, time_online: int) -> None:
    with db.transaction() as conn:
        snapshots.append(
            conn,
            owner_id(db),
            SnapshotSource.CB_STATS,
            captured_at=NOW - timedelta(minutes=minutes_ago),
            raw_payload={"time_online": time_online, "num_followers": 100},
            normalized_metrics={
                "time_online_minutes": None if time_online < 0 else time_online,
                "num_followers": 100,
            },
        )


def seen_in_feed(db: Database, *, minutes_ago: float) -> None:
    with db.transaction() as conn:
        snapshots.append(
            conn,
            owner_id(db),
            SnapshotSource.AFFILIATE,
            captured_at=NOW - timedelta(minutes=minutes_ago),
            raw_payload={"username": OWNER, "seconds_online": 600},
            normalized_metrics={"seconds_online": 600},
        )


def session(db: Database, start_minutes_ago: float, end_minutes_ago: float | None) -> int:
    end = None if end_minutes_ago is None else NOW - timedelta(minutes=end_minutes_ago)
    with db.transaction() as conn:
        row = conn.execute(
            """INSERT INTO stream_sessions (started_at, ended_at, source)
               VALUES (%s, %s, 'cb_events') RETURNING id""",
            (NOW - timedelta(minutes=start_minutes_ago), end),
        ).fetchone()
    assert row is not None
    return int(row["id"])


def live(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/owner")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["live"]
    return body


def test_a_fresh_stats_snapshot_online_for_95_minutes_means_live(
    client: TestClient, db: Database
) -> None:
    # Given yesterday's session, long over, and a Stats API snapshot 2 minutes old: online 95 min
    session(db, 26 * 60, 24 * 60)
    stats(db, minutes_ago=2, time_online=95)
    status = live(client)
    # Then the owner is live, said by the Stats API, since 95 minutes before the snapshot
    assert status["is_live"] is True
    assert (status["provider"], status["source"]) == ("chaturbate", "cb_stats")
    assert status["since"] == iso(NOW - timedelta(minutes=97))
    decided = status["decided_by"]
    assert (decided["source"], decided["age_seconds"], decided["fresh"]) == ("cb_stats", 120, True)
    # and every signal is listed with its age
    assert {s["source"]: s["is_live"] for s in status["signals"]} == {
        "stream_sessions": False,
        "cb_stats": True,
    }


def test_the_stats_api_saying_offline_after_a_session_was_left_open_means_offline(
    client: TestClient, db: Database
) -> None:
    # Given a session open for 3 hours (its stop was missed) and the Stats API, 3 minutes ago,
    # saying offline
    open_id = session(db, 180, None)
    stats(db, minutes_ago=3, time_online=-1)
    response = client.get("/api/owner").json()
    assert response["live"]["is_live"] is False
    assert response["live"]["source"] == "cb_stats"
    # The open session is still there for the owner to end
    assert response["current_session"]["session"]["id"] == open_id


def test_a_session_started_a_minute_ago_beats_a_stats_snapshot_from_before_it(
    client: TestClient, db: Database
) -> None:
    session(db, 1, None)
    stats(db, minutes_ago=2, time_online=-1)
    status = live(client)
    assert (status["is_live"], status["source"]) == (True, "stream_sessions")
    assert status["since"] == iso(NOW - timedelta(minutes=1))


def test_a_stale_stats_snapshot_decides_nothing(client: TestClient, db: Database) -> None:
    stats(db, minutes_ago=20, time_online=95)
    status = live(client)
    assert (status["is_live"], status["decided_by"], status["since"]) == (None, None, None)
    [signal] = status["signals"]
    assert (signal["source"], signal["fresh"]) == ("cb_stats", False)


def test_a_feed_sighting_alone_means_live_but_not_after_a_stop_event(
    client: TestClient, db: Database
) -> None:
    seen_in_feed(db, minutes_ago=3)
    status = live(client)
    assert (status["is_live"], status["source"]) == (True, "affiliate")
    # The feed lists rooms for a while after they go offline: a stop a minute ago wins
    session(db, 120, 1)
    status = live(client)
    assert (status["is_live"], status["source"]) == (False, "stream_sessions")


def test_no_signal_at_all_is_unknown_not_offline(client: TestClient) -> None:
    status = live(client)
    assert (status["is_live"], status["decided_by"], status["signals"]) == (None, None, [])
