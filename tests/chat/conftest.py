"""Fixtures for the chat import: a fake Statbate Plus on loopback with rooms of every message
shape, a signed-in session in the settings, a fake clock and an httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from chat.support import NOW, OWNER, settings_for
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from fakes.statbate_plus import FakePlus, make_messages
from mhc.clients.http import new_http_client
from mhc.config import Settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def fake(server: FakeHttpServer) -> FakePlus:
    fake = FakePlus(server, per_page=100)
    fake.add_room(OWNER, make_messages(5_200, room=OWNER, shape="shape_a"))
    return fake


@pytest.fixture
def cookie_file(tmp_path: Path) -> Path:
    return tmp_path / "plus-cookies.json"


@pytest.fixture
def settings(fake: FakePlus, server: FakeHttpServer, cookie_file: Path) -> Settings:
    session, xsrf = fake.sign_in()
    return settings_for(server, cookie_file, session, xsrf)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with new_http_client() as client:
        yield client
