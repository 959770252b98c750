"""Test-wide guards and the real PostgreSQL every integration test runs on.

- Sockets may only reach loopback or Unix sockets: no test can touch the internet.
- PostgreSQL: `MHC_TEST_DATABASE_URL` when set, else the embedded server under .mhc/test-pgdata,
  which stops when the last test process using it exits (parallel runs share it).
  A template database is migrated once per run; each test gets a fresh copy of it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fakes.http import FakeHttpServer
from mhc.db.connection import Database, connect
from mhc.db.migrate import migrate
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = REPO_ROOT / "migrations"
# Unique per test run, so parallel runs on one server never share a template.
TEMPLATE_DB = f"mhc_test_template_{os.getpid()}"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if isinstance(address, str | bytes):  # Unix socket path
        return True
    host = address[0]
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never read the developer's .env or real credentials."""
    for name in list(os.environ):
        if (name.startswith("MHC_") and name != "MHC_TEST_DATABASE_URL") or name.startswith(
            "DATABASE_URL"
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(REPO_ROOT / "tests")
    from mhc.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _server_url() -> str:
    url = os.environ.get("MHC_TEST_DATABASE_URL")
    if url:
        return url
    from mhc.db.embedded import TEST_DATA_DIR, start_embedded

    return start_embedded(TEST_DATA_DIR, keep_running=False)


def _with_database(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def _drop_database(server_url: str, name: str) -> None:
    with connect(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def _scratch_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new uniquely named database (a copy of `template` when given), dropped afterwards."""
    name = f"mhc_test_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create = sql.SQL("{} TEMPLATE {} STRATEGY FILE_COPY").format(
            create, sql.Identifier(template)
        )
    with connect(server_url) as conn:
        conn.execute(create)
    try:
        yield _with_database(server_url, name)
    finally:
        _drop_database(server_url, name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a maintenance database on the test server, with a freshly migrated template."""
    url = _server_url()
    _drop_database(url, TEMPLATE_DB)
    with connect(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    with connect(_with_database(url, TEMPLATE_DB)) as conn:
        migrate(conn, MIGRATIONS)
    yield url
    _drop_database(url, TEMPLATE_DB)


@pytest.fixture
def empty_database_url(pg_server: str) -> Iterator[str]:
    """A brand-new database with no schema at all (for migration tests)."""
    with _scratch_database(pg_server) as url:
        yield url


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A fresh, fully migrated database for one test."""
    with _scratch_database(pg_server, template=TEMPLATE_DB) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.close()


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    """A loopback fake HTTP server (scripted replies), closed after the test."""
    with FakeHttpServer() as fake:
        yield fake
