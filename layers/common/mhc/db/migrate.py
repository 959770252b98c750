"""Forward-only SQL migrations: `migrations/NNNN_name.sql`, each applied once in a transaction.

Applied files are recorded with a SHA-256 checksum in `schema_migrations`; a file edited after it
was applied stops the runner (fix forward with a new file instead). A session-level advisory lock
serializes concurrent runners, so two deploys starting together apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from mhc.db.connection import Conn

#: Arbitrary constant identifying the migration lock ("MHCMIGR" in ASCII).
ADVISORY_LOCK_KEY = 0x4D48434D494752
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    """The migrations cannot be applied safely (edited file, bad name, failed SQL)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    version: int
    name: str
    applied_at: datetime | None
    state: str  # "applied" | "pending" | "edited" | "missing"


def discover(directory: Path) -> list[Migration]:
    """The migration files in `directory`, ordered by version; bad names are errors."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    migrations: list[Migration] = []
    seen: dict[int, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"bad migration file name {path.name!r} (expected NNNN_name.sql)")
        version = int(match.group(1))
        if version in seen:
            raise MigrationError(
                f"two migrations share version {version}: {seen[version]}, {path.name}"
            )
        seen[version] = path.name
        migrations.append(Migration(version, match.group(2), path, path.read_text("utf-8")))
    return migrations


def _applied(conn: Conn) -> dict[int, dict[str, Any]]:
    rows = conn.execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()
    return {int(row["version"]): row for row in rows}


def _table_exists(conn: Conn) -> bool:
    row = conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
    return row is not None and row["t"] is not None


def status(conn: Conn, directory: Path) -> list[MigrationStatus]:
    """Every known migration with its state; does not write anything."""
    files = {m.version: m for m in discover(directory)}
    applied = _applied(conn) if _table_exists(conn) else {}
    result: list[MigrationStatus] = []
    for version in sorted(files.keys() | applied.keys()):
        file, row = files.get(version), applied.get(version)
        if row is None and file is not None:
            result.append(MigrationStatus(version, file.name, None, "pending"))
            continue
        assert row is not None
        applied_at = row["applied_at"]
        assert isinstance(applied_at, datetime)
        if file is None:
            state = "missing"
        elif file.checksum != row["checksum"]:
            state = "edited"
        else:
            state = "applied"
        result.append(MigrationStatus(version, str(row["name"]), applied_at, state))
    return result


def migrate(
    conn: Conn,
    directory: Path,
    *,
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[Migration]:
    """Apply pending migrations in order; return those applied. `conn` must be autocommit."""
    if not conn.autocommit:
        raise MigrationError("migrate() needs an autocommit connection")
    migrations = discover(directory)
    conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        conn.execute(_CREATE_TABLE)
        applied = _applied(conn)
        on_disk = {m.version for m in migrations}
        for version, row in applied.items():
            if version not in on_disk:
                raise MigrationError(
                    f"migration {version:04d}_{row['name']} is applied but its file is missing"
                )
        for migration in migrations:
            applied_row = applied.get(migration.version)
            if applied_row is not None and applied_row["checksum"] != migration.checksum:
                raise MigrationError(
                    f"migration {migration.path.name} was edited after it was applied "
                    "(checksum mismatch); add a new migration instead"
                )
        done: list[Migration] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            progress(f"applying {migration.path.name}")
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode("utf-8"))
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"migration {migration.path.name} failed: {exc}") from exc
            done.append(migration)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def schema_version(conn: Conn) -> int | None:
    """The highest applied migration version, or None for an empty database."""
    if not _table_exists(conn):
        return None
    row = conn.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
    return None if row is None or row["v"] is None else int(row["v"])
