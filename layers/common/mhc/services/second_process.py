"""Pure work in a forked second process, so that Python's work runs beside the database's on
a machine with two cores: ingest prepares page N+1 while page N is stored
(`ingest.ForkedPreparer`); the token-history import reads and formats the next batch of an
export while the one before is stored (`forked_stream`).

fork + a pipe, because Lambda has no /dev/shm (no multiprocessing Pool or Queue); threads would
not help (the GIL). The child runs only pure code with the garbage collector off (no finalizer
of an inherited object, the database connection above all, may run there) and leaves by
`os._exit`, never returning into its parent's code.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import warnings
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe
from typing import Any, TypeVar

from mhc.observability import logger

T = TypeVar("T")


class ChildGone(Exception):
    """The second process cannot be heard from: it died, garbled the pipe, or said nothing
    within the time allowed."""


class SecondProcess:
    """A forked child running `work(pipe)`; the parent talks to it over the other end."""

    def __init__(self, pipe: Connection, pid: int) -> None:
        self._pipe: Connection | None = pipe
        self.pid = pid

    @classmethod
    def start(cls, work: Callable[[Connection], None]) -> SecondProcess:
        """Fork a child that runs `work` with its end of a pipe, then exits (OSError: no fork)."""
        parent_end, child_end = Pipe(duplex=True)
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns about fork() in a threaded process: locks other threads
                # hold stay locked in the child. The child takes none of them (pure code, no
                # logging), and a stuck child is bounded by the caller's wait anyway.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            parent_end.close()
            child_end.close()
            raise
        if pid == 0:  # the child: never returns
            code = 1
            try:
                gc.disable()
                parent_end.close()
                work(child_end)
                code = 0
            finally:
                os._exit(code)
        child_end.close()
        return cls(parent_end, pid)

    def send(self, message: Any) -> None:
        """Send to the child (what pickle or the pipe raise is the caller's to handle)."""
        assert self._pipe is not None
        self._pipe.send(message)

    def receive(self, seconds: float) -> Any:
        """The child's next message; ChildGone when there is none within `seconds`."""
        assert self._pipe is not None
        try:
            if not self._pipe.poll(seconds):
                raise ChildGone(f"no answer within {seconds:.0f} s")
            return self._pipe.recv()
        except ChildGone:
            raise
        except Exception as exc:  # EOF (the child died), a broken or garbled pipe
            raise ChildGone(f"the second process is gone: {type(exc).__name__}") from None

    def stop(self) -> None:
        """End the child now (whatever it was doing is discarded) and reap it."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _send_each(items: Iterator[Any], pipe: Connection) -> None:
    """The child's side of `forked_stream`: every item, then the end or the error that ended
    the items (an error pickle refuses is sent as its type and message)."""
    try:
        for item in items:
            pipe.send(("item", item))
    except Exception as exc:
        try:
            pipe.send(("error", exc))
        except Exception:
            pipe.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        return
    pipe.send(("end", None))


def forked_stream(items: Iterator[T], *, reply_seconds: float) -> Iterator[T]:
    """The rest of `items`, produced by a forked child while the caller works on the ones it
    was given: the child runs ahead by at most the item it is sending (a pipe holds little, so
    a large item waits for the caller to read it). An error that ends `items` in the child is
    raised here as it would be in place; a child that dies or says nothing within
    `reply_seconds` raises ChildGone (what it had read is lost with it: the caller's
    transaction must end). Where no process can be forked, the items are produced in place.

    `items` must be pure: the child never returns into the caller's code. Close this iterator
    (`contextlib.closing`) to end the child early.
    """
    try:
        child = SecondProcess.start(lambda pipe: _send_each(items, pipe))
    except OSError as exc:
        logger.warning("no second process; working in place", extra={"reason": type(exc).__name__})
        yield from items
        return
    try:
        while True:
            kind, value = child.receive(reply_seconds)
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        child.stop()
