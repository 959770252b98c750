"""The owner's first run, as a new user meets it: `mhc init` in an empty directory, then `mhc run`.

Each command is a real subprocess in a temporary directory (no .env of the developer's), on a
fresh test database.
"""

from __future__ import annotations

import os
import pty
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from local_server import free_port, stop, wait_until_serving
from mhc.config import MIN_API_TOKEN_LENGTH

TOKEN_LINE = re.compile(r"^\s{4}(\S+)$", re.MULTILINE)
Serve = Callable[[Path], tuple[str, Path]]


def _env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MHC_", "DATABASE_URL", "AWS_"))
    }
    env.update(extra)
    return env


def _mhc(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mhc.cli", *args],
        cwd=cwd,
        env=env or _env(),
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _env_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


@pytest.fixture
def serve(database_url: str) -> Iterator[Serve]:
    """Start `mhc run --no-pollers` in a directory; yields a function returning (base URL, log)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(cwd: Path) -> tuple[str, Path]:
        port = free_port()
        log = cwd / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "mhc.cli", "run", "--no-pollers", "--port", str(port)],
                cwd=cwd,
                env=_env(DATABASE_URL=database_url, MHC_LOG_LEVEL="WARNING"),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(process, base, log)
        return base, log

    yield start
    for process in processes:
        stop(process)


def test_init_then_run_then_sign_in_with_the_printed_token(tmp_path: Path, serve: Serve) -> None:
    # Given an empty directory, When the owner runs `mhc init` (non-interactive)
    result = _mhc("init", "--owner", "First_Owner", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Then .env is written, private, with the owner and a strong token printed once
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = _env_values(env_file)
    assert values["MHC_OWNER_USERNAME"] == "first_owner"
    token = values["MHC_API_TOKEN"]
    assert len(token) >= MIN_API_TOKEN_LENGTH
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert TOKEN_LINE.findall(result.stdout) == [token]
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left behind
    # When the server starts there, Then it does not warn about the owner or the token
    base, log = serve(tmp_path)
    assert "warning: MHC_" not in log.read_text()
    # And sign-in (the UI checks the token on /api/health/ingest) works with the printed token
    ok = httpx.get(f"{base}/api/health/ingest", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    owner = httpx.get(f"{base}/api/owner", headers={"Authorization": f"Bearer {token}"})
    assert owner.json()["owner"] == "first_owner"
    wrong = httpx.get(f"{base}/api/health/ingest", headers={"Authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401


def test_init_never_overwrites_without_force_and_force_keeps_other_settings(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "MHC_OWNER_USERNAME=old_owner\nMHC_API_TOKEN=old\nMHC_STATS_TOKEN=keep-me\n"
    )
    # When init runs again without --force, Then it refuses and the file is unchanged
    refused = _mhc("init", "--owner", "new_owner", cwd=tmp_path)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert env_file.read_text().startswith("MHC_OWNER_USERNAME=old_owner\n")
    # When it runs with --force and no --owner, Then the owner is kept, the token is new, and
    # the other settings survive
    forced = _mhc("init", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    values = _env_values(env_file)
    assert values["MHC_OWNER_USERNAME"] == "old_owner"
    assert values["MHC_API_TOKEN"] != "old"
    assert len(values["MHC_API_TOKEN"]) >= MIN_API_TOKEN_LENGTH
    assert values["MHC_STATS_TOKEN"] == "keep-me"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_init_asks_on_a_terminal_until_the_username_is_valid(tmp_path: Path) -> None:
    # Given a terminal on stdin, When the owner first types an invalid name, then a valid one
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"not valid!\nTerminal_Owner\n")
        result = _mhc("init", cwd=tmp_path, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    # Then the invalid one is explained and the valid one is written
    assert result.returncode == 0, result.stderr
    assert "only letters, digits and underscores" in result.stdout
    assert _env_values(tmp_path / ".env")["MHC_OWNER_USERNAME"] == "terminal_owner"


def test_init_without_a_terminal_or_owner_writes_the_token_and_says_what_is_missing(
    tmp_path: Path,
) -> None:
    result = _mhc("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MHC_OWNER_USERNAME" in result.stderr
    values = _env_values(tmp_path / ".env")
    assert "MHC_OWNER_USERNAME" not in values
    assert len(values["MHC_API_TOKEN"]) >= MIN_API_TOKEN_LENGTH


def test_init_refuses_an_invalid_owner_flag(tmp_path: Path) -> None:
    result = _mhc("init", "--owner", "no spaces", cwd=tmp_path)
    assert result.returncode == 2
    assert "--owner" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_run_without_init_warns_about_the_owner_and_the_token(tmp_path: Path, serve: Serve) -> None:
    _, log = serve(tmp_path)
    text = log.read_text()
    assert "warning: MHC_OWNER_USERNAME is not set" in text
    assert "warning: MHC_API_TOKEN is not set" in text


def test_run_with_a_short_token_stops_with_a_message_naming_the_variable(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / ".env").write_text("MHC_OWNER_USERNAME=some_owner\nMHC_API_TOKEN=short\n")
    result = _mhc("run", "--no-pollers", cwd=tmp_path, env=_env(DATABASE_URL=database_url))
    assert result.returncode == 2
    assert "MHC_API_TOKEN: must be at least 32 characters" in result.stderr
    assert "short\n" not in result.stderr
