"""Owning the data: every table exported to open files, and restored into a new database.

`export` writes one JSON-lines file per table (`<table>.jsonl`, one row per line, primary-key
order, append-only history included) from one consistent snapshot, then `manifest.json` last:
schema version (the applied migrations), and each file's row count and SHA-256. A directory
without a manifest is an unfinished export.

`restore` loads an export into an empty database migrated with the same migrations. Nothing is
written until every file matches its checksum and every table of the target is empty (apart
from the reference rows the migrations insert, which the export replaces). Then each table is
loaded in its own transaction, in foreign-key order, and committed only when its rows
re-export to exactly the manifest's checksum. A restore that stopped half-way can be run again:
tables already identical to the export are skipped.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mhc.db.connection import Conn
from mhc.domain.clock import Clock, utc_now
from mhc.files import write_private
from mhc.store import data_export as store
from mhc.store.data_export import TableInfo

MANIFEST = "manifest.json"
#: Tables the database fills itself from another table: restoring both would count every
#: interaction twice (decision 16). The source table is loaded; this one is only verified.
DERIVED_TABLES = {
    "person_interaction_counts": "interactions",
    # The analysis summaries (migration 0015; person_rooms also holds the room totals of 0008
    # since 0020), less linked twins.
    "payments": "interactions",
    "room_payment_quarters": "interactions",
    "person_payment_quarters": "interactions",
    "person_activity_quarters": "interactions",
    "person_rooms": "interactions",
    "session_attendance": "interactions and stream_sessions",
}
#: Restores of one database never overlap ("MHCREST" in ASCII).
RESTORE_LOCK_KEY = 0x4D484352455354
PROGRESS_EVERY = 50_000
_BLOCK = 1000


class MigrationEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    name: str
    checksum: str


class TableEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    file: str
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    columns: list[str]
    primary_key: list[str]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["mhc-export"] = "mhc-export"
    format_version: Literal[1] = 1
    exported_at: datetime
    #: The highest applied migration; `migrations` lists them all with their checksums.
    schema_version: int
    migrations: list[MigrationEntry]
    #: In the order a restore loads them (tables referenced by foreign keys first).
    tables: list[TableEntry]


@dataclass(frozen=True)
class Progress:
    step: Literal["export", "check", "restore"]
    table: str
    rows: int
    total: int


ProgressSink = Callable[[Progress], None]


@dataclass(frozen=True)
class RestoredTable:
    name: str
    rows: int
    action: Literal["restored", "already restored", "rebuilt by the database"]


class ExportError(Exception):
    """The export cannot be written (the directory is not empty, the database not migrated)."""


class RestoreRefused(Exception):
    """The restore was refused before anything was written."""


class RestoreError(Exception):
    """A table could not be restored; its transaction was rolled back (earlier tables stay)."""


def dependency_order(tables: Iterable[TableInfo]) -> list[TableInfo]:
    """Tables with every table they reference before them; ties by name."""
    pending = {table.name: table for table in tables}
    ordered: list[TableInfo] = []
    while pending:
        ready = sorted(
            name for name, table in pending.items() if not table.references & pending.keys()
        )
        if not ready:
            raise ExportError(f"foreign keys form a cycle among: {', '.join(sorted(pending))}")
        ordered.extend(pending.pop(name) for name in ready)
    return ordered


def _file_name(table: str) -> str:
    return f"{table}.jsonl"


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= _BLOCK:
            yield block
            block = []
    if block:
        yield block


def _report_every(lines: Iterable[str], sink: ProgressSink, entry: TableEntry) -> Iterator[str]:
    """`lines`, reporting restore progress every PROGRESS_EVERY of them."""
    for number, line in enumerate(lines, start=1):
        if number % PROGRESS_EVERY == 0:
            sink(Progress("restore", entry.name, number, entry.rows))
        yield line


def _digest(lines: Iterable[str]) -> tuple[str, int]:
    """SHA-256 and count of rows as an export file holds them (each line ends with a newline)."""
    digest = hashlib.sha256()
    rows = 0
    for block in _blocks(lines):
        digest.update(("\n".join(block) + "\n").encode("utf-8"))
        rows += len(block)
    return digest.hexdigest(), rows


# --- export ---------------------------------------------------------------------------------
def _write_table(
    conn: Conn, table: TableInfo, directory: Path, progress: ProgressSink
) -> TableEntry:
    total = store.count(conn, table)
    path = directory / _file_name(table.name)
    digest = hashlib.sha256()
    rows = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in _blocks(store.rows_as_json(conn, table)):
            data = ("\n".join(block) + "\n").encode("utf-8")
            digest.update(data)
            out.write(data)
            before, rows = rows, rows + len(block)
            if rows // PROGRESS_EVERY > before // PROGRESS_EVERY:
                progress(Progress("export", table.name, rows, total))
        out.flush()
        os.fsync(out.fileno())
    progress(Progress("export", table.name, rows, rows))
    return TableEntry(
        name=table.name,
        file=path.name,
        rows=rows,
        sha256=digest.hexdigest(),
        columns=list(table.columns),
        primary_key=list(table.primary_key),
    )


def export(
    conn: Conn,
    directory: Path,
    *,
    clock: Clock = utc_now,
    progress: ProgressSink = lambda _p: None,
) -> Manifest:
    """Write every table and the manifest into `directory` (new or empty; created mode 0700)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportError(f"{directory} is not an empty directory: export into a new one")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # One snapshot for every table: rows written meanwhile are all in, or all out.
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        store.pin_rendering(conn)
        migrations = [MigrationEntry.model_validate(m) for m in store.applied_migrations(conn)]
        if not migrations:
            raise ExportError("the database is not migrated: there is nothing to export")
        entries = [
            _write_table(conn, table, directory, progress)
            for table in dependency_order(store.tables(conn))
        ]
    manifest = Manifest(
        exported_at=clock(),
        schema_version=max(m.version for m in migrations),
        migrations=migrations,
        tables=entries,
    )
    # Last, and atomically: a manifest means a complete export.
    write_private(directory / MANIFEST, manifest.model_dump_json(indent=2) + "\n")
    return manifest


# --- restore --------------------------------------------------------------------------------
def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise RestoreRefused(f"{path} is missing: not an export, or an unfinished one") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'manifest'}: {e['msg']}" for e in exc.errors()
        )
        raise RestoreRefused(f"{path} is not a valid manifest: {problems}") from None


def _lines(path: Path) -> Iterator[str]:
    with path.open("r", encoding="utf-8", newline="\n") as handle:
        for line in handle:
            yield line.removesuffix("\n")


def verify_files(directory: Path, manifest: Manifest, progress: ProgressSink) -> None:
    """Every table file is present and matches its row count and SHA-256 (RestoreRefused)."""
    for entry in manifest.tables:
        if entry.file != _file_name(entry.name):
            raise RestoreRefused(f"manifest: table {entry.name} names the file {entry.file!r}")
        path = directory / entry.file
        if not path.is_file():
            raise RestoreRefused(f"{path} is missing")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != entry.sha256:
            raise RestoreRefused(
                f"{path} does not match its checksum in the manifest: the file was changed "
                "or damaged after the export"
            )
        rows = sum(1 for _ in _lines(path))
        if rows != entry.rows:
            raise RestoreRefused(f"{path} holds {rows} rows, the manifest says {entry.rows}")
        progress(Progress("check", entry.name, rows, entry.rows))


def _table_digest(conn: Conn, table: TableInfo) -> tuple[str, int]:
    return _digest(store.rows_as_json(conn, table))


def _plan(conn: Conn, manifest: Manifest) -> list[tuple[TableInfo, TableEntry, bool]]:
    """(table, its manifest entry, already restored?) in load order; RestoreRefused unless the
    target has the export's schema and holds nothing of its own."""
    applied = [MigrationEntry.model_validate(m) for m in store.applied_migrations(conn)]
    if not applied:
        raise RestoreRefused("the target database is not migrated: run `mhc migrate` first")
    if applied != manifest.migrations:
        theirs = max(m.version for m in applied)
        raise RestoreRefused(
            f"the export has schema version {manifest.schema_version} and the target "
            f"{theirs} (or their migrations differ): restore into a database migrated with "
            "the same migrations"
        )
    tables = dependency_order(store.tables(conn))
    entries = {entry.name: entry for entry in manifest.tables}
    names = {table.name for table in tables}
    if names != entries.keys():
        raise RestoreRefused(
            "the export's tables differ from the target's: "
            f"only in the export {sorted(entries.keys() - names)}, "
            f"only in the target {sorted(names - entries.keys())}"
        )
    plan = []
    occupied = []
    for table in tables:
        entry = entries[table.name]
        if list(table.columns) != entry.columns:
            raise RestoreRefused(f"{table.name}: the export's columns differ from the target's")
        own_rows = store.rows_not_from_migrations(conn, table)
        done = own_rows > 0 and _table_digest(conn, table) == (entry.sha256, entry.rows)
        # A derived table holds what the database built while its source table loaded (a
        # resumed restore); a target with other data is caught by the source table itself.
        if own_rows and not done and table.name not in DERIVED_TABLES:
            occupied.append(f"{table.name} ({own_rows} rows)")
        plan.append((table, entry, done))
    if occupied:
        raise RestoreRefused(
            "the target database is not empty: "
            + ", ".join(occupied)
            + "; restore into a new database (create it, `mhc migrate`, then `mhc restore`)"
        )
    return plan


def _restore_table(
    conn: Conn, table: TableInfo, entry: TableEntry, directory: Path, progress: ProgressSink
) -> None:
    with conn.transaction():
        store.pin_rendering(conn)
        store.lock(conn, table)
        if store.rows_not_from_migrations(conn, table):
            raise RestoreError(f"{table.name} was written to during the restore")
        store.delete_rows_from_migrations(conn, table)
        lines = _report_every(_lines(directory / entry.file), progress, entry)
        store.load_json_rows(conn, table, lines)
        store.reset_sequences(conn, table)
        if _table_digest(conn, table) != (entry.sha256, entry.rows):
            raise RestoreError(
                f"{table.name}: the loaded rows do not re-export to the manifest's checksum "
                "(nothing of this table was kept)"
            )
    progress(Progress("restore", entry.name, entry.rows, entry.rows))


def _verify_derived(conn: Conn, table: TableInfo, entry: TableEntry) -> None:
    with conn.transaction():
        store.pin_rendering(conn)
        if _table_digest(conn, table) != (entry.sha256, entry.rows):
            raise RestoreError(
                f"{table.name}, which the database builds from {DERIVED_TABLES[table.name]}, "
                "differs from the export's copy: the exported database was inconsistent"
            )


def restore(
    conn: Conn, directory: Path, *, progress: ProgressSink = lambda _p: None
) -> list[RestoredTable]:
    """Load the export in `directory` into the (empty, migrated) database of `conn`."""
    manifest = read_manifest(directory)
    verify_files(directory, manifest, progress)
    locked = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (RESTORE_LOCK_KEY,)).fetchone()
    if not locked or not locked["ok"]:
        raise RestoreRefused("another restore into this database is running")
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            store.pin_rendering(conn)
            plan = _plan(conn, manifest)
        report: list[RestoredTable] = []
        for table, entry, done in plan:
            if table.name in DERIVED_TABLES:
                continue
            if not done:
                _restore_table(conn, table, entry, directory, progress)
            report.append(
                RestoredTable(entry.name, entry.rows, "already restored" if done else "restored")
            )
        for table, entry, _done in plan:
            if table.name in DERIVED_TABLES:
                _verify_derived(conn, table, entry)
                report.append(RestoredTable(entry.name, entry.rows, "rebuilt by the database"))
        return report
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (RESTORE_LOCK_KEY,))
