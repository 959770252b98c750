"""Fixtures: an authenticated in-process client on a fresh database, a fake Statbate, a seed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api.api_support import NOW, OWNER, TOKEN, FakeStatbate, Seed, seed
from fakes.clock import FakeClock
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.runtime.cookie_store import FileCookieStore


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def statbate() -> FakeStatbate:
    return FakeStatbate()


@pytest.fixture
def plus_cookie_file(tmp_path: Path) -> Path:
    """Where the app keeps a Statbate Plus session pasted in the UI."""
    return tmp_path / "plus-cookies.json"


@pytest.fixture
def app(
    db: Database, api_env: None, clock: FakeClock, statbate: FakeStatbate, plus_cookie_file: Path
) -> FastAPI:
    return create_app(
        lambda: db,
        statbate=lambda: statbate,
        clock=clock,
        plus_session=lambda: FileCookieStore(plus_cookie_file),
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as test_client:
        yield test_client


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def seeded(db: Database) -> Seed:
    return seed(db)
