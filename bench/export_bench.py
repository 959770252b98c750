"""Export / restore benchmark: `mhc export` and `mhc restore` on the store benchmark's dataset.

    python bench/export_bench.py            # build (or reuse) bench/store_bench.py's dataset
    python bench/export_bench.py --rebuild  # rebuild that dataset first

Exports database `mhc_bench` (100k persons, 2M interactions, 200k snapshots) to a temporary
directory, restores it into a new database `mhc_bench_restore` (dropped afterwards), and prints
rows/s and MB/s of each phase, the export's size, and whether every table came back identical
(the restore itself re-checks each table against the manifest's checksum before committing).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "bench"))

import store_bench  # noqa: E402
from mhc.db.connection import connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.services.data_export import export, restore  # noqa: E402

RESTORE_DB = "mhc_bench_restore"


def with_database(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the store dataset")
    args = parser.parse_args()
    server = store_bench.server_url()
    if args.rebuild or not store_bench.dataset_ready(server):
        store_bench.build(server, random.Random(20261121))
    source = store_bench.bench_url(server)
    with tempfile.TemporaryDirectory(prefix="mhc-export-bench-") as scratch:
        directory = Path(scratch) / "export"
        with connect(source) as conn:
            started = time.perf_counter()
            manifest = export(conn, directory)
            export_seconds = time.perf_counter() - started
        rows = sum(table.rows for table in manifest.tables)
        size = sum(path.stat().st_size for path in directory.iterdir())
        print(f"exported {rows:,} rows in {export_seconds:.1f} s; restoring ...", flush=True)
        with connect(server) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(RESTORE_DB)
            )
            conn.execute(drop)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(RESTORE_DB)))
        try:
            with connect(with_database(server, RESTORE_DB)) as conn:
                migrate(conn, ROOT / "migrations")
                # The dataset's marker table is part of its schema: the target needs it too.
                conn.execute("CREATE TABLE bench_done (built_at timestamptz DEFAULT now())")
                started = time.perf_counter()
                report = restore(conn, directory)
                restore_seconds = time.perf_counter() - started
        finally:
            with connect(server) as conn:
                conn.execute(drop)
    mb = size / 1e6
    print()
    print(f"dataset: {len(manifest.tables)} tables, {rows:,} rows; export {mb:,.0f} MB on disk")
    print(
        f"export:  {export_seconds:6.1f} s  {rows / export_seconds:>9,.0f} rows/s  "
        f"{mb / export_seconds:6.1f} MB/s"
    )
    print(
        f"restore: {restore_seconds:6.1f} s  {rows / restore_seconds:>9,.0f} rows/s  "
        f"{mb / restore_seconds:6.1f} MB/s  (checksums, load, per-table re-check)"
    )
    restored = {table.name: table.rows for table in report}
    identical = restored == {table.name: table.rows for table in manifest.tables}
    print(f"every table restored and re-checked against its checksum: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
