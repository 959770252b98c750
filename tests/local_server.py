"""`mhc run` as a subprocess in tests: a free port, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll /api/health until it answers; fail at once if the server exits."""
    deadline = 60.0
    waited = 0.0
    while waited < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            # Waits on the process (not a bare sleep): returns early if it died.
            code = process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            waited += 0.2
            continue
        pytest.fail(f"mhc run exited with {code}:\n{log.read_text()[-3000:]}", pytrace=False)
    pytest.fail(f"mhc run did not answer within {deadline} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
