"""The test suite's embedded server stops when the last process using it exits, even when one of
them was killed; parallel users never lose it under their feet.

Each "test run" is a real subprocess that joins a scratch server the way tests/conftest.py
does (`start_embedded(..., keep_running=False)`) and holds it until told to exit.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from mhc.db.embedded import forget_dead_handles

REPO = Path(__file__).resolve().parents[2]
HOLD = """
import sys
from pathlib import Path
from mhc.db.embedded import start_embedded
start_embedded(Path(sys.argv[1]), keep_running=False)
print("up", flush=True)
sys.stdin.read()  # hold the server until stdin closes
"""


class Run:
    """A process holding the server (like a pytest session)."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "up"

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)


def running(data_dir: Path) -> bool:
    return (data_dir / "postmaster.pid").exists()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under the repository: the server's own (unprivileged) user must reach it
    path = REPO / ".mhc" / f"test-lifecycle-{uuid.uuid4().hex[:12]}"
    yield path
    from mhc.db.embedded import stop_embedded

    stop_embedded(path)
    shutil.rmtree(path, ignore_errors=True)


def test_the_last_run_to_finish_stops_the_server(data_dir: Path) -> None:
    # Given two runs sharing the server
    first, second = Run(data_dir), Run(data_dir)
    # When the first finishes, Then the second still has its server
    first.finish()
    assert running(data_dir)
    # When the second finishes too, Then the server is stopped
    second.finish()
    assert not running(data_dir)


def test_a_killed_run_does_not_keep_the_server_alive_forever(data_dir: Path) -> None:
    # Given a run that was killed while holding the server (its handle never closed)
    killed = Run(data_dir)
    killed.kill()
    handles = json.loads((data_dir / ".handle_pids.json").read_text())
    assert killed.process.pid in handles
    # When the next run starts and finishes, Then the dead handle is forgotten and it stops
    later = Run(data_dir)
    later.finish()
    assert not running(data_dir)
    assert forget_dead_handles(data_dir) == []
