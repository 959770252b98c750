"""The token-history import reads and formats a large file in a second process, one batch ahead
of the batch being stored: the same result as reading in place, and when that process fails
the import fails whole (nothing kept) with the reason, never half-written."""

from __future__ import annotations

import hashlib
import os
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.token_history import PRIVATE, TIP, export_lines
from helpers import alive, watch_second_processes
from mhc.db.connection import Database
from mhc.domain.token_history import InvalidTokenHistory
from mhc.services import second_process, token_history
from mhc.services.second_process import ChildGone, SecondProcess

OWNER = "the_owner"
T = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ROWS = [
    (f"fan_{n % 7:02d}", 10 + n, T + timedelta(minutes=n), TIP if n % 3 else PRIVATE, "")
    for n in range(40)
]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty rows: the first four read in place, the rest in batches of five."""
    monkeypatch.setattr(token_history, "FORK_AFTER", 4)
    monkeypatch.setattr(token_history, "BATCH", 5)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[SecondProcess]:
    return watch_second_processes(monkeypatch)


def count(db: Database, table: str) -> int:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
        assert row is not None
        return int(row["n"])


def stored(db: Database) -> list[tuple[Any, ...]]:
    """The interactions stored, in id order: (name, type, time, tokens)."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT p.username, i.type, i.occurred_at, (i.metadata ->> 'tokens')::int AS t
               FROM interactions i JOIN persons p ON p.id = i.person_id ORDER BY i.id"""
        ).fetchall()
    return [(r["username"], r["type"], r["occurred_at"], r["t"]) for r in rows]


def in_the_child(parent: int) -> bool:
    return os.getpid() != parent


def expected_rows() -> list[tuple[Any, ...]]:
    kinds = {TIP: "TIP_EVENT", PRIVATE: "PRIVATE_SHOW"}
    return [(user, kinds[kind], at, tokens) for user, tokens, at, kind, _ in ROWS]


def test_a_large_file_is_read_in_a_second_process_and_stored_as_written_in_file_order(
    db: Database, children: list[SecondProcess]
) -> None:
    # When a file larger than the first batch is imported
    report = token_history.import_export(db, export_lines(ROWS), owner=OWNER)
    # Then it was read in one second process, ended and reaped once the import was done
    assert len(children) == 1
    assert not alive(children[0].pid)
    # And every row is stored once, as written, in file order, with the file's own figures
    assert stored(db) == expected_rows()
    assert (report.lines, report.good_rows, report.new_rows) == (len(ROWS) + 1, 40, 40)
    assert report.by_type["TIP_EVENT"].rows == sum(1 for r in ROWS if r[3] == TIP)
    assert report.by_type["PRIVATE_SHOW"].tokens == sum(r[1] for r in ROWS if r[3] == PRIVATE)
    assert report.persons == 7
    with db.transaction() as conn:
        row = conn.execute("SELECT file_sha256, lines FROM token_history_imports").fetchone()
    assert row is not None
    assert row["file_sha256"] == hashlib.sha256("".join(export_lines(ROWS)).encode()).hexdigest()
    assert row["lines"] == len(ROWS) + 1


def test_where_no_process_can_be_forked_the_file_is_read_in_place(
    db: Database, children: list[SecondProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise OSError("fork refused")

    monkeypatch.setattr(os, "fork", no_fork)
    report = token_history.import_export(db, export_lines(ROWS), owner=OWNER)
    assert children == []
    assert report.new_rows == len(ROWS)
    assert stored(db) == expected_rows()


def test_a_second_process_that_dies_fails_the_import_and_keeps_nothing(
    db: Database, children: list[SecondProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = token_history._prepare
    prepared: list[int] = []

    def dying(*args: Any) -> Any:
        prepared.append(1)
        if in_the_child(parent) and len(prepared) >= 3:
            os.kill(os.getpid(), signal.SIGKILL)  # the child dies mid-file
        return real(*args)

    monkeypatch.setattr(token_history, "_prepare", dying)
    lines = export_lines(ROWS)
    with pytest.raises(ChildGone, match="gone"):
        token_history.import_export(db, lines, owner=OWNER)
    # Nothing of it was kept, the child was reaped
    assert count(db, "token_history_rows") == 0
    assert count(db, "interactions") == 0
    assert count(db, "token_history_imports") == 0
    assert not alive(children[0].pid)
    # And running it again imports it whole, once
    monkeypatch.setattr(token_history, "_prepare", real)
    report = token_history.import_export(db, lines, owner=OWNER)
    assert report.new_rows == len(ROWS)
    assert count(db, "interactions") == len(ROWS)


def test_a_second_process_that_says_nothing_fails_the_import(
    db: Database, children: list[SecondProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = token_history._prepare

    def stuck(*args: Any) -> Any:
        if in_the_child(parent):
            signal.pause()  # the child hangs: the caller gives up after its wait
        return real(*args)

    monkeypatch.setattr(token_history, "_prepare", stuck)
    monkeypatch.setattr(token_history, "READER_REPLY_SECONDS", 0.2)
    with pytest.raises(ChildGone, match="no answer"):
        token_history.import_export(db, export_lines(ROWS), owner=OWNER)
    assert count(db, "token_history_rows") == 0
    assert not alive(children[0].pid)


def test_a_line_the_second_process_cannot_read_fails_the_import_naming_it(
    db: Database, children: list[SecondProcess]
) -> None:
    # A field over the csv module's limit on line 31, read by the second process
    rows: list[tuple[object, ...]] = list(ROWS)
    rows[29] = ("fan_01", 5, T, TIP, "x" * 200_000)
    with pytest.raises(InvalidTokenHistory, match="line 31 cannot be read"):
        token_history.import_export(db, export_lines(rows), owner=OWNER)
    assert len(children) == 1
    assert count(db, "token_history_rows") == 0
    assert count(db, "token_history_imports") == 0


def test_a_failure_while_storing_ends_the_second_process(
    db: Database, children: list[SecondProcess]
) -> None:
    def power_cut(progress: token_history.ImportProgress) -> None:
        if progress.rows > 10:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        token_history.import_export(db, export_lines(ROWS), owner=OWNER, progress=power_cut)
    assert len(children) == 1
    assert not alive(children[0].pid)
    assert count(db, "token_history_rows") == 0


def test_the_module_forks_through_second_process() -> None:
    # The import's only door to a second process (what the fixtures above watch)
    assert token_history.forked_stream is second_process.forked_stream
