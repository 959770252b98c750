"""`forked_stream`: items produced by a forked child reach the caller in order; an error that
ends them is raised in the caller as in place; closing early ends the child; no fork, in place."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import alive, watch_second_processes
from mhc.domain.errors import InvalidInput
from mhc.services import second_process
from mhc.services.second_process import SecondProcess, forked_stream


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[SecondProcess]:
    return watch_second_processes(monkeypatch)


def made_by(parent: int, count: int) -> Iterator[tuple[int, bool]]:
    for n in range(count):
        yield n, os.getpid() != parent


def test_items_come_from_the_child_in_order(children: list[SecondProcess]) -> None:
    items = list(forked_stream(made_by(os.getpid(), 50), reply_seconds=10))
    assert items == [(n, True) for n in range(50)]  # every one made in the other process
    assert len(children) == 1
    assert not alive(children[0].pid)


def failing(error: Exception) -> Iterator[int]:
    yield 1
    raise error


def test_an_error_in_the_child_is_raised_in_the_caller_as_it_was() -> None:
    got: list[int] = []
    with pytest.raises(InvalidInput) as raised:
        got.extend(forked_stream(failing(InvalidInput("file", "line 7 is bad")), reply_seconds=10))
    assert got == [1]
    assert (raised.value.field, raised.value.message) == ("file", "line 7 is bad")


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no")


def test_an_error_pickle_refuses_is_raised_by_its_type_and_message() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: kept apart"):
        list(forked_stream(failing(Unpicklable("kept apart")), reply_seconds=10))


def test_closing_early_ends_the_child(children: list[SecondProcess]) -> None:
    stream = forked_stream(iter(range(10_000_000)), reply_seconds=10)
    with contextlib.closing(stream):
        assert next(stream) == 0
        assert alive(children[0].pid)
    assert not alive(children[0].pid)


def test_without_fork_the_items_are_made_in_place(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_fork() -> int:
        raise OSError("no")

    monkeypatch.setattr(second_process.os, "fork", no_fork)
    assert list(forked_stream(made_by(os.getpid(), 3), reply_seconds=10)) == [
        (0, False),
        (1, False),
        (2, False),
    ]
    assert "working in place" in caplog.text
