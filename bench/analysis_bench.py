"""Analysis benchmark: person insights, the owner's audience and a session recap on the store
bench's dataset (100k persons, 2M interactions, all in the owner's room).

    python bench/analysis_bench.py                    # daily sessions (the default schedule)
    python bench/analysis_bench.py --schedule dense   # 4 h on, 4 h off: 18 sessions
    python bench/analysis_bench.py --explain          # also EXPLAIN ANALYZE the audience

It reuses (or builds) the `mhc_bench` database of `bench/store_bench.py`, applies pending
migrations (0015 backfills its summaries once, about a minute), and gives the owner sessions:
the store bench has none. `daily`: one broadcast a day, 18:00-24:00 UTC (6 sessions over the
dataset's six days); `dense`: four hours on, four off (18 sessions). Interactions outside
sessions stay (viewers are seen when the owner is offline too).

Prints p50/p95 of: person insights for every person with at least 20,000 interactions (the
owner's own page apart: the store bench gives her 340k rows), with the RFM edges cached as
the API caches them (the first, uncached call is printed separately); the audience over all 2M
interactions (window 2024-12-01 .. 2025-01-07, covering everything); the recap of the busiest
session. Targets (issue 17): insights p95 <= 50 ms, audience p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "bench"))

from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.services import analysis  # noqa: E402
from store_bench import OWNER, bench_url, build, dataset_ready, percentile, server_url  # noqa: E402

DATA_START = datetime(2025, 1, 1, tzinfo=UTC)
DATA_END = datetime(2025, 1, 6, 18, 53, 20, tzinfo=UTC)
NOW = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)
WINDOW = (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 7, tzinfo=UTC))
TIMEZONE = "Europe/Berlin"
SCHEDULES = {
    "daily": [(DATA_START + timedelta(days=d, hours=18), timedelta(hours=6)) for d in range(6)],
    "dense": [
        (DATA_START + timedelta(hours=1 + 8 * k), timedelta(hours=4))
        for k in range(18)
        if DATA_START + timedelta(hours=1 + 8 * k) < DATA_END
    ],
}


def prepare(url: str, schedule: str) -> None:
    """Migrate, and give the owner the schedule's sessions (kept between runs)."""
    target = bench_url(url)
    with connect(target) as conn:
        started = time.perf_counter()
        applied = migrate(conn, ROOT / "migrations")
        if applied:
            names = ", ".join(m.name for m in applied)
            print(f"migrated ({names}) in {time.perf_counter() - started:.1f} s", flush=True)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_analysis (schedule text)")
        row = conn.execute("SELECT schedule FROM bench_analysis").fetchone()
        if row is None or row["schedule"] != schedule:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute("DELETE FROM stream_sessions")
                conn.execute("DELETE FROM bench_analysis")
                for begin, length in SCHEDULES[schedule]:
                    conn.execute(
                        """INSERT INTO stream_sessions (started_at, ended_at, source)
                           VALUES (%s, %s, 'cb_events')""",
                        (begin, begin + length),
                    )
                conn.execute("INSERT INTO bench_analysis VALUES (%s)", (schedule,))
            print(
                f"{schedule} sessions created (attendance counted by the sessions' trigger) in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            conn.execute("VACUUM ANALYZE")


def heavy_persons(db: Database) -> tuple[list[int], int | None]:
    """Persons with >= 20,000 interactions (the excluded one too: their own page is a page),
    and the owner apart (the store bench gives her 340k rows of her own room)."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT c.person_id, sum(c.count) AS n, p.is_excluded, p.username = %s AS owner
               FROM person_interaction_counts c JOIN persons p ON p.id = c.person_id
               GROUP BY c.person_id, p.is_excluded, p.username HAVING sum(c.count) >= 20000
               ORDER BY n DESC""",
            (OWNER,),
        ).fetchall()
    for row in rows:
        note = " (excluded)" if row["is_excluded"] else " (the owner)" if row["owner"] else ""
        print(f"  person {row['person_id']}: {int(row['n']):,} interactions{note}")
    heavy = [int(r["person_id"]) for r in rows if not r["owner"]]
    owner = next((int(r["person_id"]) for r in rows if r["owner"]), None)
    return heavy, owner


def timed(call: Callable[[], Any], samples: int) -> list[float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float], target: float | None = None) -> None:
    goal = f" (target <= {target:.0f})" if target is not None else ""
    print(
        f"{label}: n={len(timings)} p50 {percentile(timings, 50):.1f} ms, "
        f"p95 {percentile(timings, 95):.1f} ms{goal}, max {max(timings):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms"
    )


def explain_audience(db: Database) -> None:
    """EXPLAIN ANALYZE of the audience statement (where its time goes)."""
    from mhc.store import analysis as store

    with db.transaction() as conn:
        spans = [s.id for s in store.sessions(conn, until=WINDOW[1]) if s.started_at >= WINDOW[0]]
        query = conn.execute  # keep psycopg's parameter handling
        original = conn.execute

        def explained(sql: Any, params: Any = None, **kwargs: Any) -> Any:
            if isinstance(sql, str) and sql.lstrip().startswith("WITH"):
                plan = original("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
                print("\n".join(row["QUERY PLAN"] for row in plan))
            return original(sql, params, **kwargs)

        conn.execute = explained  # type: ignore[method-assign]
        try:
            store.audience(
                conn,
                OWNER,
                session_ids=spans,
                since=WINDOW[0],
                until=WINDOW[1],
                top=20,
                regular_min_sessions=6,
            )
        finally:
            conn.execute = query  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", choices=sorted(SCHEDULES), default="daily")
    parser.add_argument("--samples", type=int, default=100, help="timed calls per measure")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the audience")
    args = parser.parse_args()
    url = server_url()
    if not dataset_ready(url):
        import random

        build(url, random.Random(20261121))
    prepare(url, args.schedule)
    db = Database(bench_url(url))
    print(f"\nschedule: {args.schedule} ({len(SCHEDULES[args.schedule])} sessions)")
    heavy, owner_id = heavy_persons(db)
    cache = analysis.RfmCache()

    def insights(person_id: int) -> Callable[[], Any]:
        return lambda: analysis.person_insights(
            db, person_id, owner=OWNER, timezone=TIMEZONE, clock=lambda: NOW, rfm_cache=cache
        )

    cold = timed(insights(heavy[0]), 1)
    report("person insights, first call (computes the RFM edges)", cold)
    for pid in heavy:
        insights(pid)()  # warm-up
    per_person: list[float] = []
    for pid in heavy:
        per_person += timed(insights(pid), args.samples)
    report(f"person insights, {len(heavy)} persons with >= 20,000 interactions", per_person, 50)
    for pid in heavy:
        report(f"  person {pid}", timed(insights(pid), max(10, args.samples // 5)))
    if owner_id is not None:
        report(
            f"  the owner's own page (person {owner_id}, no target)", timed(insights(owner_id), 10)
        )

    def audience() -> Any:
        return analysis.owner_audience(
            db,
            owner=OWNER,
            timezone=TIMEZONE,
            since=WINDOW[0],
            until=WINDOW[1],
            clock=lambda: NOW,
        )

    audience()
    report("audience over all 2M interactions", timed(audience, max(20, args.samples // 2)), 300)
    with db.transaction() as conn:
        busiest = conn.execute(
            """SELECT session_id FROM session_attendance GROUP BY 1 ORDER BY count(*) DESC
               LIMIT 1"""
        ).fetchone()
    if busiest is not None:
        sid = int(busiest["session_id"])
        recap = timed(
            lambda: analysis.session_recap_of(db, sid, owner=OWNER, clock=lambda: NOW), 10
        )
        report(f"recap of the busiest session ({sid}, no target)", recap)
    if args.explain:
        explain_audience(db)
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
