"""Token-history import benchmark: a busy room's 200,000-row export through the production import.

    python bench/token_history_bench.py [--rows 200000] [--live 20000]

Builds the export (tips, per-minute private and spy shows, media, other income; a few
thousand tippers), stores `--live` of its tips as live capture first (through the real ingest
path, not timed) so the import also links, then times in a fresh database `mhc_th_bench`:
1. the first import (every row new: raw rows, persons, interactions, links) -- target
   >= 20,000 rows/s (issue 18);
2. the same file again (every row already stored: adds nothing).
Runs on DATABASE_URL's server or the embedded one under .mhc/bench-pgdata.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fakes.token_history import busy_export, tip_event  # noqa: E402
from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.token_history import TransactionType, parse_token_history  # noqa: E402
from mhc.services import ingest, token_history  # noqa: E402
from store_bench import server_url  # noqa: E402

BENCH_DB = "mhc_th_bench"
OWNER = "bench_owner"


def fresh_database(url: str) -> str:
    import psycopg

    with connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = BENCH_DB
    target = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    with connect(target) as conn:
        migrate(conn, ROOT / "migrations")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--live", type=int, default=20_000, help="tips also captured live")
    args = parser.parse_args()
    lines = busy_export(args.rows)
    size = sum(len(line.encode()) for line in lines)
    print(f"export: {args.rows:,} rows, {size / 1e6:.1f} MB", flush=True)

    target = fresh_database(server_url())
    db = Database(target)
    # Live capture of some of the export's tips (20-100 s earlier than the export says).
    rng = random.Random(7)
    tips = [r for r in parse_token_history(lines).rows if r.type is TransactionType.TIP]
    chosen = rng.sample(tips, min(args.live, len(tips)))
    envelopes = [
        tip_event(OWNER, r.username, r.tokens, r.occurred_at.replace(microsecond=0), seq=n)
        for n, r in enumerate(chosen)
    ]
    started = time.perf_counter()
    captured = [ingest.CapturedLine(line, env) for line, env in enumerate(envelopes, 1)]
    ingest.replay(db, captured, owner=OWNER, received_at=tips[-1].occurred_at)
    print(
        f"live capture: {len(envelopes):,} tips ingested in {time.perf_counter() - started:.1f} s"
    )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.perf_counter()
    first = token_history.import_export(db, lines, owner=OWNER, file_name="bench.csv")
    seconds = time.perf_counter() - started
    print(
        f"first import: {first.good_rows:,} rows in {seconds:.2f} s = "
        f"{first.good_rows / seconds:,.0f} rows/s (target >= 20,000); {first.new_rows:,} new, "
        f"{first.persons:,} persons, {first.linked:,} linked (load average {load:.1f})",
        flush=True,
    )
    started = time.perf_counter()
    again = token_history.import_export(db, lines, owner=OWNER, file_name="bench.csv")
    seconds = time.perf_counter() - started
    print(
        f"re-import: {again.good_rows:,} rows in {seconds:.2f} s = "
        f"{again.good_rows / seconds:,.0f} rows/s; {again.new_rows:,} new, {again.linked:,} linked"
    )
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
