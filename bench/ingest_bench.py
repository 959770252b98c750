"""Ingest benchmark: events/s through the production persistence path against the floor
measured in the same run, where the time goes, and live latency.

    python bench/ingest_bench.py [--events 100000] [--page 500] [--replay-page 5000]
                                 [--chunk 10000] [--live-seconds 20] [--live-rate 200]
                                 [--no-breakdown] [--counts]

1. Throughput. The same realistic events (chat, tips, PMs, visits, media, sessions, events
   elsewhere; `make_events(seed=11)`) go through:
   - the floor: COPY of the same envelopes (event id + payload as jsonb, the JSON text built
     in Python) into a bare keyed table, one transaction per page;
   - the full path as the poller stores a backlog: pages of `--page`, each prepared in a second
     process while the one before is stored (`ingest.store_pages` + `ForkedPreparer`, the same
     `store_page` the poller calls), durable commits; target >= 0.20 of the floor;
   - the same pages prepared in place (no second process), for comparison;
   - replay: pages of `--replay-page`, second process, `synchronous_commit=off`, against a
     floor in the same pages and commit mode.
   The paths take turns on every `--chunk` events (in a rotating order), so a busy spell of a
   shared machine falls on all of them alike; the floor's first and last turns are printed as
   "before" and "after". Every path has today's indexes, the per-person counts trigger and the
   foreign keys, and starts from empty tables (a database each), like the floor's table; each
   project database is analyzed (untimed) after its first turn, as autovacuum would have.
2. Where the time goes (an instrumented run of the live-page path, after `--chunk` events
   stored and analyzed): per step, the parent's wall time and the database server's CPU time
   (its backend's /proc stat), the second process's CPU time and private memory, the floor's
   CPU per event on the same events, and how many person rows the pages rewrote.
   `--counts` adds the server CPU per interaction row with the counts trigger, with a page
   upsert of the counts instead, and with no counts.
   `--costs` adds what each part the database derives from an interaction costs the full path
   (events/s with it removed: the summaries trigger, the counts trigger, the full-text index,
   the partial indexes), and the deferral design (both triggers' statements applied once per
   `--chunk` events instead of once per page), interleaved with the full path and the floor.
3. Latency: the real poller long-polls a fake Events API on loopback that releases events at a
   steady rate; for each event, the time from "served by the fake API" to "row committed"
   (p50/p99). Target: p99 < 1 s.

Runs on DATABASE_URL's server or the embedded one under .mhc/bench-pgdata, in fresh databases
named `mhc_ingest_bench*`.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from mhc.db.connection import Conn, Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.ingest import derive  # noqa: E402
from mhc.domain.polling import Trigger, TriggerKind  # noqa: E402
from mhc.runtime.cursor import FileCursorStore  # noqa: E402
from mhc.runtime.poller import build_events_poller  # noqa: E402
from mhc.services import ingest, interactions, persons  # noqa: E402
from mhc.services.events_poller import PollerConfig  # noqa: E402
from mhc.store import raw_events  # noqa: E402
from mhc.store.copy_rows import json_field, rows_text, text_field  # noqa: E402
from store_bench import percentile, server_url  # noqa: E402

BENCH_DB = "mhc_ingest_bench"
TICK = os.sysconf("SC_CLK_TCK")


def fresh_database(url: str, suffix: str = "") -> str:
    import psycopg

    name = BENCH_DB + suffix
    with connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    target = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    with connect(target) as conn:
        migrate(conn, ROOT / "migrations")
    return target


def pages_of(events: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [events[start : start + size] for start in range(0, len(events), size)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def backend_pid(db: Database) -> int:
    with db.transaction() as conn:
        row = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
    assert row is not None
    return int(row["pid"])


# ------------------------------------------------------------------------------ throughput


class Floor:
    """COPY of the envelopes into a bare keyed table, one transaction per page."""

    def __init__(self, url: str, *, durable: bool = True) -> None:
        self.db = Database(url)
        self.durable = durable
        self.table = f"floor_{time.monotonic_ns()}"
        with self.db.transaction() as conn:
            conn.execute(
                f"CREATE TABLE {self.table} (event_id text PRIMARY KEY, payload jsonb NOT NULL)"
            )

    def run(self, pages: list[list[dict[str, Any]]]) -> None:
        for page in pages:
            text = rows_text((text_field(e["id"]), json_field(e)) for e in page)
            with self.db.transaction() as conn:
                if not self.durable:
                    conn.execute("SET LOCAL synchronous_commit = off")
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY {self.table} (event_id, payload) FROM STDIN") as copy,
                ):
                    copy.write(text)

    def close(self) -> None:
        self.db.close()


class KeptOpen:
    """A preparer shared by several `store_pages` calls (each closes its preparer)."""

    def __init__(self, inner: ingest.Preparer) -> None:
        self.inner = inner
        self.submit = inner.submit
        self.take = inner.take

    def close(self) -> None:
        pass


class FullPath:
    """`ingest.store_pages`: the production path, one transaction per page.

    After its first turn the database is analyzed, untimed, as autovacuum would have done in
    production long before: a fresh database's planner knows nothing of the persons the first
    pages created (measured: the persons statement cost 3x as much until then).
    """

    def __init__(self, url: str, *, forked: bool, durable: bool = True) -> None:
        self.db = Database(url)
        self.durable = durable
        self.preparer = ingest.ForkedPreparer(OWNER) if forked else ingest.InlinePreparer(OWNER)
        self.analyzed = False

    def run(self, pages: list[list[dict[str, Any]]]) -> None:
        ingest.store_pages(
            self.db,
            pages,
            owner=OWNER,
            received_at=datetime.now(UTC),
            preparer=KeptOpen(self.preparer),
            durable=self.durable,
        )

    def after_turn(self) -> None:
        if not self.analyzed:
            self.db.connection().execute("ANALYZE")
            self.analyzed = True

    def close(self) -> None:
        self.preparer.close()
        self.db.close()


Runner = Floor | FullPath


def interleaved(
    runners: dict[str, Runner], events: list[dict[str, Any]], page: int, chunk_pages: int
) -> dict[str, list[float]]:
    """Seconds each runner took for each chunk of pages, the runners taking turns on each chunk
    (in a rotating order): a busy spell of the machine falls on all of them alike."""
    pages = pages_of(events, page)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for turn, start in enumerate(range(0, len(pages), chunk_pages)):
        chunk = pages[start : start + chunk_pages]
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            started = time.perf_counter()
            runners[name].run(chunk)
            seconds[name].append(time.perf_counter() - started)
            if isinstance(runners[name], FullPath):
                runners[name].after_turn()  # type: ignore[union-attr]
    for runner in runners.values():
        runner.close()
    return seconds


# ------------------------------------------------------------------------------ breakdown


class Steps:
    """Wall time of the parent and CPU time of the database backend, per step."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.wall: dict[str, float] = {}
        self.server: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        cpu, wall = cpu_seconds(self.backend), time.perf_counter()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.server[name] = self.server.get(name, 0.0) + cpu_seconds(self.backend) - cpu

    def wrap(self, owner: Any, attribute: str, name: str) -> Callable[[], None]:
        real = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.step(name):
                return real(*args, **kwargs)

        setattr(owner, attribute, timed)
        return lambda: setattr(owner, attribute, real)


class WatchedPreparer(ingest.ForkedPreparer):
    """The forked preparer, noting its child's CPU time and private memory before closing."""

    child_cpu = 0.0
    child_private_mb = 0.0

    def close(self) -> None:
        pid = self.child_pid
        if pid is not None:
            self.child_cpu = cpu_seconds(pid)
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith(("Private_Dirty:", "Private_Clean:")):
                        self.child_private_mb += int(line.split()[1]) / 1024
        super().close()


def persons_rewritten(db: Database) -> int:
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'persons'"
        ).fetchone()
    assert row is not None
    return int(row["n"])


def floor_cpu(url: str, events: list[dict[str, Any]], page: int) -> tuple[float, float]:
    """CPU seconds of the floor: this process's and its database backend's."""
    floor = Floor(url)
    backend = backend_pid(floor.db)
    mine, server = time.process_time(), cpu_seconds(backend)
    floor.run(pages_of(events, page))
    mine, server = time.process_time() - mine, cpu_seconds(backend) - server
    floor.close()
    return mine, server


def breakdown(url: str, events: list[dict[str, Any]], page: int, warm_up: int) -> None:
    """The live-page path, instrumented, after `warm_up` events stored (and analyzed) untimed."""
    db = Database(url)
    ingest.store_pages(
        db,
        pages_of(events[:warm_up], page),
        owner=OWNER,
        received_at=datetime.now(UTC),
        preparer=ingest.InlinePreparer(OWNER),
    )
    db.connection().execute("ANALYZE")
    rewritten_before = persons_rewritten(db)
    events = events[warm_up:]
    steps = Steps(backend_pid(db))
    preparer = WatchedPreparer(OWNER)
    undo = [
        steps.wrap(preparer, "take", "wait for the prepared page"),
        steps.wrap(raw_events, "insert_new", "raw envelopes COPY"),
        steps.wrap(persons, "resolve_names", "persons statement"),
        steps.wrap(interactions, "append_formatted", "interactions COPY (+ trigger, FK)"),
    ]
    real_transaction = db.transaction

    @contextmanager
    def timed_transaction() -> Iterator[Conn]:
        with steps.step("begin"):
            manager = real_transaction()
            conn = manager.__enter__()
        try:
            yield conn
        except BaseException:
            manager.__exit__(*sys.exc_info())
            raise
        with steps.step("commit"):
            manager.__exit__(None, None, None)

    db.transaction = timed_transaction  # type: ignore[method-assign]
    parent_cpu = time.process_time()
    server_cpu = cpu_seconds(steps.backend)
    started = time.perf_counter()
    try:
        ingest.store_pages(
            db,
            pages_of(events, page),
            owner=OWNER,
            received_at=datetime.now(UTC),
            preparer=preparer,
        )
    finally:
        for restore in undo:
            restore()
    elapsed = time.perf_counter() - started
    parent_cpu = time.process_time() - parent_cpu
    server_cpu = cpu_seconds(steps.backend) - server_cpu
    db.transaction = real_transaction  # type: ignore[method-assign]
    time.sleep(1)  # the statistics collector publishes counts with a delay
    rewritten = persons_rewritten(db) - rewritten_before
    db.close()
    floor_mine, floor_server = floor_cpu(url, events, page)

    per_event = 1e6 / len(events)
    print(
        f"where the time goes (instrumented run of {len(events):,} events after {warm_up:,} "
        f"stored and analyzed, pages of {page}, µs per event):"
    )
    print(f"  {'step':<36}{'parent wall':>12}{'server CPU':>12}")
    for name in steps.wall:
        print(
            f"  {name:<36}{steps.wall[name] * per_event:>12.1f}{steps.server[name] * per_event:>12.1f}"
        )
    other = elapsed - sum(steps.wall.values())
    print(f"  {'the rest (sessions, the loop)':<36}{other * per_event:>12.1f}")
    print(f"  {'total':<36}{elapsed * per_event:>12.1f}{server_cpu * per_event:>12.1f}")
    print(
        f"  CPU per event: parent {parent_cpu * per_event:.1f}, second process "
        f"{preparer.child_cpu * per_event:.1f}, database server {server_cpu * per_event:.1f} "
        f"(2 cores: the parent and the server take turns, the second process runs beside them)"
    )
    print(
        f"  the floor's CPU per event: Python {floor_mine * per_event:.1f}, database server "
        f"{floor_server * per_event:.1f}"
    )
    print(
        f"  second process private memory at the end: {preparer.child_private_mb:.1f} MB; "
        f"person rows rewritten: {rewritten:,} ({rewritten / (len(events) / page):.0f} per page)"
    )


# ------------------------------------------------------------------------------ counts


def counts_options(server: str, events: list[dict[str, Any]], page: int) -> None:
    """Server CPU per interaction row COPYed in pages: with the per-person counts trigger
    (decision 16), without it but with one upsert per page of the counts the page knows, and
    without counts at all (what the counts cost)."""
    derived = [
        d.interaction for d in (derive(e, OWNER) for e in events) if d.interaction is not None
    ]
    names = sorted({item.username for item in derived})
    rows: dict[str, list[float]] = {"trigger": [], "page upsert": [], "no counts": []}
    for _ in range(2):
        for variant in rows:
            db = Database(fresh_database(server, "_counts"))
            with db.transaction() as conn:
                ids = {
                    r["username"]: r["id"]
                    for r in conn.execute(
                        "INSERT INTO persons (username) SELECT unnest(%s::text[]) "
                        "RETURNING id, username",
                        (names,),
                    )
                }
                if variant != "trigger":
                    conn.execute("DROP TRIGGER interactions_count ON interactions")
            backend = backend_pid(db)
            used = cpu_seconds(backend)
            for start in range(0, len(derived), page):
                chunk = derived[start : start + page]
                tails = [
                    interactions.copy_tail(
                        i.type.value,
                        "cb_events",
                        i.external_id,
                        i.occurred_at,
                        i.broadcaster,
                        i.content,
                        i.metadata,
                    )
                    for i in chunk
                ]
                counted: dict[tuple[int, str], tuple[int, datetime]] = {}
                for i in chunk:
                    if i.type.value == "TIP_EVENT" and i.metadata.get("isAnon") is True:
                        continue
                    key = (ids[i.username], i.type.value)
                    n, at = counted.get(key, (0, i.occurred_at))
                    counted[key] = (n + 1, max(at, i.occurred_at))
                keys = sorted(counted)
                with db.transaction() as conn:
                    interactions.append_formatted(conn, [ids[i.username] for i in chunk], tails)
                    if variant == "page upsert":
                        conn.execute(
                            """INSERT INTO person_interaction_counts AS c
                                   (person_id, type, count, last_occurred_at)
                               SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[],
                                                    %s::timestamptz[])
                               ON CONFLICT (person_id, type) DO UPDATE
                               SET count = c.count + EXCLUDED.count,
                                   last_occurred_at = greatest(c.last_occurred_at,
                                                               EXCLUDED.last_occurred_at)""",
                            (
                                [k[0] for k in keys],
                                [k[1] for k in keys],
                                [counted[k][0] for k in keys],
                                [counted[k][1] for k in keys],
                            ),
                        )
            rows[variant].append((cpu_seconds(backend) - used) / len(derived) * 1e6)
            db.close()
    print(f"interactions COPY, server CPU per row (pages of {page}, best of 2):")
    for variant, values in rows.items():
        print(f"  {variant:<12} {min(values):6.1f} µs")


# ------------------------------------------------------------------------------ costs

# Each variant is migrated like production, then changed (untimed) as it says.
PARTIAL_INDEXES = (
    "interactions_room_presence",
    "interactions_room_tips",
    "interactions_person_visits",
    "interactions_person_notes",
    "interactions_person_presence",
    "interactions_person_follows",
)
COST_VARIANTS: dict[str, list[str]] = {
    "without the summaries trigger": ["DROP TRIGGER interactions_summarize ON interactions"],
    "without the counts trigger": ["DROP TRIGGER interactions_count ON interactions"],
    "without the full-text index": ["DROP INDEX interactions_content_fts"],
    "without the partial indexes": [f"DROP INDEX {name}" for name in PARTIAL_INDEXES],
}
DERIVING_TRIGGERS = {
    "interactions_summarize": "mhc_summarize_interactions",
    "interactions_count": "mhc_count_interactions",
}


def over_id_range(conn: Conn, trigger_function: str) -> str:
    """The statement-trigger function as a function of an id range: the same statements over
    the interactions with lo < id <= hi instead of the statement's new rows."""
    row = conn.execute(
        "SELECT pg_get_functiondef(%s::regprocedure) AS body", (f"{trigger_function}()",)
    ).fetchone()
    assert row is not None
    body, header = re.subn(
        r"CREATE OR REPLACE FUNCTION public\.(\w+)\(\)\s+RETURNS trigger",
        r"CREATE FUNCTION public.bench_\1(lo bigint, hi bigint) RETURNS void",
        str(row["body"]),
    )
    rows = "(SELECT * FROM interactions WHERE id > lo AND id <= hi)"
    body, uses = re.subn(
        r"\bnew_rows\b(\s+n\b)?",
        lambda m: f"{rows} AS {'n' if m.group(1) else 'new_rows'}",
        body,
    )
    if header != 1 or not uses:
        raise RuntimeError(f"{trigger_function} no longer reads as the deferral variant expects")
    return body.replace("RETURN NULL;", "RETURN;")


class DeferredDerivation(FullPath):
    """The deferral design, not built: pages store their rows with neither deriving trigger;
    after each turn (`--chunk` events) one transaction applies both triggers' statements to
    the turn's rows (timed with the turn). Readers of the summaries would lag until then."""

    def __init__(self, url: str) -> None:
        with connect(url) as conn:
            for trigger, function in DERIVING_TRIGGERS.items():
                conn.execute(over_id_range(conn, function))
                conn.execute(f"DROP TRIGGER {trigger} ON interactions")
        super().__init__(url, forked=True)
        self.applied = 0

    def run(self, pages: list[list[dict[str, Any]]]) -> None:
        super().run(pages)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT coalesce(max(id), 0) AS top FROM interactions").fetchone()
            assert row is not None
            for function in DERIVING_TRIGGERS.values():
                conn.execute(f"SELECT bench_{function}(%s, %s)", (self.applied, row["top"]))
            self.applied = int(row["top"])


def derived_costs(server: str, events: list[dict[str, Any]], page: int, chunk: int) -> None:
    runners: dict[str, Runner] = {
        "floor": Floor(fresh_database(server, "_costs_floor")),
        "full path": FullPath(fresh_database(server, "_costs"), forked=True),
    }
    for number, (name, changes) in enumerate(COST_VARIANTS.items()):
        url = fresh_database(server, f"_costs_{number}")
        with connect(url) as conn:
            for change in changes:
                conn.execute(change)
        runners[name] = FullPath(url, forked=True)
    deferred = f"both triggers applied once per {chunk:,} events"
    runners[deferred] = DeferredDerivation(fresh_database(server, "_costs_deferred"))
    seconds = interleaved(runners, events, page, max(1, chunk // page))
    floor = len(events) / sum(seconds["floor"])
    full = sum(seconds["full path"]) / len(events) * 1e6
    print(f"what the derived parts cost the full path (pages of {page}, second process):")
    for name, taken in seconds.items():
        if name == "floor":
            continue
        per_event = sum(taken) / len(events) * 1e6
        change = "" if name == "full path" else f" ({per_event - full:+.1f} µs)"
        print(
            f"  {name:<46} {1e6 / per_event:7,.0f} events/s = {1e6 / per_event / floor:.3f} "
            f"of the floor, {per_event:5.1f} µs/event{change}"
        )


# ------------------------------------------------------------------------------ latency


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
    events = make_events(max(1, int(seconds * rate)), seed=12)
    committed: dict[str, float] = {}
    last_page: list[str] = []
    real_store = ingest.store_page

    def recording_store(conn: Any, page: ingest.PreparedPage, **kwargs: Any) -> Any:
        last_page.extend(e["id"] for e in page.envelopes if isinstance(e, dict) and "id" in e)
        return real_store(conn, page, **kwargs)

    class RecordingCursors(FileCursorStore):
        def save(self, cursor: Any) -> None:  # called right after the page's commit
            now = time.perf_counter()
            for event_id in last_page:
                committed.setdefault(event_id, now)
            last_page.clear()
            super().save(cursor)

    config = PollerConfig(owner=OWNER, max_server_timeout=5, cursor_save_interval=timedelta(0))
    ingest.store_page = recording_store  # type: ignore[assignment]
    feed = ReleasingFeed(events, rate)
    try:
        with feed:
            settings = load_settings(mhc_events_url=feed.base_url, mhc_owner_username=OWNER)
            db = Database(url)
            poller = build_events_poller(
                settings,
                db,
                cursors=RecordingCursors(workdir / "cursor.json"),
                http=httpx.Client(),
                config=config,
            )
            producer = threading.Thread(target=feed.produce, daemon=True)
            producer.start()
            # The poller stops asking once less than one long-poll fits (its shortest budget):
            # give it that on top of the release time, so any --live-seconds polls them all.
            budget = seconds + config.shortest_budget.total_seconds() + 1
            deadline = time.monotonic() + budget
            poller.run(
                Trigger(TriggerKind.MANUAL), lambda: timedelta(seconds=deadline - time.monotonic())
            )
            feed._stop = True
            producer.join(5)
            db.close()
    finally:
        ingest.store_page = real_store  # type: ignore[assignment]
    return [
        (committed[event_id] - served) * 1000
        for event_id, served in feed.served.items()
        if event_id in committed
    ]


# ------------------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500, help="events per live page/transaction")
    parser.add_argument("--replay-page", type=int, default=ingest.REPLAY_PAGE)
    parser.add_argument("--chunk", type=int, default=10_000, help="events per turn of each path")
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--live-rate", type=float, default=200.0, help="events/s released")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the instrumented run")
    parser.add_argument(
        "--counts", action="store_true", help="also: the counts trigger against a page upsert"
    )
    parser.add_argument(
        "--costs", action="store_true", help="also: what each derived part costs the full path"
    )
    args = parser.parse_args()
    server = server_url()
    events = make_events(args.events, seed=11)
    count = len(events)

    print(f"{count:,} events; each path takes its turn on every {args.chunk:,} events")
    live = interleaved(
        {
            "floor": Floor(fresh_database(server, "_floor")),
            "second process": FullPath(fresh_database(server, "_piped"), forked=True),
            "in place": FullPath(fresh_database(server, "_in_place"), forked=False),
        },
        events,
        args.page,
        max(1, args.chunk // args.page),
    )
    replay = interleaved(
        {
            "floor": Floor(fresh_database(server, "_floor_replay"), durable=False),
            "replay": FullPath(fresh_database(server, "_replay"), forked=True, durable=False),
        },
        events,
        args.replay_page,
        max(1, args.chunk // args.replay_page),
    )

    def rate(seconds: list[float]) -> float:
        return count / sum(seconds)

    floor = rate(live["floor"])
    first, last = live["floor"][0], live["floor"][-1]
    per_chunk = min(args.chunk, count)
    print(
        f"floor: COPY into a bare keyed table, pages of {args.page}: {floor:,.0f} events/s "
        f"(before: first turn {per_chunk / first:,.0f}/s, after: last turn {per_chunk / last:,.0f}/s)"
    )
    for name, label in (
        ("second process", "prepared in a second process"),
        ("in place", "prepared in place"),
    ):
        value = rate(live[name])
        target = " (target >= 0.20)" if name == "second process" else ""
        print(
            f"full path, pages of {args.page} {label}: {value:,.0f} events/s = "
            f"{value / floor:.3f} of the floor{target}"
        )
    replay_floor, replayed = rate(replay["floor"]), rate(replay["replay"])
    print(
        f"replay, pages of {args.replay_page}, synchronous_commit=off: {replayed:,.0f} events/s "
        f"= {replayed / replay_floor:.3f} of the floor in the same pages and commit mode "
        f"({replay_floor:,.0f} events/s), {replayed / floor:.3f} of the live-page floor"
    )
    if not args.no_breakdown:
        breakdown(fresh_database(server, "_breakdown"), events, args.page, args.chunk)
    if args.counts:
        counts_options(server, events, args.page)
    if args.costs:
        derived_costs(server, events, args.page, args.chunk)

    with tempfile.TemporaryDirectory() as workdir:
        latencies = live_latency(
            fresh_database(server, "_live"), args.live_seconds, args.live_rate, Path(workdir)
        )
    if not latencies:
        print("live long-poll latency: no event was committed")
        return 1
    print(
        f"live long-poll latency, served -> committed, {len(latencies):,} events at "
        f"{args.live_rate:.0f}/s: p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms (target < 1000), max {max(latencies):.1f} ms, "
        f"mean {statistics.mean(latencies):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
