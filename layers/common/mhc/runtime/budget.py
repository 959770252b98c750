"""The time budget of a Lambda invocation, as the services' `remaining()` callable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any


def remaining_time(context: Any) -> Callable[[], timedelta]:
    """Time left in a Lambda invocation, read from its context on every call."""
    return lambda: timedelta(milliseconds=context.get_remaining_time_in_millis())
