"""Chat import benchmark: messages/s stored from a HAR export, end to end, into PostgreSQL.

    python bench/chat_import_bench.py [--messages 100000] [--per-page 100] [--shape shape_a]
                                      [--live-share 0.2]

Builds a HAR 1.2 export of a room walk with the fake Plus (`tests/fakes/statbate_plus.py`: an
HTML first visit, one Inertia XHR per page, every third body base64-encoded, unrelated
requests), then times `services.chat_import.import_capture`, the path `mhc chat-import file`
takes: reading the file, and per response ONE transaction storing the raw response, the
senders (find-or-create), the messages through COPY, and the links to live twins.

Three runs in a fresh database `mhc_chat_import_bench`:
1. into an empty database (every message new);
2. the same file again (every message already stored: nothing may be added);
3. a second room whose first `--live-share` of messages the Events API already captured
   (inserted through the live path first), so twin matching and linking do real work.
Target (issue 16): >= 5,000 messages/s stored. Also prints how much of each run was spent
waiting on PostgreSQL. Runs on DATABASE_URL's server or the embedded one under
.mhc/bench-pgdata.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fakes.statbate_plus import FakeMessage, FakePlus, Shape, har_for_room, make_messages  # noqa: E402
from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.chat_import import DEFAULT_MAP  # noqa: E402
from mhc.services import chat_import  # noqa: E402
from mhc.services.ingest import persist_events  # noqa: E402
from psycopg import sql  # noqa: E402
from store_bench import server_url  # noqa: E402

BENCH_DB = "mhc_chat_import_bench"
OWNER = "bench_owner"
TARGET = 5_000


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


def har(room: str, messages: list[FakeMessage], per_page: int) -> bytes:
    fake = FakePlus(per_page=per_page)
    fake.add_room(room, messages)
    return json.dumps(har_for_room(fake, room)).encode()


def live_capture(db: Database, messages: list[FakeMessage]) -> None:
    """The same messages as the Events API delivered them (chat lines), 0.5 s off Plus's time."""
    envelopes: list[dict[str, Any]] = []
    for n, message in enumerate(messages):
        moment = message.occurred_at + timedelta(seconds=0.5)
        envelopes.append(
            {
                "method": "chatMessage",
                "id": f"{int(moment.timestamp() * 1000)}-{n % 3}",
                "object": {
                    "broadcaster": message.room,
                    "user": {"username": message.sender},
                    "message": {"message": message.text},
                },
            }
        )
    for start in range(0, len(envelopes), 1000):
        with db.transaction() as conn:
            persist_events(
                conn, envelopes[start : start + 1000], owner=OWNER, received_at=datetime.now(UTC)
            )


def run(label: str, db: Database, data: bytes, expected_new: int | None) -> float:
    with DatabaseClock() as waited:
        started = time.perf_counter()
        result = chat_import.import_capture(db, data, owner=OWNER, field_map=DEFAULT_MAP)
        elapsed = time.perf_counter() - started
    counts = result.counts
    if expected_new is not None and counts["new"] != expected_new:
        raise SystemExit(f"{label}: {counts['new']} new messages, expected {expected_new}")
    rate = counts["messages"] / elapsed
    print(
        f"{label}: {counts['messages']:,} messages from {result.responses} responses "
        f"({len(data) / 1e6:.1f} MB) in {elapsed:.2f} s = {rate:,.0f} messages/s | "
        f"new {counts['new']:,}, already stored {counts['already_stored']:,}, "
        f"twins {counts['twins']:,} | waiting on PostgreSQL {waited.seconds:.2f} s "
        f"({waited.seconds / elapsed:.0%})"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--shape", default="shape_a", choices=["shape_a", "shape_b", "shape_c"])
    parser.add_argument("--live-share", type=float, default=0.2)
    args = parser.parse_args()
    shape: Shape = args.shape
    url = fresh_database(server_url())
    db = Database(url)
    print(
        f"chat import bench: {args.messages:,} {shape} messages, {args.per_page} per page, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    try:
        first = make_messages(args.messages, room="bench_room", shape=shape)
        data = har("bench_room", first, args.per_page)
        rate = run("1. empty database ", db, data, args.messages)
        run("2. same file again", db, data, 0)
        second = make_messages(args.messages, room=OWNER, shape=shape, seed=5, first_id=10**7)
        live = sorted(second, key=lambda m: m.occurred_at)[: int(len(second) * args.live_share)]
        live_capture(db, live)
        run(f"3. {args.live_share:.0%} captured live", db, har(OWNER, second, args.per_page), None)
    finally:
        db.close()
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"stored {rate:,.0f} messages/s into an empty database: {verdict} the target {TARGET:,}")


if __name__ == "__main__":
    main()
