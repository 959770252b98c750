"""Monthly cost of one stage, line by line (price used x quantity), for the personal deployment
and the managed one: the table of docs/deploy.md section 11.

    python bench/monthly_cost.py [--busy-hours 4] [--events-per-second 1]

What the code decides is measured: the real events poller (`mhc.services.events_poller`, as
deployed: 30 s long-polls in 90 s links, the watchdog every 5 minutes) runs one busy hour (a
broadcast, `--events-per-second`) and one quiet hour of fake time against an in-process Events
API and a real PostgreSQL (embedded under .mhc/bench-pgdata, or DATABASE_URL's server), and the
bench counts its links, its cursor reads and writes (each an SSM SecureString request: a KMS
request) and the hours in which each CloudWatch metric is sent. Memory sizes, alarms and the NAT
volume are read from template.yaml (per mode, conditions resolved), job intervals from
migrations/0004 and job defaults from `mhc.domain.jobs`. Every other quantity is an assumption,
named on its line.

Prices: AWS's published us-east-1 on-demand prices, no free tier (not re-read: no internet here).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fakes.clock import FakeClock  # noqa: E402
from fakes.events_feed import OWNER, make_events  # noqa: E402
from mhc.clients.chaturbate_events import EventsPage  # noqa: E402
from mhc.db.connection import Database, connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from mhc.domain.jobs import ProfileCollectionConfig, StatbateRefreshConfig  # noqa: E402
from mhc.domain.polling import Cursor, Trigger, TriggerKind  # noqa: E402
from mhc.observability import PowertoolsMetricsSink  # noqa: E402
from mhc.services.events_poller import EventsPoller, PollerConfig  # noqa: E402
from psycopg import sql  # noqa: E402
from store_bench import server_url  # noqa: E402

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 730 / 24
LINK_SECONDS = 90  # the events poller's Timeout in template.yaml (checked below)
WATCHDOG_SECONDS = 300

# us-east-1 on-demand, no free tier
PRICE = {
    "t4g.nano_h": 0.0042,
    "gp3_gb_month": 0.08,
    "ipv4_h": 0.005,
    "nat_gateway_h": 0.045,
    "nat_gateway_gb": 0.045,
    "db.t4g.micro_h": 0.016,
    "rds_gp3_gb_month": 0.115,
    "lambda_arm_gb_s": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "metric_month": 0.30,
    "alarm_month": 0.10,
    "logs_ingest_gb": 0.50,
    "logs_store_gb_month": 0.03,
    "secret_month": 0.40,
    "secrets_call": 0.05 / 10_000,
    "kms_request": 0.03 / 10_000,
    "http_api_request": 1.00 / 1e6,
    "cloudfront_request": 0.0100 / 10_000,
    "cloudfront_gb": 0.085,
    "internet_out_gb": 0.09,
    "cross_az_gb": 0.02,  # $0.01 out of one AZ and $0.01 into the other
    "scheduler_run": 1.00 / 1e6,
    "xray_trace": 5.00 / 1e6,
    "rds_proxy_vcpu_h": 0.015,
}

# Assumptions (light personal use), each used on one line of the table
API_REQUESTS = 90_000  # a few thousand API requests a day
API_SECONDS = 0.15  # per request, at 1024 MB
UI_HOURS_A_DAY = 2  # hours a day the owner has the UI open (secret reads of the API function)
LOG_GB = 0.2  # measured per link/request/run by bench/lambda_memory.py, plus Lambda's own lines
CLOUDFRONT_GB = 0.5
INTERNET_OUT_GB = 1.0
CROSS_AZ_GB = 10.0  # functions in the second AZ reach the NAT (and maybe the database) in the first
FEED_GB_PROCESSED = 7.0  # managed NAT: the affiliate feed, ~0.7 MB gzip per sweep
#: One affiliate sweep of ~5,000 rooms, billed: 9 pauses of 0.75 s between its 10 pages, ~0.35 s
#: of CPU (bench/lambda_memory.py: 0.64 s for the run, imports included) at 192/1769 of a vCPU
#: (~3.2 s), and ~2 s of downloads and database round trips.
SWEEP_SECONDS = 12.0
CB_STATS_SECONDS = 1.0  # one Stats API call and its snapshot
TICK_OVERHEAD_SECONDS = 1.0  # each 5-minute stats poller invocation: settings, claim, commit
#: A profile run: the pacer spaces request starts (a request runs inside its slot), then the
#: last request and the run's one transaction.
PROFILE_TAIL_SECONDS = 1.0
STATBATE_BATCH_SECONDS = 0.5
#: An hourly chat import run: settings, claim the due chats, a few Plus pages paced 2 s apart,
#: one transaction per chat (most hours find nothing new and take ~1 s).
CHAT_IMPORT_SECONDS = 10.0
CHAT_IMPORT_RUNS = HOURS_PER_MONTH  # rate(1 hour) in template.yaml, plus rare "import now"
RARE_METRIC_HOURS = 10  # Duplicates, Gaps, PollErrors, JobFailed: hours a month they happen


# ------------------------------------------------------------------ the events poller, measured


class SimulatedFeed:
    """The Events API in process: a quiet feed holds every request for its timeout; a busy one
    answers a page every second (or one event every 1/rate seconds)."""

    base_url = "https://eventsapi.example/events/owner/token-xyz/"

    def __init__(self, clock: FakeClock, rate: float, events: list[dict[str, Any]]) -> None:
        self.clock, self.rate, self.events = clock, rate, events
        self.served = 0
        self.last_id: str | None = None

    def _url(self, timeout: int) -> str:
        after = f"i={self.last_id}&" if self.last_id else ""
        return f"{self.base_url}?{after}timeout={timeout}"

    def fetch_page(
        self, url: str, *, timeout_seconds: int = 10, deadline: datetime | None = None
    ) -> EventsPage:
        if self.rate <= 0:
            self.clock.advance(timeout_seconds)
            return EventsPage(envelopes=[], next_url=self._url(timeout_seconds))
        wait = max(1.0, 1 / self.rate)
        count = max(1, round(self.rate * wait))
        self.clock.advance(min(wait, timeout_seconds))
        page = self.events[self.served : self.served + count]
        self.served += len(page)
        if page:
            self.last_id = page[-1]["id"]
        return EventsPage(envelopes=page, next_url=self._url(timeout_seconds))


class CountingCursors:
    def __init__(self) -> None:
        self.cursor: Cursor | None = None
        self.loads = 0
        self.saves = 0

    def load(self) -> Cursor | None:
        self.loads += 1
        return self.cursor

    def save(self, cursor: Cursor) -> None:
        self.saves += 1
        self.cursor = cursor


class HourlyMetrics:
    """Powertools Metrics as CloudWatch sees it: which metric names arrive in which hour."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.hours: dict[str, set[int]] = defaultdict(set)

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.hours[name].add(int(self.clock().timestamp() // 3600))


@dataclass
class Hour:
    """What the events poller did in one simulated hour."""

    links: int = 0
    watchdog_runs: int = 0
    pages: int = 0
    events: int = 0
    cursor_loads: int = 0
    cursor_saves: int = 0
    metrics: set[str] = field(default_factory=set)


def simulate_hour(url: str, rate: float) -> Hour:
    """Run the real poller for a warm-up hour and the measured hour at `rate` events/s."""
    clock = FakeClock(datetime(2026, 3, 2, tzinfo=UTC))
    events = make_events(int(rate * 2 * 3600) + 100, owner=OWNER, seed=5) if rate > 0 else []
    feed = SimulatedFeed(clock, rate, events)
    cursors = CountingCursors()
    recorder = HourlyMetrics(clock)
    db = Database(url)
    poller = EventsPoller(
        db,
        feed,
        cursors,
        PollerConfig(owner=OWNER),
        clock=clock,
        metrics=PowertoolsMetricsSink(recorder),
    )
    measured = Hour()
    start = clock()
    begin, end = start + timedelta(hours=1), start + timedelta(hours=2)
    next_watchdog = start + timedelta(seconds=WATCHDOG_SECONDS)
    trigger = Trigger(TriggerKind.WATCHDOG)

    def budget() -> Callable[[], timedelta]:
        deadline = clock() + timedelta(seconds=LINK_SECONDS)
        return lambda: deadline - clock()

    try:
        while clock() < end:
            in_hour = clock() >= begin
            loads, saves = cursors.loads, cursors.saves
            outcome = poller.run(trigger, budget())
            trigger = Trigger(TriggerKind.CHAIN, outcome.chain_id)
            if in_hour:
                measured.links += 1
                measured.pages += outcome.pages
                measured.events += outcome.counts.inserted
                measured.cursor_loads += cursors.loads - loads
                measured.cursor_saves += cursors.saves - saves
            # The schedule's tick waits for the running link (reserved concurrency 1) and
            # finds the chain alive.
            while clock() >= next_watchdog:
                loads = cursors.loads
                poller.run(Trigger(TriggerKind.WATCHDOG), budget())
                if begin <= next_watchdog < end:
                    measured.watchdog_runs += 1
                    measured.cursor_loads += cursors.loads - loads
                next_watchdog += timedelta(seconds=WATCHDOG_SECONDS)
    finally:
        db.close()
    hour = int(begin.timestamp() // 3600)
    measured.metrics = {name for name, hours in recorder.hours.items() if hour in hours}
    return measured


def fresh_database(server: str) -> str:
    import psycopg

    name = "mhc_cost_bench"
    with connect(server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(server)
    info["dbname"] = name
    url = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    with connect(url) as conn:
        migrate(conn, ROOT / "migrations")
    return url


# ------------------------------------------------------------------ what the template says


def template_text() -> str:
    return (ROOT / "template.yaml").read_text("utf-8")


def function_property(name: str, key: str) -> int:
    """A number set on the function itself in template.yaml (MemorySize, Timeout)."""
    block = template_text().split(f"\n  {name}:\n", 1)[1]
    block = re.split(r"\n  [A-Z]\w+:\n", block, maxsplit=1)[0]
    found = re.search(rf"^      {key}: (\d+)", block, re.M)
    assert found, (name, key)
    return int(found.group(1))


def function_memory_mb(name: str) -> int:
    return function_property(name, "MemorySize")


def parameter_default(name: str) -> str:
    found = re.search(rf"^  {name}:\n(?:    .*\n)*?    Default: (\S+)", template_text(), re.M)
    assert found, name
    return found.group(1).strip('"')


def alarms(network_mode: str) -> int:
    """Alarms in a mode: those without a condition, plus the NAT instance's two."""
    text = template_text()
    blocks = re.findall(r"\n  (\w+):\n    Type: AWS::CloudWatch::Alarm\n((?:    .*\n)*)", text)
    always = [name for name, body in blocks if "Condition:" not in body.split("Properties:")[0]]
    nat_instance = [name for name, body in blocks if "Condition: UseNatInstance" in body]
    return len(always) + (len(nat_instance) if network_mode == "nat-instance" else 0)


def seeded_intervals() -> dict[str, int]:
    """Job name -> interval in seconds, as migrations/0004 seeds them."""
    text = (ROOT / "migrations" / "0004_jobs_profiles_broadcasts.sql").read_text("utf-8")
    rows = re.findall(r"\('(\w+)', '\w+', ([0-9 *]+)\)", text)
    return {name: eval(expression, {"__builtins__": {}}) for name, expression in rows}  # noqa: S307


# ------------------------------------------------------------------ the table


@dataclass
class Line:
    item: str
    price: str
    quantity: str
    usd: float


def month_of(
    busy: Hour, quiet: Hour, busy_hours: float
) -> Callable[[Callable[[Hour], float]], float]:
    def per_month(of: Callable[[Hour], float]) -> float:
        return DAYS_PER_MONTH * (busy_hours * of(busy) + (24 - busy_hours) * of(quiet))

    return per_month


def table(
    mode: str, busy: Hour, quiet: Hour, busy_hours: float, *, credentials: str, tracing: bool
) -> list[Line]:
    per_month = month_of(busy, quiet, busy_hours)
    gb = 1 / 1024
    lines: list[Line] = []
    if mode == "nat-instance":
        volume = int(parameter_default("NatInstanceVolumeSize"))
        lines += [
            Line("NAT instance t4g.nano", "$0.0042 / h", "730 h", 730 * PRICE["t4g.nano_h"]),
            Line(
                "its root volume, gp3",
                "$0.08 / GB-month",
                f"{volume} GB (minimal AL2023 image)",
                volume * PRICE["gp3_gb_month"],
            ),
            Line("its public IPv4 address", "$0.005 / h", "730 h", 730 * PRICE["ipv4_h"]),
        ]
    else:
        lines += [
            Line("NAT gateway", "$0.045 / h", "730 h", 730 * PRICE["nat_gateway_h"]),
            Line(
                "its processing",
                "$0.045 / GB",
                f"~{FEED_GB_PROCESSED:g} GB (affiliate feed)",
                FEED_GB_PROCESSED * PRICE["nat_gateway_gb"],
            ),
            Line("its public IPv4 address", "$0.005 / h", "730 h", 730 * PRICE["ipv4_h"]),
        ]
    lines += [
        Line("RDS db.t4g.micro, single-AZ", "$0.016 / h", "730 h", 730 * PRICE["db.t4g.micro_h"]),
        Line("RDS storage, gp3", "$0.115 / GB-month", "20 GB", 20 * PRICE["rds_gp3_gb_month"]),
    ]
    # Lambda
    events_mb = function_memory_mb("EventsPollerFunction")
    watchdog_runs = per_month(lambda h: h.watchdog_runs)
    events_seconds = HOURS_PER_MONTH * 3600 + watchdog_runs * 1.0
    lines.append(
        Line(
            f"Lambda events poller, {events_mb} MB arm64",
            "$0.0000133334 / GB-s",
            f"24/7: {events_seconds / 1e6:.2f} M s (incl. {watchdog_runs:,.0f} watchdog runs "
            f"x ~1 s) x {events_mb * gb:.3f} GB",
            events_seconds * events_mb * gb * PRICE["lambda_arm_gb_s"],
        )
    )
    intervals = seeded_intervals()
    per_day = {name: 86400 / seconds for name, seconds in intervals.items()}
    profiles = ProfileCollectionConfig()
    profile_run = (profiles.limit - 1) * 60 / profiles.requests_per_minute + PROFILE_TAIL_SECONDS
    statbate = StatbateRefreshConfig()
    statbate_run = (statbate.limit / statbate.batch_size) * (
        statbate.request_interval_seconds + STATBATE_BATCH_SECONDS
    )
    stats_day = (
        per_day["profile_collection"] * profile_run
        + per_day["affiliate_sweep"] * SWEEP_SECONDS
        + per_day["cb_stats"] * CB_STATS_SECONDS
        + per_day["statbate_refresh"] * statbate_run
        + 288 * TICK_OVERHEAD_SECONDS
    )
    stats_mb = function_memory_mb("StatsPollerFunction")
    stats_seconds = stats_day * DAYS_PER_MONTH
    lines.append(
        Line(
            f"Lambda stats poller, {stats_mb} MB",
            "same",
            f"{stats_seconds:,.0f} s: profiles {per_day['profile_collection']:.0f} x "
            f"{profile_run:.0f} s a day ({profiles.limit} at {profiles.requests_per_minute}/min),"
            f" sweep {per_day['affiliate_sweep']:.0f} x {SWEEP_SECONDS:g} s, Stats API, Statbate",
            stats_seconds * stats_mb * gb * PRICE["lambda_arm_gb_s"],
        )
    )
    lookup_mb = function_memory_mb("LookupFunction")
    lines.append(
        Line(
            f"Lambda lookup (the API), {lookup_mb} MB",
            "same",
            f"{API_REQUESTS:,} requests x {API_SECONDS} s",
            API_REQUESTS * API_SECONDS * lookup_mb * gb * PRICE["lambda_arm_gb_s"],
        )
    )
    chat_mb = function_memory_mb("ChatImportFunction")
    chat_seconds = CHAT_IMPORT_RUNS * CHAT_IMPORT_SECONDS
    lines.append(
        Line(
            f"Lambda chat import, {chat_mb} MB",
            "same",
            f"{CHAT_IMPORT_RUNS:,} hourly runs x ~{CHAT_IMPORT_SECONDS:g} s",
            chat_seconds * chat_mb * gb * PRICE["lambda_arm_gb_s"],
        )
    )
    links = per_month(lambda h: h.links)
    requests = links + watchdog_runs + 288 * DAYS_PER_MONTH + CHAT_IMPORT_RUNS + API_REQUESTS
    lines.append(
        Line(
            "Lambda requests",
            "$0.20 / M",
            f"{requests:,.0f} ({links:,.0f} chain links, schedules, chat import, API)",
            requests * PRICE["lambda_request"],
        )
    )
    # CloudWatch
    metric_hours: dict[str, float] = defaultdict(float)
    for name in busy.metrics:
        metric_hours[name] += busy_hours * DAYS_PER_MONTH
    for name in quiet.metrics:
        metric_hours[name] += (24 - busy_hours) * DAYS_PER_MONTH
    sent = ", ".join(f"{name} {hours:.0f} h" for name, hours in sorted(metric_hours.items()))
    total_hours = sum(metric_hours.values()) + RARE_METRIC_HOURS
    lines.append(
        Line(
            "CloudWatch custom metrics",
            "$0.30 / metric-month, by the hour",
            f"{sent}; the rest ~{RARE_METRIC_HOURS} h (when they happen)",
            total_hours / HOURS_PER_MONTH * PRICE["metric_month"],
        )
    )
    count = alarms(mode)
    lines.append(Line("CloudWatch alarms", "$0.10 / alarm-month", f"{count}", count * 0.10))
    lines.append(
        Line(
            "CloudWatch Logs",
            "$0.50 / GB in, $0.03 / GB-month kept",
            f"~{LOG_GB} GB a month",
            LOG_GB * (PRICE["logs_ingest_gb"] + PRICE["logs_store_gb_month"]),
        )
    )
    # Secrets and KMS
    secret_reads_events = 12 * HOURS_PER_MONTH * 2  # events URL and DB password, 5-min cache
    secret_reads_stats = 288 * DAYS_PER_MONTH * 2  # DB password and Stats token, each tick
    secret_reads_api = 12 * UI_HOURS_A_DAY * DAYS_PER_MONTH * 3  # API token, DB, Statbate
    secret_reads_chat = CHAT_IMPORT_RUNS * 3  # DB password and the two Plus cookies, each run
    secret_reads = secret_reads_events + secret_reads_stats + secret_reads_api + secret_reads_chat
    cursor = per_month(lambda h: h.cursor_loads + h.cursor_saves)
    if credentials == "secrets-manager":
        db_reads = (
            12 * HOURS_PER_MONTH
            + 288 * DAYS_PER_MONTH
            + 12 * UI_HOURS_A_DAY * DAYS_PER_MONTH
            + CHAT_IMPORT_RUNS
        )
        lines.append(
            Line(
                "Secrets Manager",
                "$0.40 / secret-month, $0.05 / 10,000 calls",
                f"2 secrets; {db_reads:,.0f} calls",
                2 * PRICE["secret_month"] + db_reads * PRICE["secrets_call"],
            )
        )
        secret_reads -= db_reads
    else:
        lines.append(Line("Secrets Manager", "-", "none (DatabaseCredentials=ssm)", 0.0))
    kms = cursor + secret_reads
    lines.append(
        Line(
            "KMS requests (SSM SecureString reads and writes)",
            "$0.03 / 10,000",
            f"{kms:,.0f}: events cursor {cursor:,.0f} (measured: "
            f"{busy.cursor_saves} writes + {busy.cursor_loads} reads a busy hour, "
            f"{quiet.cursor_saves} + {quiet.cursor_loads} a quiet one); secrets at most "
            f"{secret_reads:,.0f} (each cached read renewed every 5 minutes)",
            kms * PRICE["kms_request"],
        )
    )
    lines += [
        Line(
            "HTTP API", "$1.00 / M", f"{API_REQUESTS:,}", API_REQUESTS * PRICE["http_api_request"]
        ),
        Line(
            "CloudFront",
            "$0.0100 / 10,000 HTTPS requests, $0.085 / GB",
            f"~95,000 requests, ~{CLOUDFRONT_GB} GB",
            95_000 * PRICE["cloudfront_request"] + CLOUDFRONT_GB * PRICE["cloudfront_gb"],
        ),
        Line(
            "Data transfer",
            "$0.09 / GB out, $0.01 / GB each way between AZs",
            f"~{INTERNET_OUT_GB:g} GB out; ~{CROSS_AZ_GB:g} GB between AZs",
            INTERNET_OUT_GB * PRICE["internet_out_gb"] + CROSS_AZ_GB * PRICE["cross_az_gb"],
        ),
        Line(
            "EventBridge Scheduler, S3, SNS, SSM Standard parameters",
            "$1.00 / M schedule runs; the rest cents",
            f"{2 * 288 * DAYS_PER_MONTH + CHAT_IMPORT_RUNS:,.0f} schedule runs",
            (2 * 288 * DAYS_PER_MONTH + CHAT_IMPORT_RUNS) * PRICE["scheduler_run"] + 0.01,
        ),
    ]
    traces = links + watchdog_runs + 288 * DAYS_PER_MONTH + CHAT_IMPORT_RUNS + API_REQUESTS
    lines.append(
        Line(
            "X-Ray",
            "$5.00 / M traces",
            f"{traces:,.0f} traces" if tracing else "off (TracingMode=PassThrough)",
            traces * PRICE["xray_trace"] if tracing else 0.0,
        )
    )
    return lines


def print_table(title: str, lines: list[Line]) -> float:
    total = sum(line.usd for line in lines)
    print(f"\n{title}\n")
    print("| Item | Price used | Quantity | USD / month |")
    print("|---|---|---|---|")
    for line in lines:
        print(f"| {line.item} | {line.price} | {line.quantity} | {line.usd:.2f} |")
    print(f"| **Total** | | | **{total:.2f}** |")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy-hours", type=float, default=4.0, help="broadcast hours a day")
    parser.add_argument("--events-per-second", type=float, default=1.0, help="while broadcasting")
    args = parser.parse_args()
    if function_property("EventsPollerFunction", "Timeout") != LINK_SECONDS:
        sys.exit("the events poller's Timeout is no longer LINK_SECONDS: update this bench")
    busy = simulate_hour(fresh_database(server_url()), args.events_per_second)
    quiet = simulate_hour(fresh_database(server_url()), 0)
    print("events poller, one simulated hour each (real poller, fake time, real PostgreSQL):")
    for name, hour in (("busy", busy), ("quiet", quiet)):
        print(
            f"  {name:<5} links {hour.links:>3}  watchdog runs {hour.watchdog_runs:>2}  "
            f"pages {hour.pages:>5}  events {hour.events:>5}  cursor reads "
            f"{hour.cursor_loads:>3}  cursor writes {hour.cursor_saves:>3}  metrics sent: "
            f"{', '.join(sorted(hour.metrics))}"
        )
    personal = table("nat-instance", busy, quiet, args.busy_hours, credentials="ssm", tracing=False)
    managed = table(
        "nat-gateway", busy, quiet, args.busy_hours, credentials="secrets-manager", tracing=True
    )
    mine = print_table(
        "Personal deployment (samconfig.toml: NetworkMode=nat-instance, DatabaseCredentials=ssm,"
        " TracingMode=PassThrough)",
        personal,
    )
    theirs = print_table(
        "Managed (the template's defaults: NetworkMode=nat-gateway, "
        "DatabaseCredentials=secrets-manager, TracingMode=Active)",
        managed,
    )
    print(f"\npersonal {mine:.2f}  managed {theirs:.2f}  (target: personal <= 30.00)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
