"""One PostgreSQL connection per execution environment, Lambda style.

A Lambda environment serves one request at a time, so a pool only wastes database connections.
`Database` creates its connection lazily, checks it before each use, and reconnects once when
the server went away (idle timeout, RDS failover, proxy restart). Every use case runs in one
transaction through `Database.transaction()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

import psycopg
from psycopg.rows import dict_row

from mhc.db.storable import make_storable
from mhc.observability import logger, redact

T = TypeVar("T")

#: A connection whose rows are dicts (MHC opens every connection with `dict_row`).
Conn = psycopg.Connection[dict[str, Any]]

#: A connection idle longer than this is pinged before it is handed out.
IDLE_CHECK_SECONDS = 30.0


def connect(url: str, *, autocommit: bool = True, proxy: bool = False) -> Conn:
    """Open a connection with MHC's conventions (dict rows, UTC, bounded connect time, NUL
    made storable)."""
    conn = psycopg.connect(
        url,
        autocommit=autocommit,
        row_factory=dict_row,
        connect_timeout=10,
        options="-c timezone=UTC",
        application_name="mhc",
        # Behind RDS Proxy, server-side prepared statements break connection multiplexing.
        prepare_threshold=None if proxy else 5,
    )
    make_storable(conn)
    return conn


class Database:
    """A lazily opened, health-checked connection shared by one execution environment."""

    def __init__(
        self,
        url: str | Callable[[], str],
        *,
        proxy: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._proxy = proxy
        self._clock = clock
        self._conn: Conn | None = None
        self._last_used = 0.0
        self._lock = threading.RLock()

    def _open(self) -> Conn:
        url = self._url() if callable(self._url) else self._url
        try:
            return connect(url, proxy=self._proxy)
        except psycopg.OperationalError as exc:
            raise psycopg.OperationalError(redact(exc)) from None

    def _healthy(self, conn: Conn) -> bool:
        if conn.closed or conn.broken:
            return False
        if self._clock() - self._last_used < IDLE_CHECK_SECONDS:
            return True
        try:
            conn.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def connection(self) -> Conn:
        """The environment's connection, reopened when it is closed, broken or unreachable."""
        with self._lock:
            if self._conn is None or not self._healthy(self._conn):
                if self._conn is not None:
                    logger.warning("database connection lost; reconnecting")
                    self.close()
                self._conn = self._open()
            self._last_used = self._clock()
            return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self._lock:
            conn = self.connection()
            try:
                with conn.transaction():
                    yield conn
            except psycopg.OperationalError:
                self.close()
                raise
            finally:
                self._last_used = self._clock()

    def run(self, use_case: Callable[[Conn], T]) -> T:
        """Run `use_case` in one transaction; retry once on a fresh connection if it dropped.

        Only for idempotent use cases (all MHC writes are): a dropped connection may leave it
        unknown whether the first attempt committed.
        """
        try:
            with self.transaction() as conn:
                return use_case(conn)
        except psycopg.OperationalError as exc:
            logger.warning("database operation failed; retrying once", extra={"error": redact(exc)})
            with self.transaction() as conn:
                return use_case(conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None


class TransactionSource(Protocol):
    """Anything that hands out a connection inside one transaction (Database, PooledDatabase)."""

    def transaction(self) -> AbstractContextManager[Conn]: ...
