"""How the cost of a function grows with its input: linear or worse, without wall-clock limits.

A linear-time function does about 4x the work on a 4x larger input; one whose cost grows with the
square of its input (a regular expression that rescans the rest of the text from every position)
does about 16x. `growth()` measures that ratio, so a test can say "linear" without ever saying
"fast enough": no threshold in seconds, nothing that depends on the speed of the machine.

To keep the ratio honest on a shared machine it measures the CPU time of this thread only
(`time.thread_time`: other processes do not count), with the garbage collector paused, the best
of several runs, and enough repetitions on the small input for each sample to be well above the
clock's resolution (the large input runs the same number of repetitions).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: The large input is this many times the small one.
FACTOR = 4
#: Linear work grows ~4x on a 4x input and quadratic ~16x: anything under 8 is linear enough.
LINEAR_BOUND = 8.0
#: A sample shorter than this (CPU seconds) repeats the call until it is not.
_MIN_SAMPLE = 0.002
_MAX_LOOPS = 1 << 16
_RUNS = 3


def _best(work: Callable[[str], object], text: str, loops: int) -> float:
    best = float("inf")
    for _ in range(_RUNS):
        start = time.thread_time()
        for _ in range(loops):
            work(text)
        best = min(best, time.thread_time() - start)
    return best


def growth(work: Callable[[str], object], make: Callable[[int], str], n: int) -> float:
    """CPU time of `work(make(FACTOR * n))` over that of `work(make(n))`."""
    small, large = make(n), make(FACTOR * n)
    enabled = gc.isenabled()
    gc.disable()
    try:
        loops = 1
        elapsed = _best(work, small, loops)
        while elapsed < _MIN_SAMPLE and loops < _MAX_LOOPS:
            loops *= 2
            elapsed = _best(work, small, loops)
        return _best(work, large, loops) / max(elapsed, 1e-9)
    finally:
        if enabled:
            gc.enable()


def repeat_to(unit: str) -> Callable[[int], str]:
    """An input of `n` characters made of `unit` repeated (the last copy cut to fit)."""

    def make(n: int) -> str:
        return (unit * (n // len(unit) + 1))[:n]

    return make
