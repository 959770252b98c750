"""Ingest benchmark: events/s through the production persistence path, and live latency.

    python bench/ingest_bench.py [--events 100000] [--page 500] [--live-seconds 20]

1. Throughput: 100k realistic events (chat, tips, PMs, visits, media, sessions, events elsewhere)
   go through `services.ingest.persist_events`, one transaction per page, exactly as the
   poller stores them. Target (issue 4): >= 20,000 events/s. Also prints how much of that time
   was spent waiting on PostgreSQL, i.e. the ceiling if the Python side cost nothing.
2. Latency: the real poller long-polls a fake Events API on loopback that releases events at a
   steady rate; for each event it prints the time from "served by the fake API" to "row
   committed" (p50/p99). Target: p99 < 1 s.

Runs on DATABASE_URL's server or the embedded one under .mhc/bench-pgdata, in a fresh
database `mhc_ingest_bench`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fakes.events_feed import OWNER, FakeEventsFeed, make_events  # noqa: E402
from fakes.http import RecordedRequest, Reply, json_reply  # noqa: E402
from mhc.config import load_settings  # noqa: E402
from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.polling import Trigger, TriggerKind  # noqa: E402
from mhc.runtime.cursor import FileCursorStore  # noqa: E402
from mhc.runtime.poller import build_events_poller  # noqa: E402
from mhc.services import ingest  # noqa: E402
from mhc.services.events_poller import PollerConfig  # noqa: E402
from store_bench import percentile, server_url  # noqa: E402

BENCH_DB = "mhc_ingest_bench"


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


class DatabaseClock:
    """Wall time spent waiting on the server, from psycopg's one wait point (bench only)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> DatabaseClock:
        import psycopg.connection

        self._cls = psycopg.connection.Connection
        self._wait = wait = self._cls.wait
        clock = self

        def timed_wait(conn: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return wait(conn, *args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - started

        self._cls.wait = timed_wait  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._cls.wait = self._wait  # type: ignore[method-assign]


def throughput(url: str, count: int, page: int) -> tuple[float, float]:
    """Events/s through persist_events, and the seconds of that spent waiting on PostgreSQL."""
    events = make_events(count, seed=11)
    db = Database(url)
    received = datetime.now(UTC)
    with DatabaseClock() as waited:
        started = time.perf_counter()
        for start in range(0, count, page):
            with db.transaction() as conn:
                ingest.persist_events(
                    conn, events[start : start + page], owner=OWNER, received_at=received
                )
        elapsed = time.perf_counter() - started
    db.close()
    return count / elapsed, waited.seconds


class ReleasingFeed(FakeEventsFeed):
    """Releases events at `rate`/s; an empty request is held (long-poll) until events arrive."""

    def __init__(self, events: list[dict[str, Any]], rate: float) -> None:
        super().__init__([], page_size=500)
        self._pending = events
        self._rate = rate
        self._cond = threading.Condition()
        self._stop = False

    def produce(self) -> None:
        started = time.perf_counter()
        released = 0
        while released < len(self._pending) and not self._stop:
            due = min(len(self._pending), int((time.perf_counter() - started) * self._rate))
            if due > released:
                with self._cond:
                    self.events.extend(self._pending[released:due])
                    released = due
                    self._cond.notify_all()
            time.sleep(0.005)

    def _handle(self, request: RecordedRequest) -> Reply:
        after = request.param("i")
        timeout = float(request.param("timeout") or "10")
        with self._cond:
            self._cond.wait_for(
                lambda: self._position(after) < len(self.events) or self._stop, timeout
            )
            start = self._position(after)
            page = self.events[start : start + self.page_size]
        now = time.perf_counter()
        for event in page:
            self.served.setdefault(event["id"], now)
        last = page[-1]["id"] if page else after
        return json_reply({"events": page, "nextUrl": self._url(last, str(int(timeout)))})


def live_latency(url: str, seconds: float, rate: float, workdir: Path) -> list[float]:
    events = make_events(int(seconds * rate), seed=12)
    committed: dict[str, float] = {}
    last_page: list[str] = []
    real_persist = ingest.persist_events

    def recording_persist(conn: Any, envelopes: Any, **kwargs: Any) -> Any:
        last_page[:] = [e["id"] for e in envelopes if isinstance(e, dict) and "id" in e]
        return real_persist(conn, envelopes, **kwargs)

    class RecordingCursors(FileCursorStore):
        def save(self, cursor: Any) -> None:  # called right after the page's commit
            now = time.perf_counter()
            for event_id in last_page:
                committed.setdefault(event_id, now)
            last_page.clear()
            super().save(cursor)

    ingest.persist_events = recording_persist  # type: ignore[assignment]
    feed = ReleasingFeed(events, rate)
    with feed:
        settings = load_settings(mhc_events_url=feed.base_url, mhc_owner_username=OWNER)
        db = Database(url)
        poller = build_events_poller(
            settings,
            db,
            cursors=RecordingCursors(workdir / "cursor.json"),
            http=httpx.Client(),
            config=PollerConfig(
                owner=OWNER, max_server_timeout=5, cursor_save_interval=timedelta(0)
            ),
        )
        producer = threading.Thread(target=feed.produce, daemon=True)
        producer.start()
        deadline = time.monotonic() + seconds + 3
        poller.run(
            Trigger(TriggerKind.MANUAL), lambda: timedelta(seconds=deadline - time.monotonic())
        )
        feed._stop = True
        producer.join(5)
        db.close()
    ingest.persist_events = real_persist  # type: ignore[assignment]
    return [
        (committed[event_id] - served) * 1000
        for event_id, served in feed.served.items()
        if event_id in committed
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500, help="events per page/transaction")
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--live-rate", type=float, default=200.0, help="events/s released")
    args = parser.parse_args()
    url = fresh_database(server_url())
    rate, db_seconds = throughput(url, args.events, args.page)
    print(
        f"throughput: {args.events:,} events in pages of {args.page}: {rate:,.0f} events/s (target >= 20,000)"
    )
    print(
        f"  of which waiting on PostgreSQL: {db_seconds:.2f} s of {args.events / rate:.2f} s; "
        f"the database side alone would allow {args.events / db_seconds:,.0f} events/s"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        latencies = live_latency(
            fresh_database(server_url()), args.live_seconds, args.live_rate, Path(workdir)
        )
    print(
        f"live long-poll latency, served -> committed, {len(latencies):,} events at "
        f"{args.live_rate:.0f}/s: p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms (target < 1000), max {max(latencies):.1f} ms, "
        f"mean {statistics.mean(latencies):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
