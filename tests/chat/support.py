"""Shared by the chat import tests: settings pointing at a fake Statbate Plus, the Plus client
on a fake clock, and small readers of what was stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from fakes.statbate_plus import FakeMessage
from mhc.clients.http import ClientDeps
from mhc.clients.statbate_plus import StatbatePlusClient
from mhc.config import Settings, load_settings
from mhc.db.connection import Database
from mhc.domain.chat_import_runs import TargetKind
from mhc.runtime.chat_import import plus_client
from mhc.services import chat_import

OWNER = "the_owner"
#: After the fake's messages (2026-01-10 onwards): runs happen "now".
NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def settings_for(
    server: FakeHttpServer, cookie_file: Path, session: str | None, xsrf: str | None, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "mhc_owner_username": OWNER,
        "mhc_statbate_plus_url": server.url,
        "mhc_statbate_plus_cookie_file": cookie_file,
        "mhc_statbate_plus_request_interval_seconds": 2.0,
        "mhc_http_read_timeout_seconds": 1.0,
        "mhc_http_connect_timeout_seconds": 1.0,
    }
    if session is not None:
        values["mhc_statbate_plus_session"] = session
    if xsrf is not None:
        values["mhc_statbate_plus_xsrf"] = xsrf
    values.update(extra)
    return load_settings(**values)


def client_deps(clock: FakeClock) -> ClientDeps:
    return ClientDeps(clock=clock, sleeper=clock.sleep, random=lambda: 1.0)


def make_client(settings: Settings, http: httpx.Client, clock: FakeClock) -> StatbatePlusClient:
    return plus_client(settings, http, deps=client_deps(clock))


def walk(
    db: Database,
    settings: Settings,
    http: httpx.Client,
    clock: FakeClock,
    kind: TargetKind,
    name: str,
    **kwargs: Any,
) -> chat_import.TargetOutcome | None:
    """One `mhc chat-import room|member` run (the CLI's use case) with a fresh client."""
    return chat_import.import_chat(
        db,
        make_client(settings, http, clock),
        kind,
        name,
        owner=settings.mhc_owner_username,
        field_map=settings.statbate_plus_field_map(),
        clock=clock,
        **kwargs,
    )


def imported(db: Database, *, broadcaster: str | None = None) -> list[dict[str, Any]]:
    """Every CHAT_IMPORT row (external id, person, time, room, content), oldest first."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT i.id, i.external_id, p.username AS person, i.occurred_at, i.broadcaster,
                      i.content, i.metadata
               FROM interactions i JOIN persons p ON p.id = i.person_id
               WHERE i.type = 'CHAT_IMPORT'
                 AND (%(room)s::text IS NULL OR i.broadcaster = %(room)s)
               ORDER BY i.occurred_at, i.id""",
            {"room": broadcaster},
        ).fetchall()
    return [dict(row) for row in rows]


def expected_rows(messages: list[FakeMessage]) -> list[tuple[str, datetime, str, str]]:
    """(sender, UTC time, room, text) of fake messages, oldest first (Plus lists newest first)."""
    return sorted(((m.sender, m.occurred_at, m.room, m.text) for m in messages), key=lambda r: r[1])


def as_rows(rows: list[dict[str, Any]]) -> list[tuple[str, datetime, str, str]]:
    return [(r["person"], r["occurred_at"], r["broadcaster"], r["content"]) for r in rows]


def count(db: Database, sql: str, params: Any = ()) -> int:
    with db.transaction() as conn:
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return int(next(iter(row.values())))


def target(db: Database, kind: TargetKind, name: str) -> Any:
    with db.transaction() as conn:
        return conn.execute(
            "SELECT * FROM chat_import_targets WHERE kind = %s AND name = %s", (kind.value, name)
        ).fetchone()
