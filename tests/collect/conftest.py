"""Fixtures for the collection jobs: a fake clock at T0 (the fake server is in tests/conftest.py)."""

from __future__ import annotations

import pytest
from collect.support import T0
from fakes.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
