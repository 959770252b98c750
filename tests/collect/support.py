"""Shared by the collection tests: settings pointing at a loopback fake, a collector on a fake
clock, sample payloads, and small database readers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from mhc.clients.http import new_http_client
from mhc.config import Settings, load_settings
from mhc.db.connection import Database
from mhc.domain.jobs import JobKind
from mhc.domain.models import JobRun
from mhc.runtime.collector import build_collector
from mhc.services import job_runs
from mhc.services.collect import Collector
from mhc.services.job_context import JobFunction

OWNER = "the_owner"
STATS_TOKEN = "stats-token-9f8e7d6c5b"
STATBATE_TOKEN = "42|statbate-secret-a1b2c3d4"
CAMPAIGN = "wmTEST1"
T0 = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


def settings_for(server: FakeHttpServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mhc_owner_username": OWNER,
        "mhc_stats_token": STATS_TOKEN,
        "mhc_statbate_token": STATBATE_TOKEN,
        "mhc_affiliate_campaign": CAMPAIGN,
        "mhc_stats_api_url": f"{server.url}/statsapi/",
        "mhc_affiliate_api_url": f"{server.url}/api/public/affiliates/onlinerooms/",
        "mhc_chaturbate_url": server.url,
        "mhc_statbate_api_url": f"{server.url}/api",
        "mhc_affiliate_page_delay_seconds": 0.75,
    }
    values.update(overrides)
    return load_settings(**values)


def make_collector(
    db: Database,
    server: FakeHttpServer,
    clock: FakeClock,
    *,
    settings: Settings | None = None,
    jobs: Mapping[JobKind, JobFunction] | None = None,
    http: httpx.Client | None = None,
) -> Collector:
    return build_collector(
        settings or settings_for(server),
        db,
        http=http or new_http_client(),
        clock=clock,
        sleeper=clock.sleep,
        jobs=jobs,
    )


def budget(seconds: float = 600) -> Any:
    return lambda: timedelta(seconds=seconds)


def runs(db: Database, job: str) -> list[JobRun]:
    with db.transaction() as conn:
        return job_runs.recent(conn, job=job)


def count(db: Database, sql: str, params: Any = ()) -> int:
    with db.transaction() as conn:
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return int(next(iter(row.values())))


def rows(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return list(conn.execute(sql, params).fetchall())


def only_due(db: Database, *names: str) -> None:
    """Disable every job but `names` (so a test exercises one job through the runner)."""
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET enabled = (name = ANY(%s))", (list(names),))


def make_due(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET next_run_at = NULL")


def stats_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "username": OWNER,
        "token_balance": 1520,
        "tips_in_last_hour": None,
        "votes_up": 40,
        "votes_down": 2,
        "satisfaction_score": 95,
        "last_broadcast": "2026-06-01T19:00:00.000000",
        "time_online": 42,
        "num_followers": 1234,
        "num_viewers": 17,
        "num_registered_viewers": 12,
        "num_tokened_viewers": 5,
        "num_ad_anon_viewers": 3,
    }
    payload.update(changes)
    return payload


def room(username: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": username,
        "display_name": username.title(),
        "gender": "f",
        "age": 25,
        "birthday": "",
        "location": "Somewhere",
        "country": "NL",
        "spoken_languages": "English",
        "is_new": False,
        "is_hd": True,
        "current_show": "public",
        "room_subject": "hello #tag1",
        "tags": ["tag1", "tag2"],
        "num_users": 10,
        "num_followers": 100,
        "seconds_online": 600,
        "image_url": f"https://roomimg.example/{username}.jpg",
        "image_url_360x270": f"https://roomimg.example/{username}.jpg",
        "chat_room_url": f"https://chaturbate.com/in/?campaign={CAMPAIGN}&room={username}",
        "slug": username,
    }
    data.update(changes)
    return data


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
