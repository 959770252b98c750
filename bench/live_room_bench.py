"""Live-room benchmark: `GET /api/owner/room`'s read with 500 people present, on the store
bench dataset (100k persons, 2M interactions: `bench/store_bench.py` builds it).

    python bench/live_room_bench.py [--samples 300] [--no-gc-freeze]

Adds to that dataset, once: an open session after its last interaction, 500 people in the
room (the 50 heaviest regulars among them, whose history is longest), each with an enter,
60 of them leaving and coming back, 5,000 chat lines, 600 tips (some anonymous), notes,
attributes and watchlist memberships, all through the production bulk path. Then times
`services.live_room.room` (the route's one call) and the route in process, and prints
p50/p95/p99. The process holds the app, its heap frozen as the API's entry points leave it
(`mhc.runtime.heap`; `--no-gc-freeze` leaves it to full collections). Target (issue 18):
p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "bench"))

from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction  # noqa: E402
from mhc.services import live_room  # noqa: E402
from mhc.store import interactions as interaction_store  # noqa: E402
from store_bench import (  # noqa: E402
    INTERACTIONS,
    OWNER,
    PERSONS,
    T0,
    bench_url,
    build,
    dataset_ready,
    percentile,
    server_url,
)

PRESENT = 500
TOKEN = "bench-token-0123456789abcdef0123456789"  # noqa: S105 (a throwaway token for the in-process app)
#: The session starts after the dataset's last interaction (one every 250 ms).
SESSION_START = T0 + timedelta(milliseconds=INTERACTIONS * 250) + timedelta(hours=1)
NOW = SESSION_START + timedelta(hours=3)


def add_session(db: Database, url: str, rng: random.Random) -> list[int]:
    """The open session with 500 people in the room (once per dataset); their ids."""
    with db.transaction() as conn:
        done = conn.execute("SELECT to_regclass('live_room_bench_done') AS t").fetchone()
        if done is not None and done["t"] is not None:
            rows = conn.execute("SELECT person_id FROM live_room_bench_done").fetchall()
            return [int(r["person_id"]) for r in rows]
    people = list(range(2, 52)) + rng.sample(range(52, PERSONS), PRESENT - 50)
    items: list[NewInteraction] = []

    def add(pid: int, kind: InteractionType, at: timedelta, **extra: object) -> None:
        n = len(items)
        items.append(
            NewInteraction(
                person_id=pid,
                type=kind,
                source=InteractionSource.CB_EVENTS,
                external_id=f"room-bench-{n}",
                occurred_at=SESSION_START + at,
                broadcaster=OWNER,
                **extra,
            )
        )

    flags = {"user": {"inFanclub": False, "hasTokens": True, "isMod": False, "gender": "m"}}
    for n, pid in enumerate(people):
        add(pid, InteractionType.USER_ENTER, timedelta(seconds=10 + n * 15), metadata=flags)
    for pid in rng.sample(people, 60):
        add(pid, InteractionType.USER_LEAVE, timedelta(hours=2, minutes=rng.randint(0, 30)))
        add(pid, InteractionType.USER_ENTER, timedelta(hours=2, minutes=40), metadata=flags)
    for _ in range(5000):
        add(
            rng.choice(people),
            InteractionType.CHAT_MESSAGE,
            timedelta(seconds=rng.randint(200, 10_000)),
            content="hello room",
        )
    for _ in range(600):
        add(
            rng.choice(people),
            InteractionType.TIP_EVENT,
            timedelta(seconds=rng.randint(200, 10_000)),
            metadata={"tokens": rng.choice((1, 25, 100)), "isAnon": rng.random() < 0.1},
        )
    for pid in rng.sample(people, 100):
        add(pid, InteractionType.MANUAL_NOTE, -timedelta(days=rng.randint(1, 30)), content="note")
    with db.transaction() as conn:
        interaction_store.append_fresh(conn, items)
        conn.execute(
            "INSERT INTO stream_sessions (started_at, source) VALUES (%s, 'cb_events')",
            (SESSION_START,),
        )
        for pid in rng.sample(people, 80):
            conn.execute(
                "INSERT INTO watchlist_members (watchlist_id, person_id) VALUES (1, %s)", (pid,)
            )
        for pid in rng.sample(people, 150):
            conn.execute(
                """INSERT INTO attributes (person_id, key, value, confidence, evidence_kind)
                   VALUES (%s, 'timezone', 'Europe/Berlin', 'medium', 'manual')""",
                (pid,),
            )
        conn.execute("CREATE TABLE live_room_bench_done (person_id bigint)")
        conn.execute("INSERT INTO live_room_bench_done SELECT unnest(%s::bigint[])", (people,))
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE")
    return people


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the app's heap to full collections (the API's entry points freeze it)",
    )
    args = parser.parse_args()
    rng = random.Random(18)
    url = server_url()
    if not dataset_ready(url):
        print("building the store bench dataset first (a few minutes) ...", flush=True)
        build(url, random.Random(20261121))
    target = bench_url(url)
    with connect(target) as conn:
        migrate(conn, ROOT / "migrations")  # a dataset built before 0008 gets its tables
    db = Database(target)
    people = add_session(db, target, rng)
    with db.transaction() as conn:  # another bench (analysis) may have rebuilt the sessions
        conn.execute(
            """INSERT INTO stream_sessions (started_at, source) SELECT %(at)s, 'cb_events'
               WHERE NOT EXISTS (SELECT 1 FROM stream_sessions WHERE started_at = %(at)s)""",
            {"at": SESSION_START},
        )
    first = live_room.room(db, owner=OWNER, clock=lambda: NOW)
    print(
        f"room: {len(first.people)} people listed of {len(people)} present "
        f"(peak {first.totals.peak if first.totals else 0}), "
        f"{sum(p.lifetime_tokens for p in first.people):,} lifetime tokens among them",
        flush=True,
    )
    client = _client(db, freeze=not args.no_gc_freeze)
    heap = "left to full collections" if args.no_gc_freeze else "frozen"
    size = len(client.get("/api/owner/room").content)
    for name, call in (
        (
            "service read (services.live_room.room)",
            lambda: live_room.room(db, owner=OWNER, clock=lambda: NOW),
        ),
        (
            f"GET /api/owner/room in process ({size / 1024:.0f} KB of JSON)",
            lambda: client.get("/api/owner/room"),
        ),
    ):
        for _ in range(20):  # warm-up
            call()
        timings = []
        cpu = time.process_time()
        for _ in range(args.samples):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) / args.samples * 1000
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"{name}, {PRESENT} present, {len(timings)} reads: "
            f"p50 {percentile(timings, 50):.1f} ms, p95 {percentile(timings, 95):.1f} ms "
            f"(target <= 50), p99 {percentile(timings, 99):.1f} ms, "
            f"mean {statistics.mean(timings):.1f} ms; Python CPU {cpu_ms:.1f} ms per read "
            f"(load average {load:.1f}; heap {heap})",
            flush=True,
        )
    db.close()
    return 0


def _client(db: Database, *, freeze: bool) -> Any:
    """The API in process (no network), as `mhc run` serves it (its heap frozen once built,
    unless `freeze` is false); request logs go nowhere."""
    from fastapi.testclient import TestClient
    from mhc.api import create_app
    from mhc.config import load_settings
    from mhc.observability import logger

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    settings = load_settings(mhc_api_token=TOKEN, mhc_owner_username=OWNER)
    app = create_app(lambda: db, settings=lambda: settings, clock=lambda: NOW)
    client = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    if freeze:
        from mhc.runtime.heap import freeze_startup

        freeze_startup()
    return client


if __name__ == "__main__":
    sys.exit(main())
