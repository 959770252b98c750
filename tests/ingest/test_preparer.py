"""The preparers: a forked child prepares what the caller would, in order, one page ahead; any
failure of the child leaves the pages prepared in place, never lost or changed."""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.events_feed import OWNER, make_events
from helpers import alive
from mhc.services import ingest

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def pages(count: int, size: int = 120) -> list[list[dict[str, Any]]]:
    events = make_events(count * size, seed=9)
    return [events[n * size : (n + 1) * size] for n in range(count)]


def same(a: ingest.PreparedPage, b: ingest.PreparedPage) -> bool:
    return (a.envelopes, a.raw_text, a.raw_count, a.derived) == (
        b.envelopes,
        b.raw_text,
        b.raw_count,
        b.derived,
    )


def test_the_child_prepares_what_the_caller_would_in_order() -> None:
    preparer = ingest.ForkedPreparer(OWNER)
    batches = pages(4)
    try:
        for batch in batches[:2]:
            preparer.submit(batch, NOW)
        taken = [preparer.take()]
        for batch in batches[2:]:
            preparer.submit(batch, NOW)
        taken += [preparer.take() for _ in batches[1:]]
        child = preparer.child_pid
    finally:
        preparer.close()
    assert all(page.in_second_process for page in taken)
    for page, batch in zip(taken, batches, strict=True):
        assert same(page, ingest.prepare_page(batch, owner=OWNER, received_at=NOW))
    assert child is not None
    assert not alive(child)  # ended and reaped by close


def test_a_child_that_dies_leaves_the_pages_prepared_in_place(
    caplog: pytest.LogCaptureFixture,
) -> None:
    preparer = ingest.ForkedPreparer(OWNER)
    batches = pages(3)
    try:
        preparer.submit(batches[0], NOW)
        child = preparer.child_pid
        assert child is not None
        os.kill(child, signal.SIGKILL)
        preparer.submit(batches[1], NOW)
        with caplog.at_level(logging.WARNING, logger="mhc"):
            first = preparer.take()
        preparer.submit(batches[2], NOW)
        rest = [preparer.take(), preparer.take()]
    finally:
        preparer.close()
    assert [p.in_second_process for p in (first, *rest)] == [False, False, False]
    for page, batch in zip((first, *rest), batches, strict=True):
        assert same(page, ingest.prepare_page(batch, owner=OWNER, received_at=NOW))
    assert "preparing pages in place" in caplog.text


def test_a_page_the_child_cannot_prepare_fails_in_the_caller_as_it_would_in_place() -> None:
    naive = datetime(2026, 2, 1)  # noqa: DTZ001 - the point: time_field refuses it
    bad = [{"id": "no-time-here", "method": "chatMessage", "object": {}}]
    preparer = ingest.ForkedPreparer(OWNER)
    try:
        preparer.submit(bad, naive)
        with pytest.raises(ValueError, match="naive datetime"):
            preparer.take()
        preparer.submit(pages(1)[0], NOW)
        after = preparer.take()
    finally:
        preparer.close()
    assert not after.in_second_process  # the child was ended: in place from then on


def test_a_child_that_does_not_answer_is_ended_and_the_page_prepared_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = ingest._prepare

    def stuck(*args: Any) -> Any:
        time.sleep(60)  # in the child only: the caller gives up after reply_seconds
        return real(*args)

    monkeypatch.setattr(ingest, "_prepare", stuck)
    preparer = ingest.ForkedPreparer(OWNER, reply_seconds=0.2)
    batch = pages(1)[0]
    try:
        preparer.submit(batch, NOW)
        child = preparer.child_pid
        monkeypatch.setattr(ingest, "_prepare", real)  # the caller's own preparation works
        page = preparer.take()
    finally:
        preparer.close()
    assert not page.in_second_process
    assert same(page, ingest.prepare_page(batch, owner=OWNER, received_at=NOW))
    assert child is not None
    assert not alive(child)


def test_closing_discards_what_was_submitted_and_ends_the_child() -> None:
    preparer = ingest.ForkedPreparer(OWNER)
    for batch in pages(2):
        preparer.submit(batch, NOW)
    child = preparer.child_pid
    preparer.close()
    assert child is not None
    assert not alive(child)
    with pytest.raises(IndexError):
        preparer.take()


def test_the_inline_preparer_takes_in_submission_order() -> None:
    preparer = ingest.InlinePreparer(OWNER)
    batches = pages(3)
    for batch in batches:
        preparer.submit(batch, NOW)
    taken = [preparer.take() for _ in batches]
    assert [p.envelopes for p in taken] == batches
    assert not any(p.in_second_process for p in taken)


class Unpicklable(dict):  # type: ignore[type-arg]
    """An envelope pickle refuses (JSON never makes one; a bug elsewhere might)."""

    def __reduce__(self) -> Any:
        raise TypeError("not picklable")


def test_a_page_that_cannot_be_sent_is_prepared_in_place() -> None:
    batch: list[Any] = [Unpicklable(e) for e in pages(1)[0]]
    preparer = ingest.ForkedPreparer(OWNER)
    try:
        preparer.submit(batch, NOW)
        page = preparer.take()
    finally:
        preparer.close()
    assert not page.in_second_process
    assert same(page, ingest.prepare_page(batch, owner=OWNER, received_at=NOW))
