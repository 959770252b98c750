"""Shared by the API tests: the token, the owner, a fake Statbate, a seeded world, route lists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from mhc.clients.errors import ClientError
from mhc.db.connection import Database
from mhc.domain.models import (
    Confidence,
    InteractionSource,
    InteractionType,
    NewInteraction,
    SnapshotSource,
)
from mhc.domain.roles import Role
from mhc.services import interactions, memory, persons, snapshots, watchlists
from psycopg.types.json import Jsonb

TOKEN = "test-api-token-5f1c9a7e-0b1c2d3e4f5a6b7c"
OWNER = "the_owner"
T0 = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)


@dataclass
class FakeReply:
    raw: dict[str, Any]


@dataclass
class FakeStatbate:
    """Answers like `StatbateClient`: a reply, None (not found) or a raised ClientError."""

    members: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    deadlines: list[datetime | None] = field(default_factory=list)

    def _answer(self, table: dict[str, Any], name: str) -> FakeReply | None:
        answer = table.get(name)
        if isinstance(answer, ClientError):
            raise answer
        return None if answer is None else FakeReply({"data": answer, "meta": {}})

    def member_info(self, name: str, *, deadline: datetime | None = None) -> FakeReply | None:
        self.calls.append(("member", name))
        self.deadlines.append(deadline)
        return self._answer(self.members, name)

    def model_info(self, name: str, *, deadline: datetime | None = None) -> FakeReply | None:
        self.calls.append(("model", name))
        self.deadlines.append(deadline)
        return self._answer(self.models, name)

    # Statbate's member analysis: `analysis[(endpoint, name)]` is the whole {data, meta} body.
    analysis: dict[tuple[str, str], Any] = field(default_factory=dict)
    analysis_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def _analysis(self, endpoint: str, name: str, **kwargs: Any) -> FakeReply | None:
        self.analysis_calls.append((endpoint, name, kwargs))
        answer = self.analysis.get((endpoint, name))
        if isinstance(answer, ClientError):
            raise answer
        return None if answer is None else FakeReply(answer)

    def member_model_spending(self, name: str, model: str, **kwargs: Any) -> FakeReply | None:
        return self._analysis("model", name, model=model, **kwargs)

    def member_tag_spending(self, name: str, **kwargs: Any) -> FakeReply | None:
        return self._analysis("tag-spending", name, **kwargs)

    def member_tips(self, name: str, **kwargs: Any) -> FakeReply | None:
        return self._analysis("tips", name, **kwargs)

    def member_activity(self, name: str, **kwargs: Any) -> FakeReply | None:
        return self._analysis("activity", name, **kwargs)


@dataclass(frozen=True)
class Seed:
    owner: int
    alice: int
    bob: int
    excluded: int
    session: int
    watchlist: int
    note: int


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seed(db: Database) -> Seed:
    """A small world: the owner's open session, a tipper, an anonymous tipper, snapshots, ..."""
    with db.transaction() as conn:
        owner, _ = persons.find_or_create(conn, OWNER, role=Role.MODEL, seen_at=T0)
        alice, _ = persons.find_or_create(conn, "alice_01", role=Role.VIEWER, seen_at=T0)
        bob, _ = persons.find_or_create(conn, "bob_02", role=Role.MODEL, seen_at=T0)
        excluded, _ = persons.find_or_create(conn, "smk_lover", seen_at=T0)
        rows = [
            (alice.id, InteractionType.CHAT_MESSAGE, "hello purple lights", {}, 1),
            (alice.id, InteractionType.TIP_EVENT, "for the song", {"tokens": 25}, 2),
            (
                bob.id,
                InteractionType.TIP_EVENT,
                "secret admirer",
                {"tokens": 100, "isAnon": True},
                3,
            ),
            (alice.id, InteractionType.PRIVATE_MESSAGE, "hello in private", {}, 4),
            (excluded.id, InteractionType.TIP_EVENT, "hello", {"tokens": 5}, 5),
        ]
        for person_id, kind, text, metadata, minute in rows:
            interactions.record(
                conn,
                NewInteraction(
                    person_id=person_id,
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"evt-{minute}",
                    occurred_at=_at(minute),
                    broadcaster=OWNER,
                    content=text,
                    metadata=metadata,
                ),
            )
        for minute, tokens in ((0, 500), (60, 580)):
            snapshots.append(
                conn,
                alice.id,
                SnapshotSource.STATBATE_MEMBER,
                captured_at=_at(minute),
                raw_payload={"all_time_tokens": tokens},
                normalized_metrics={"all_time_tokens": tokens},
            )
        for minute, followers in ((0, 100), (60, 110)):
            snapshots.append(
                conn,
                owner.id,
                SnapshotSource.CB_STATS,
                captured_at=_at(minute),
                raw_payload={"num_followers": followers},
                normalized_metrics={"num_followers": followers},
            )
        snapshots.append(
            conn,
            bob.id,
            SnapshotSource.AFFILIATE,
            captured_at=NOW - timedelta(minutes=3),
            raw_payload={"username": "bob_02"},
            normalized_metrics={"num_users": 40},
        )
        conn.execute(
            "INSERT INTO stream_sessions (started_at, source) VALUES (%s, 'cb_events')", (T0,)
        )
        session = conn.execute("SELECT id FROM stream_sessions").fetchone()
        assert session is not None
        conn.execute(
            """INSERT INTO job_runs (job, started_at, finished_at, status, counts)
               VALUES ('events_poller', %s, %s, 'succeeded', %s)""",
            (_at(100), _at(101), Jsonb({"events": 3})),
        )
        conn.execute(
            """INSERT INTO raw_events (event_id, method, occurred_at, payload)
               VALUES ('1780351200000-0', 'tip', %s, %s)""",
            (_at(110), Jsonb({"method": "tip"})),
        )
        conn.execute(
            "INSERT INTO event_gaps (detected_at, reason) VALUES (%s, 'waited too long')",
            (_at(50),),
        )
    watchlists.add(db, 1, alice.id)
    memory.set_attribute(db, alice.id, "timezone", "Europe/Berlin", confidence=Confidence.MEDIUM)
    note, _ = memory.add_note(db, alice.id, "likes purple", idempotency_key="n1")
    return Seed(
        owner=owner.id,
        alice=alice.id,
        bob=bob.id,
        excluded=excluded.id,
        session=int(session["id"]),
        watchlist=1,
        note=note.id,
    )


PUBLIC = {"/api/health"}


def concrete(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) for every route, HEAD and OPTIONS left out."""
    found = []
    # FastAPI mounts included routers lazily; iter_route_contexts flattens them with prefixes.
    for context in iter_route_contexts(app.routes):
        methods = context.methods or ()
        path = context.path
        if path is None:
            continue
        for method in sorted(methods):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, path))
    return found


def requests_for(seed: Seed) -> list[tuple[str, str, dict[str, str], Any, int]]:
    """One valid request per route (method, path, query, json body, expected status)."""
    alice, session = seed.alice, seed.session
    return [
        ("GET", "/api/health", {}, None, 200),
        ("GET", "/api/health/ingest", {}, None, 200),
        ("GET", "/api/health/status", {}, None, 200),
        ("GET", "/api/openapi.json", {}, None, 200),
        ("GET", "/api/docs", {}, None, 200),
        ("GET", "/api/persons", {"q": "ali"}, None, 200),
        ("GET", f"/api/persons/{alice}", {}, None, 200),
        ("GET", f"/api/persons/{alice}/snapshots", {"source": "statbate_member"}, None, 200),
        ("GET", f"/api/persons/{alice}/interactions", {"type": "TIP_EVENT"}, None, 200),
        ("GET", "/api/sessions/current", {}, None, 200),
        ("GET", "/api/sessions", {"limit": "5"}, None, 200),
        ("GET", f"/api/sessions/{session}", {}, None, 200),
        ("GET", "/api/watchlists", {}, None, 200),
        ("GET", "/api/watchlists/1/members", {}, None, 200),
        ("GET", "/api/search", {"q": "hello"}, None, 200),
        ("GET", "/api/owner", {}, None, 200),
        ("GET", f"/api/persons/{alice}/insights", {}, None, 200),
        ("GET", "/api/owner/audience", {"since": "2026-05-01T00:00:00Z"}, None, 200),
        ("GET", f"/api/sessions/{session}/recap", {}, None, 200),
        ("PATCH", f"/api/persons/{alice}", {}, {"is_excluded": False}, 200),
        ("POST", f"/api/persons/{alice}/notes", {}, {"text": "note"}, 201),
        (
            "PUT",
            f"/api/persons/{alice}/attributes/mood",
            {},
            {"value": "x", "confidence": "low"},
            200,
        ),
        ("POST", f"/api/persons/{alice}/aliases", {}, {"old_username": "alice_old"}, 201),
        # the alias just added is the first one recorded
        ("DELETE", f"/api/persons/{alice}/aliases/1", {}, None, 200),
        ("POST", "/api/sessions/end", {}, None, 200),
        ("POST", "/api/sessions/start", {}, None, 200),
        # The seed's session came from broadcast events: only manual ones can be deleted
        ("DELETE", f"/api/sessions/{session}", {"confirm": "true"}, None, 409),
        ("PUT", f"/api/watchlists/2/members/{alice}", {}, None, 200),
        ("DELETE", f"/api/watchlists/2/members/{alice}", {}, None, 200),
        ("POST", "/api/lookup", {}, {"username": "alice_01", "include_my_room": True}, 200),
        ("POST", "/api/paste/read", {}, {"pasted_text": "alice_01: hi\nbob_02: hello"}, 200),
        ("GET", "/api/jobs", {}, None, 200),
        ("GET", "/api/jobs/cb_stats", {}, None, 200),
        ("PATCH", "/api/jobs/cb_stats", {}, {"config": {"record_followers": True}}, 200),
        ("POST", "/api/jobs/cb_stats/run", {}, None, 202),
        # smk_lover has history of their own: kept (a lookup typo would be deleted)
        ("DELETE", f"/api/persons/{seed.excluded}", {"confirm": "smk_lover"}, None, 409),
        ("POST", f"/api/persons/{alice}/merge", {}, {"from": seed.bob}, 200),
        ("POST", f"/api/persons/{alice}/unmerge", {}, {"from": seed.bob}, 200),
        ("GET", "/api/chat-import", {}, None, 200),
        ("PUT", "/api/chat-import/session", {}, {"session": "s3ss10n", "xsrf": "x%3D"}, 200),
        ("POST", "/api/owner/chat-import", {}, None, 202),
        ("POST", f"/api/persons/{alice}/chat-import", {}, None, 202),
        ("GET", "/api/owner/room", {}, None, 200),
        ("GET", "/api/owner/alerts", {"limit": "10"}, None, 200),
        ("GET", "/api/owner/alert-rules", {}, None, 200),
        (
            "PUT",
            "/api/owner/alert-rules",
            {},
            {"rules": [{"id": "whale", "kind": "lifetime_tokens", "min_tokens": 1000}]},
            200,
        ),
        # The upload takes a file, not JSON: with no body the empty "file" is refused (the
        # upload itself is tested in test_token_history_api.py)
        ("POST", "/api/owner/token-history", {"file_name": "x.csv"}, None, 422),
        ("GET", "/api/owner/token-history/imports", {}, None, 200),
        ("GET", "/api/owner/capture-audit", {}, None, 200),
        ("GET", "/api/owner/shows", {"limit": "5"}, None, 200),
    ]


def template_of(method: str, path: str) -> str:
    """The route template a concrete path belongs to (digits stand for ids)."""
    return re.sub(r"/jobs/[a-z_]+", "/jobs/{id}", re.sub(r"/\d+", "/{id}", path))
