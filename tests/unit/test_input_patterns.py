"""Validators match the whole value: `$` also matches before a final newline, `\\Z` does not."""

from __future__ import annotations

import re

import pytest
from mhc.services import memory


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(memory.ATTRIBUTE_KEY, "nickname"), (memory._IDEMPOTENCY_KEY, "note-2026-01-01:1")],
)
def test_a_trailing_newline_is_not_part_of_a_key(pattern: re.Pattern[str], value: str) -> None:
    # Given a valid key / Then it passes, and the same key with a newline after it does not
    assert pattern.match(value) is not None
    assert pattern.match(value + "\n") is None
