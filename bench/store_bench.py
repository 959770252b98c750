"""Store benchmark: builds a realistic dataset and measures the person-detail read and bulk inserts.

    python bench/store_bench.py            # build (or reuse) the dataset, print figures
    python bench/store_bench.py --rebuild  # drop and rebuild the dataset first

Dataset (database `mhc_bench` on DATABASE_URL's server, or on the embedded server under
.mhc/bench-pgdata): 100k persons, 2M interactions, 200k snapshots. Interactions go through the
production bulk path (`store.interactions.append_fresh`, what ingest uses: COPY into the table,
falling back to the conflict-skipping staging path) so the insert rate is the real one.
Prints p50/p95/p99 of the person-detail read and the bulk insert rate. Targets (issue 2):
p95 <= 20 ms, >= 20,000 rows/s. `bench/api_bench.py` reuses the same database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg import sql
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))

from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction  # noqa: E402
from mhc.services.person_detail import person_detail  # noqa: E402
from mhc.store import interactions as interaction_store  # noqa: E402

BENCH_DB = "mhc_bench"
PERSONS = 100_000
INTERACTIONS = 2_000_000
SNAPSHOTS = 200_000
BATCH = 10_000
OWNER = "bench_owner"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
WORDS = (
    "hello hi love purple lights tonight tip thanks wow cute show goal menu song dance smile "
    "beautiful amazing lol haha nice good evening morning weekend again soon miss you back "
    "request private game spin wheel token cam music vibe chill party dark blue"
).split()
TYPES = [
    (InteractionType.CHAT_MESSAGE, 60),
    (InteractionType.USER_ENTER, 15),
    (InteractionType.USER_LEAVE, 12),
    (InteractionType.TIP_EVENT, 8),
    (InteractionType.PRIVATE_MESSAGE, 3),
    (InteractionType.FOLLOW, 2),
]


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from mhc.db.embedded import start_embedded

    return start_embedded(ROOT / ".mhc" / "bench-pgdata")


def bench_url(url: str) -> str:
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = BENCH_DB
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def dataset_ready(url: str) -> bool:
    with connect(url) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone()
    if not exists:
        return False
    with connect(bench_url(url)) as conn:
        row = conn.execute("SELECT to_regclass('bench_done') AS t").fetchone()
        return row is not None and row["t"] is not None


def build(url: str, rng: random.Random) -> float:
    """Create the dataset; return the measured bulk interaction insert rate (rows/s)."""
    with connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    target = bench_url(url)
    with connect(target) as conn:
        migrate(conn, ROOT / "migrations")
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY persons (username, role, did, first_seen_at, last_seen_at, is_excluded) FROM STDIN"
            ) as copy,
        ):
            copy.write_row((OWNER, "MODEL", None, T0, T0, False))
            for n in range(1, PERSONS):
                seen = T0 + timedelta(minutes=rng.randrange(500_000))
                role = "MODEL" if n % 10 == 0 else "VIEWER"
                copy.write_row((f"user_{n:06d}", role, 1_000_000 + n, seen, seen, n == 1))
        print(f"persons: {PERSONS:,} in {time.perf_counter() - started:.1f} s", flush=True)

        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY snapshots (person_id, source, captured_at, raw_payload, normalized_metrics) FROM STDIN"
            ) as copy,
        ):
            for n in range(SNAPSHOTS):
                pid = _skewed_person(rng)
                metrics = {
                    "all_time_tokens": rng.randrange(100_000),
                    "models_tipped_2weeks": rng.randrange(20),
                    "last_tip_amount": rng.randrange(500),
                }
                captured = T0 + timedelta(minutes=n * 2)
                source = "statbate_member" if n % 4 else "statbate_model"
                copy.write_row((pid, source, captured, Jsonb({"data": metrics}), Jsonb(metrics)))
        print(f"snapshots: {SNAPSHOTS:,} in {time.perf_counter() - started:.1f} s", flush=True)

    db = Database(target)
    inserted = 0
    insert_seconds = 0.0
    kinds = [kind for kind, _ in TYPES]
    weights = [weight for _, weight in TYPES]
    for start in range(0, INTERACTIONS, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, INTERACTIONS)):
            kind = rng.choices(kinds, weights)[0]
            has_text = kind in (InteractionType.CHAT_MESSAGE, InteractionType.PRIVATE_MESSAGE)
            batch.append(
                NewInteraction(
                    person_id=_skewed_person(rng),
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"{1_735_689_600_000 + n * 250}-0",
                    occurred_at=T0 + timedelta(milliseconds=n * 250),
                    broadcaster=OWNER,
                    content=" ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
                    if has_text
                    else None,
                    metadata={"tokens": rng.choice((1, 5, 25, 100))}
                    if kind is InteractionType.TIP_EVENT
                    else {},
                )
            )
        started = time.perf_counter()
        with db.transaction() as conn:
            inserted += interaction_store.append_fresh(conn, batch)
        insert_seconds += time.perf_counter() - started
        if (start // BATCH) % 20 == 19:
            print(
                f"interactions: {inserted:,} ({inserted / insert_seconds:,.0f} rows/s)", flush=True
            )
    with db.transaction() as conn:
        conn.execute("CREATE TABLE bench_done (built_at timestamptz DEFAULT now())")
        conn.execute("INSERT INTO bench_done DEFAULT VALUES")
    with connect(target) as conn:
        conn.execute("VACUUM ANALYZE")
    db.close()
    return inserted / insert_seconds


def _skewed_person(rng: random.Random) -> int:
    """Person ids with a long tail: a few regulars, many drive-bys."""
    return (
        min(PERSONS, int(rng.paretovariate(1.2))) if rng.random() < 0.3 else rng.randint(1, PERSONS)
    )


def measure_person_detail(url: str, rng: random.Random, samples: int = 2000) -> list[float]:
    db = Database(bench_url(url))
    person_ids = [_skewed_person(rng) for _ in range(samples)]
    for pid in person_ids[:100]:  # warm-up
        person_detail(db, pid)
    timings = []
    for pid in person_ids:
        started = time.perf_counter()
        person_detail(db, pid)
        timings.append((time.perf_counter() - started) * 1000)
    db.close()
    return timings


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the dataset")
    parser.add_argument("--samples", type=int, default=2000, help="person-detail reads to time")
    args = parser.parse_args()
    rng = random.Random(20261121)
    url = server_url()
    rate = None
    if args.rebuild or not dataset_ready(url):
        rate = build(url, rng)
    timings = measure_person_detail(url, rng, args.samples)
    print()
    print(f"dataset: {PERSONS:,} persons, {INTERACTIONS:,} interactions, {SNAPSHOTS:,} snapshots")
    if rate is not None:
        print(f"bulk interaction insert rate: {rate:,.0f} rows/s (target >= 20,000)")
    else:
        print("bulk interaction insert rate: not measured (dataset reused; pass --rebuild)")
    print(
        f"person detail read over {len(timings)} persons: p50 {percentile(timings, 50):.2f} ms, "
        f"p95 {percentile(timings, 95):.2f} ms (target <= 20), p99 {percentile(timings, 99):.2f} ms, "
        f"mean {statistics.mean(timings):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
