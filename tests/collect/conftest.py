"""Fixtures for the collection jobs: a loopback fake server and a fake clock at T0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from collect.support import T0
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
