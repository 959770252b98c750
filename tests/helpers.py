"""Small builders shared by tests, always through the production code path."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from mhc.db.connection import TransactionSource
from mhc.domain.models import Person
from mhc.domain.persons import Resolution
from mhc.domain.roles import Role
from mhc.services import ingest, persons
from mhc.services.ingest import IngestCounts
from mhc.services.second_process import SecondProcess

T0 = datetime(2026, 4, 1, 20, 0, tzinfo=UTC)


def seen(
    db: TransactionSource,
    username: str,
    *,
    at: datetime = T0,
    role: Role = Role.UNKNOWN,
    did: int | None = None,
    rid: int | None = None,
) -> tuple[Person, Resolution]:
    """A sighting of `username` as every collector records one (`persons.find_or_create`)."""
    with db.transaction() as conn:
        return persons.find_or_create(conn, username, role=role, did=did, rid=rid, seen_at=at)


def person_id(db: TransactionSource, username: str, *, at: datetime = T0) -> int:
    return seen(db, username, at=at)[0].id


def ingest_events(
    db: TransactionSource, envelopes: Sequence[Any], *, owner: str, received_at: datetime
) -> IngestCounts:
    """Store envelopes as one page through the live ingest path (its own transaction)."""
    return ingest.store_pages(db, [envelopes], owner=owner, received_at=received_at)


def alive(pid: int) -> bool:
    """Whether a process (a forked second process, say) still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def watch_second_processes(monkeypatch: pytest.MonkeyPatch) -> list[SecondProcess]:
    """Every second process started from now on (`SecondProcess.start`), in order."""
    started: list[SecondProcess] = []
    real = SecondProcess.start

    def start(work: Any) -> SecondProcess:
        child = real(work)
        started.append(child)
        return child

    monkeypatch.setattr(SecondProcess, "start", start)
    return started
