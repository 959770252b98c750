"""A small connection pool for the local server (`mhc run`), which serves requests in threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from mhc.db.connection import Conn
from mhc.db.storable import make_storable


class PooledDatabase:
    """Same interface as `Database`, backed by psycopg_pool (local use only)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "row_factory": dict_row,
            "options": "-c timezone=UTC",
            "application_name": "mhc-local",
        }
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs=kwargs,
            open=True,
            check=ConnectionPool.check_connection,
            configure=make_storable,
        )

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self._pool.close()
