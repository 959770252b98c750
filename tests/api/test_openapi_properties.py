"""Property-based run over the OpenAPI document (schemathesis): no server errors, and every
response matches the status codes, content type and schema the document declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from api.api_support import NOW, OWNER, TOKEN, FakeStatbate, seed
from hypothesis import HealthCheck, settings
from mhc.api import create_app
from mhc.config import Settings, load_settings
from mhc.db.connection import Database
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class _Live:
    """What the module-level app uses; each test points it at its own fresh database."""

    db: Database | None = None
    settings: Settings | None = None


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


# The OpenAPI document does not depend on the database, so the schema is built once.
LIVE.settings = load_settings(mhc_api_token=TOKEN, mhc_owner_username=OWNER)
APP = create_app(
    _db, settings=_settings, statbate=FakeStatbate, clock=lambda: NOW, plus_session=_KeptSession
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP, headers=AUTH)


@pytest.fixture
def live(db: Database) -> Iterator[None]:
    # Given a seeded database (ids 1..6 exist, so many generated ids hit real rows)
    seed(db)
    LIVE.db = db
    LIVE.settings = load_settings(mhc_api_token=TOKEN, mhc_owner_username=OWNER)
    yield
    LIVE.db = None


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_honours_its_openapi_document(case: schemathesis.Case, live: None) -> None:
    # The token always goes along, so generated requests reach the routes behind auth
    case.headers = {**(case.headers or {}), **AUTH}
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code != 401
