"""Lambda as tests see it: handlers loaded by file path (every function's module is app.py),
and a context whose remaining time follows a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mhc.runtime.local_invoke import load_function

from fakes.clock import FakeClock

# load_function: the one loader of functions/<name>/app.py (`mhc invoke` uses it too).
__all__ = ["FakeLambdaContext", "load_function"]


class FakeLambdaContext:
    """A Lambda context whose remaining time follows a clock (fake or real)."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        seconds: float,
        arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mhc-events-poller",
        tick: float | None = None,
    ) -> None:
        self._clock = clock
        #: with a FakeClock: fake seconds that pass on each call (the work of one loop turn)
        self._tick = tick
        self._deadline = clock() + timedelta(seconds=seconds)
        self.invoked_function_arn = arn
        self.function_name = "mhc-events-poller"
        self.memory_limit_in_mb = 256
        self.aws_request_id = "req-0001"
        self.function_version = "$LATEST"
        self.log_group_name = "/aws/lambda/mhc-events-poller"
        self.log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        if self._tick and isinstance(self._clock, FakeClock):
            self._clock.advance(self._tick)
        return max(0, int((self._deadline - self._clock()).total_seconds() * 1000))
