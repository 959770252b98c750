"""Ingest fixtures: several identical fresh databases for tests that compare two ways in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from mhc.db.connection import Database, connect
from psycopg import sql


@pytest.fixture
def fresh_databases(database_url: str, pg_server: str) -> Iterator[Callable[[], Database]]:
    """Make more databases identical to `database_url`'s fresh one (copied from it, so nothing
    may connect to it first); all are closed and dropped afterwards."""
    template = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    made: list[tuple[str, Database]] = []

    def make() -> Database:
        name = f"mhc_test_{uuid.uuid4().hex[:12]}"
        with connect(pg_server) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(str(template))
                )
            )
        info = psycopg.conninfo.conninfo_to_dict(database_url)
        info["dbname"] = name
        database = Database(psycopg.conninfo.make_conninfo(**info))  # type: ignore[arg-type]
        made.append((name, database))
        return database

    yield make
    for name, database in made:
        database.close()
        with connect(pg_server) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
