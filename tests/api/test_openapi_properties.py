"""Property-based runs over the OpenAPI document (schemathesis): no server errors, and every
response matches the status codes, content type and schema the document declares.

- Every operation, through all of schemathesis' per-operation phases (the document's examples,
  coverage of boundaries and edge values, random fuzzing of valid and invalid data).
- Stateful: chains of calls following the document's OpenAPI links (`mhc.api.links`): a
  lookup's person -> their page, notes, attributes; a started session -> its detail, deletion;
  a page -> the next page.
- Targeted: every parameter and body string of every operation gets a NUL byte, a huge string,
  and (for cursors) forged cursors; each must be refused with a 4xx, never a 500.

The budget is modest by default (it runs in `make test`); `make fuzz` raises it through
FUZZ_EXAMPLES / FUZZ_SCENARIOS / FUZZ_STEPS and prints how many requests were made.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from api.api_support import NOW, OWNER, TOKEN, FakeStatbate, Seed, seed
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from mhc.api import create_app
from mhc.config import Settings, load_settings
from mhc.db.connection import Database
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)
from starlette.types import Receive, Scope, Send

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]

# Budgets (env, not MHC_*: the test environment clears those). Defaults keep `make test` short.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "8"))
STEPS = int(os.environ.get("FUZZ_STEPS", "6"))
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]


@dataclass
class _Live:
    """What the module-level app uses; each test points it at its own fresh database."""

    db: Database | None = None
    settings: Settings | None = None
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


LIVE = _Live()


def _db() -> Database:
    assert LIVE.db is not None
    return LIVE.db


def _settings() -> Settings:
    assert LIVE.settings is not None
    return LIVE.settings


class _KeptSession:
    """Where the Statbate Plus session form writes (in memory here)."""

    def replace(self, cookies: object) -> None:
        self.cookies = cookies


class _Counted:
    """The app, counting every request it answers (the figure `make fuzz` reports)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting(message: Any) -> None:
            if message["type"] == "http.response.start":
                LIVE.requests += 1
                status = int(message["status"])
                LIVE.statuses[status] = LIVE.statuses.get(status, 0) + 1
            await send(message)

        await self.app(scope, receive, counting)


# The OpenAPI document does not depend on the database, so the schema is built once.
LIVE.settings = load_settings(mhc_api_token=TOKEN, mhc_owner_username=OWNER)
APP = create_app(
    _db, settings=_settings, statbate=FakeStatbate, clock=lambda: NOW, plus_session=_KeptSession
)
COUNTED = _Counted(APP)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", COUNTED, headers=AUTH)
# Every generated call carries the token, except the cases that test its absence on purpose.
schema.config.update(headers=AUTH)


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: how many requests were made and what they answered (the figure
    `make fuzz` reports), on the terminal even with output captured."""
    yield
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(LIVE.statuses.items()))
    server_errors = sum(n for code, n in LIVE.statuses.items() if code >= 500)
    line = (
        f"fuzz: {LIVE.requests} requests ({statuses}); {server_errors} server errors; budget "
        f"FUZZ_EXAMPLES={EXAMPLES} FUZZ_SCENARIOS={SCENARIOS} FUZZ_STEPS={STEPS}"
    )
    plugins = request.config.pluginmanager
    terminal, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line("")
            terminal.write_line(line)


@pytest.fixture
def live(db: Database) -> Iterator[Seed]:
    # Given a seeded database (ids 1..6 exist, so many generated ids hit real rows)
    world = seed(db)
    LIVE.db = db
    LIVE.settings = load_settings(mhc_api_token=TOKEN, mhc_owner_username=OWNER)
    yield world
    LIVE.db = None


def test_every_phase_is_on() -> None:
    phases = schema.config.phases
    assert all(
        phase.enabled
        for phase in (phases.examples, phases.coverage, phases.fuzzing, phases.stateful)
    )
    # And the document offers links to follow
    links = [
        link
        for path in schema.raw_schema["paths"].values()
        for operation in path.values()
        for response in operation["responses"].values()
        for link in response.get("links", {})
    ]
    assert len(links) >= 40


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=HEALTH)
def test_api_honours_its_openapi_document(case: schemathesis.Case, live: Seed) -> None:
    # The token always goes along, so generated requests reach the routes behind auth
    case.headers = {**(case.headers or {}), **AUTH}
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code != 401


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Chains of calls along the OpenAPI links. Each scenario starts from the seeded world: it
    runs inside one transaction, rolled back at its end (the API's own transactions nest as
    savepoints). Hypothesis needs that: a link's value drawn from an answer must not depend on
    what an earlier scenario left behind."""

    def setup(self) -> None:
        assert LIVE.db is not None
        self._scenario = LIVE.db.connection().transaction(force_rollback=True)
        self._scenario.__enter__()

    def teardown(self) -> None:
        self._scenario.__exit__(None, None, None)

    def validate_response(
        self,
        response: Any,
        case: schemathesis.Case,
        additional_checks: Any = None,
        **kwargs: Any,
    ) -> None:
        # A 401 is right when the case negated the token (schemathesis tests that too); the
        # status tally printed at the end shows the chains reach the routes.
        case.validate_response(response, checks=STATEFUL_CHECKS, headers=AUTH)


def test_stateful_sequences_along_the_links(live: Seed) -> None:
    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=HEALTH,
        )
    )


# ---------------------------------------------------------------- targeted hostile values
def _forge(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


NUL = "a\x00b"
#: The longest URL part the HTTP client sends (httpx caps at 65,536; servers cap lower).
HUGE_IN_URL = "x" * 60_000
FORGED_CURSORS = [
    _forge("2030-01-01T00:00:00+00:00", True),
    _forge("2030-01-01T00:00:00+00:00", -1),
    _forge("9999-12-31T23:59:59-14:00", 1),
    _forge("0001-01-01T00:00:00+14:00", 1),
    _forge("2030-01-01T00:00:00+00:00", 2**64),
    _forge("2030-01-01T00:00:00", 1),
    _forge(["nested"], {"a": 1}),
    "%00",
    "=" * 150,
]
HOSTILE_DATES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-13-45T99:99:99Z"]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = APP.openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _valid_path_values(world: Seed) -> dict[str, str]:
    return {
        "person_id": str(world.alice),
        "session_id": str(world.session),
        "watchlist_id": "2",
        "name": "cb_stats",
        "key": "mood",
        "alias_id": "1",
    }


def _valid_body(path: str, method: str, world: Seed) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/lookup"): {"username": "alice_01", "pasted_text": "@bob_02"},
        ("POST", "/api/paste/read"): {"pasted_text": "alice_01: hi\nbob_02: hello"},
        ("POST", "/api/persons/{person_id}/notes"): {"text": "hi", "idempotency_key": "k1"},
        ("PUT", "/api/persons/{person_id}/attributes/{key}"): {
            "value": "x",
            "confidence": "low",
            "evidence_note": "seen",
        },
        ("POST", "/api/persons/{person_id}/aliases"): {"old_username": "alice_old"},
        ("POST", "/api/persons/{person_id}/merge"): {"from": world.bob},
        ("POST", "/api/persons/{person_id}/unmerge"): {"from": world.bob},
        ("PATCH", "/api/jobs/{name}"): {"config": {"record_followers": True}},
    }
    return bodies.get((method, path))


def _hostile_requests(world: Seed) -> Iterator[tuple[str, str, str, dict[str, Any], Any]]:
    """(label, method, url, query, body) with one hostile value each, for every operation."""
    values = _valid_path_values(world)
    for method, template, operation in _operations():
        body = _valid_body(template, method, world)
        parameters = operation.get("parameters", [])
        base_query = {
            p["name"]: "cb_stats" if p["name"] == "source" else "hello"
            for p in parameters
            if p["in"] == "query" and p.get("required")
        }
        for parameter in parameters:
            name, where = parameter["name"], parameter["in"]
            hostile = [NUL, HUGE_IN_URL]
            if name == "cursor":
                hostile += FORGED_CURSORS
            if "date-time" in json.dumps(parameter.get("schema", {})):
                hostile += HOSTILE_DATES
            for value in hostile:
                label = f"{method} {template} {where}:{name}={value[:20]!r}"
                if where == "path":
                    url = template.format(**{**values, name: value.replace("\x00", "%00")})
                    yield label, method, url, base_query, body
                elif where == "query":
                    yield (
                        label,
                        method,
                        template.format(**values),
                        {**base_query, name: value},
                        body,
                    )
        if body is not None:
            url = template.format(**values)
            for key in body:
                for value in (NUL, "y" * 100_000, "z" * 2_000_000):
                    label = f"{method} {template} body:{key}={value[:20]!r}"
                    yield label, method, url, base_query, {**body, key: value}
            yield (
                f"{method} {template} body key with NUL",
                method,
                url,
                base_query,
                {
                    **body,
                    "sneaky\x00key": 1,
                },
            )


def test_hostile_values_in_every_parameter_are_refused_never_a_500(live: Seed) -> None:
    client = TestClient(COUNTED, headers=AUTH)
    answered: dict[int, int] = {}
    for label, method, url, query, body in _hostile_requests(live):
        response = client.request(method, url, params=query, json=body)
        answered[response.status_code] = answered.get(response.status_code, 0) + 1
        assert response.status_code < 500, (label, response.text[:300])
        assert response.status_code != 401, label
        assert response.status_code >= 400, (label, "a hostile value was accepted")
        if "\x00" in repr(query) or "\\x00" in repr(body) or "%00" in url:
            # A NUL anywhere is refused by name, whatever else is wrong
            assert response.status_code == 422, (label, response.text[:300])
        if response.status_code >= 400:
            error = response.json()["error"]
            assert len(response.content) < 10_000, label
            assert set(error) == {"code", "message", "details"}, label
    # Every operation was reached
    assert sum(answered.values()) > 3 * len(_operations())
