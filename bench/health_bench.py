"""Health benchmark: what the header's poll of the collectors' status costs after a year of runs.

    python bench/health_bench.py               # build (or reuse) the dataset, print figures
    python bench/health_bench.py --rebuild     # drop and rebuild it first

Dataset (database `mhc_health_bench` on DATABASE_URL's server, or on the embedded server under
.mhc/bench-pgdata): a year of `job_runs` as production writes them: the events poller's links
and watchdog skips (every 5 minutes each), each scheduled job at its interval, and 300 lookups a
day (`statbate_lookup`), ~530k rows; plus 2,000 event gaps. Every open tab polls
`GET /api/health/status` once a minute and the Jobs & health page also `GET /api/health/ingest`
every 30 s: prints p50/p95 of both through the full app (auth, validation, serialization) with
an in-process ASGI client. Target: p95 <= 25 ms each.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "bench"))

from mhc.db.connection import connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from store_bench import percentile, server_url  # noqa: E402

BENCH_DB = "mhc_health_bench"
TOKEN = "bench-token-0123456789abcdef0123456789"  # noqa: S105 (a throwaway token for the in-process app)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 365
TARGET_MS = 25.0

#: (job, interval, status) series written over the year, newest at NOW.
SERIES = [
    ("events_poller", timedelta(minutes=5), "succeeded"),
    ("events_poller", timedelta(minutes=5), "skipped"),
    ("cb_stats", timedelta(minutes=5), "succeeded"),
    ("affiliate_sweep", timedelta(minutes=5), "succeeded"),
    ("profile_collection", timedelta(minutes=15), "succeeded"),
    ("statbate_refresh", timedelta(hours=6), "failed"),
    ("statbate_lookup", timedelta(days=1) / 300, "succeeded"),
]


def bench_url(url: str) -> str:
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = BENCH_DB
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def build(url: str) -> int:
    with connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    target = bench_url(url)
    with connect(target) as conn:
        migrate(conn, ROOT / "migrations")
    start = NOW - timedelta(days=DAYS)
    with connect(target) as conn, conn.transaction():
        for job, interval, status in SERIES:
            conn.execute(
                """INSERT INTO job_runs (job, started_at, finished_at, status, counts, error)
                   SELECT %s, at, at + interval '2 seconds', %s, '{"n": 1}'::jsonb,
                          CASE WHEN %s = 'failed' THEN 'statbate: HTTP 503' END
                   FROM generate_series(%s::timestamptz, %s::timestamptz, %s::interval) AS at""",
                (job, status, status, start, NOW - timedelta(minutes=1), interval),
            )
        conn.execute(
            """INSERT INTO event_gaps (detected_at, reason)
               SELECT at, 'waited too long'
               FROM generate_series(%s::timestamptz, %s::timestamptz, interval '4 hours') AS at""",
            (start, NOW),
        )
        conn.execute("CREATE TABLE bench_done ()")
        row = conn.execute("SELECT count(*) AS n FROM job_runs").fetchone()
    with connect(target) as conn:
        conn.execute("VACUUM ANALYZE")
    assert row is not None
    return int(row["n"])


def ready(url: str) -> bool:
    with connect(url) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone()
    if not exists:
        return False
    with connect(bench_url(url)) as conn:
        row = conn.execute("SELECT to_regclass('bench_done') AS t").fetchone()
        return row is not None and row["t"] is not None


def _timed(call: Callable[[], int], samples: int, warmup: int = 30) -> list[float]:
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return timings


def measure(url: str, samples: int) -> dict[str, list[float]]:
    os.environ["MHC_API_TOKEN"] = TOKEN
    from fastapi.testclient import TestClient
    from mhc.api import create_app
    from mhc.config import get_settings
    from mhc.db.connection import Database
    from mhc.observability import logger

    get_settings.cache_clear()
    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    db = Database(bench_url(url))
    app = create_app(lambda: db, clock=lambda: NOW)
    client = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    results = {
        "GET /api/health/status": _timed(
            lambda: client.get("/api/health/status").status_code, samples
        ),
        "GET /api/health/ingest": _timed(
            lambda: client.get("/api/health/ingest").status_code, samples
        ),
    }
    body = client.get("/api/health/status").json()
    print(f"verdict: {body['verdict']}; reasons: {[r['text'] for r in body['reasons']]}")
    db.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the dataset")
    parser.add_argument("--samples", type=int, default=500, help="requests per route")
    args = parser.parse_args()
    url = server_url()
    if args.rebuild or not ready(url):
        started = time.perf_counter()
        rows = build(url)
        print(f"built {rows:,} job runs in {time.perf_counter() - started:.1f} s")
    for name, timings in measure(url, args.samples).items():
        p95 = percentile(timings, 95)
        verdict = "ok" if p95 <= TARGET_MS else "OVER TARGET"
        print(
            f"{name:<24} n={len(timings)}  p50 {percentile(timings, 50):6.2f} ms  "
            f"p95 {p95:6.2f} ms  mean {statistics.mean(timings):6.2f} ms  "
            f"(target p95 <= {TARGET_MS:.0f} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
