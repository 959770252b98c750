"""Fixtures for client tests: a fake clock, client dependencies and an httpx client (the fake
server is in tests/conftest.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fakes.clock import FakeClock
from mhc.clients.http import ClientDeps, RetryPolicy, new_http_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def deps(clock: FakeClock) -> ClientDeps:
    # random() = 1.0 makes every full-jitter wait its maximum, so waits are predictable.
    return ClientDeps(clock=clock, sleeper=clock.sleep, random=lambda: 1.0)


@pytest.fixture
def retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=8.0, max_retry_after=60.0)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with new_http_client() as client:
        yield client


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Every record from the mhc, httpx and httpcore loggers, at DEBUG, before any formatter."""
    handler = RecordingHandler()
    loggers = [logging.getLogger(name) for name in ("mhc", "httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler.records
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
