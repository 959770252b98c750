"""The local events cursor file (`mhc run`, `mhc poll-events`): private, never half-written,
and unreadable content reported without showing it."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mhc.domain.polling import CorruptCursor, Cursor
from mhc.runtime.cursor import FileCursorStore

SECRET_URL = "https://eventsapi.chaturbate.com/events/owner/file-secret-token-31/?i=9"
CURSOR = Cursor(next_url=SECRET_URL, chain_id="c1", heartbeat=datetime(2026, 6, 1, tzinfo=UTC))


def test_a_saved_cursor_loads_back_from_a_private_file(tmp_path: Path) -> None:
    store = FileCursorStore(tmp_path / "state" / "events-cursor.json")
    assert store.load() is None  # never saved
    store.save(CURSOR)
    assert store.load() == CURSOR
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["events-cursor.json"]


def test_a_failed_save_keeps_the_previous_cursor_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileCursorStore(tmp_path / "events-cursor.json")
    store.save(CURSOR)

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    moved = Cursor(next_url=SECRET_URL + "0", chain_id="c1", heartbeat=CURSOR.heartbeat)
    with pytest.raises(OSError, match="No space left"):
        store.save(moved)
    assert store.load() == CURSOR
    assert [p.name for p in tmp_path.iterdir()] == ["events-cursor.json"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (SECRET_URL, "unreadable"),  # a URL pasted in by hand
        (json.dumps({"next_url": SECRET_URL}), "unreadable"),  # fields missing
        (
            json.dumps({"next_url": SECRET_URL, "chain_id": "c1", "heartbeat": "2026-06-01"}),
            "naive heartbeat",
        ),
    ],
)
def test_unreadable_content_is_corrupt_and_never_shown(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "events-cursor.json"
    path.write_text(content, "utf-8")
    with pytest.raises(CorruptCursor, match=problem) as caught:
        FileCursorStore(path).load()
    assert "file-secret-token" not in str(caught.value)
    assert caught.value.__cause__ is None
