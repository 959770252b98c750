"""Deltas between consecutive snapshots: computed on read, never stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Number = int | float


def _number(value: Any) -> Number | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def compute_delta(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[str, Number | None] | None:
    """`new - old` per metric: numeric in both -> difference, otherwise None; keys = union.

    No previous snapshot means no delta at all (None), not a delta of zeros.
    """
    if old is None or new is None:
        return None
    delta: dict[str, Number | None] = {}
    for key in sorted(old.keys() | new.keys()):
        before, after = _number(old.get(key)), _number(new.get(key))
        if before is not None and after is not None:
            difference = after - before
            delta[key] = round(difference, 10) if isinstance(difference, float) else difference
        else:
            delta[key] = None
    return delta
