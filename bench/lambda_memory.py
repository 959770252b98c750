"""Memory benchmark: the peak resident memory of each built Lambda handler doing its real work.

    python bench/lambda_memory.py [--build-dir .aws-sam/build-native] [--events 20000] [--rooms 5000]

Lambda bills memory × duration and reports "Max Memory Used"; this measures the same thing
(the process's peak resident memory, `VmHWM`) for each function built by
`make cold-start` (the native build: arm64 wheels cannot load here), in a fresh
`python3.12 -S` that imports only the standard library, the built layer and the function's
directory, as in Lambda. Each handler is invoked as Lambda would invoke it, on a real
PostgreSQL (embedded, `.mhc/bench-pgdata`, or DATABASE_URL's server) and fake upstream APIs on
loopback:

- events poller: the watchdog event with 40 s left; it long-polls a fake Events API holding
  `--events` envelopes (pages of 500), stores them all, and self-invokes through a fake Lambda
  endpoint (boto3 client created and used, as in AWS);
- lookup: every `events/lookup_*.json` request, 20 times each, on the database the poller filled;
- stats poller: `{"jobs": ["cb_stats", "affiliate_sweep"]}` against a fake Stats API and a fake
  affiliate feed of `--rooms` online rooms (pages of 500);
- migrate: every migration on an empty database.

Not counted: the Lambda runtime's own client (awslambdaric, in the same process in AWS),
estimated at 10-20 MB; size with that margin. Figures in MB (MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from cold_start import check_architecture, python312  # noqa: E402
from fakes.events_feed import OWNER, FakeEventsFeed, make_events  # noqa: E402
from fakes.http import FakeHttpServer, RecordedRequest, Reply, json_reply  # noqa: E402
from mhc.db.connection import connect  # noqa: E402
from mhc.db.migrate import migrate  # noqa: E402
from psycopg import sql  # noqa: E402
from store_bench import server_url  # noqa: E402

API_TOKEN = "replace-with-MHC_API_TOKEN"  # noqa: S105 (the token the sample lookup events carry)
CAMPAIGN = "benchwm"
FEED_PATH = "/api/public/affiliates/onlinerooms/"
SAMPLES = ROOT / "tests" / "fakes" / "samples"
FUNCTIONS = ("EventsPollerFunction", "LookupFunction", "StatsPollerFunction", "MigrateFunction")


def configured_memory() -> dict[str, int]:
    """Each function's MemorySize in template.yaml (the Globals' default when it sets none)."""
    text = (ROOT / "template.yaml").read_text("utf-8")
    default = int(re.search(r"^Globals:.*?^    MemorySize: (\d+)", text, re.M | re.S).group(1))  # type: ignore[union-attr]
    sizes = {}
    for name in FUNCTIONS:
        block = text.split(f"\n  {name}:\n", 1)[1].split("\n  # ---", 1)[0]
        block = re.split(r"\n  [A-Z]\w+:\n", block, maxsplit=1)[0]
        found = re.search(r"^      MemorySize: (\d+)", block, re.M)
        sizes[name] = int(found.group(1)) if found else default
    return sizes


# argv: layer, function dir, runtime packages, events file (a JSON list of events), repeat,
# seconds left. Prints one JSON line: RSS before importing, after importing, and the peak (MB).
_PROBE = r"""
import json, resource, sys, time
layer, function, runtime, events_file, repeat, seconds = sys.argv[1:7]
sys.path[:0] = [layer, function]
sys.path.append(runtime)  # boto3: provided by the Lambda runtime, after the layer

def status(field):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

def rss_now():
    return status("VmRSS")

class Context:
    function_name = "mhc-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mhc-bench"
    memory_limit_in_mb = 256
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/mhc-bench"
    log_stream_name = "bench"
    def __init__(self, seconds):
        self._deadline = time.monotonic() + seconds
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

events = json.load(open(events_file))
started = rss_now()
import app
imported = rss_now()
began = time.perf_counter()
results = []
for _ in range(int(repeat)):
    for event in events:
        result = app.handler(event, Context(float(seconds)))
        results.append(result.get("statusCode", result) if isinstance(result, dict) else None)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent (the bench).
peak = status("VmHWM")
usage, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
sys.stdout.flush()
print("\n" + json.dumps({"started": started, "imported": imported, "peak": peak, "cpu": cpu,
                  "seconds": time.perf_counter() - began, "results": results[:5]}))
"""


def database(url: str, name: str, *, migrated: bool) -> str:
    import psycopg

    with connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    target = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    if migrated:
        with connect(target) as conn:
            migrate(conn, ROOT / "migrations")
    return target


def room(n: int) -> dict[str, Any]:
    name = f"room_{n:05d}"
    return {
        "username": name,
        "display_name": name.title(),
        "gender": "f",
        "age": 20 + n % 30,
        "birthday": "",
        "location": "Somewhere",
        "country": "NL",
        "spoken_languages": "English",
        "is_new": n % 17 == 0,
        "is_hd": True,
        "current_show": "public",
        "room_subject": f"hello #tag{n % 50} goal {n}",
        "tags": [f"tag{n % 50}", f"tag{n % 7}"],
        "num_users": n % 400,
        "num_followers": 100 + n,
        "seconds_online": 600 + n,
        "image_url": f"https://roomimg.example/{name}.jpg",
        "image_url_360x270": f"https://roomimg.example/{name}.jpg",
        "chat_room_url": f"https://chaturbate.com/in/?campaign={CAMPAIGN}&room={name}",
        "slug": name,
    }


class Upstream:
    """Fake Stats API, affiliate feed and Lambda Invoke endpoint on one loopback server."""

    def __init__(self, rooms: int) -> None:
        self.rooms = [room(n) for n in range(rooms)]
        self.stats = json.loads((SAMPLES / "chaturbate_stats_api_sample.json").read_text())
        self.invokes = 0
        self.server = FakeHttpServer()
        self.server.handler = self._handle

    def __enter__(self) -> Upstream:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

    def _handle(self, request: RecordedRequest) -> Reply:
        if request.path.startswith("/2015-03-31/functions/"):  # Lambda Invoke
            self.invokes += 1
            return Reply(status=202, body=b"")
        if request.path == FEED_PATH:
            offset, limit = int(request.param("offset") or 0), int(request.param("limit") or 500)
            page = self.rooms[offset : offset + limit]
            return json_reply({"count": len(self.rooms), "results": page})
        if request.path.startswith("/statsapi"):
            return json_reply(self.stats)
        return json_reply({"error": "unexpected"}, status=404)


def measure(
    python: str, build: Path, function: str, events: list[Any], env: dict[str, str], **run: Any
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        events_file = Path(tmp) / "events.json"
        events_file.write_text(json.dumps(events))
        result = subprocess.run(  # noqa: S603 (our own interpreter and probe)
            [
                python,
                "-S",
                "-c",
                _PROBE,
                str(build / "CommonLayer" / "python"),
                str(build / function),
                str(runtime_packages()),
                str(events_file),
                str(run.get("repeat", 1)),
                str(run.get("seconds", 60)),
            ],
            cwd=build / function,
            env={**env, "HOME": tmp, "MHC_EVENTS_CURSOR_FILE": f"{tmp}/cursor.json"},
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{result.stderr[-3000:]}")
    logs, _, last = result.stdout.rstrip("\n").rpartition("\n")
    figures: dict[str, Any] = json.loads(last)
    figures["log_bytes"] = len(logs.encode())
    return figures


def runtime_packages() -> Path:
    """boto3 and botocore, which the Lambda runtime provides: the SAM tools' copy (3.12)."""
    found = sorted((ROOT / ".venv-sam" / "lib").glob("python3.12/site-packages"))
    if not found or not (found[0] / "boto3").is_dir():
        sys.exit("boto3 for Python 3.12 not found in .venv-sam: run `make sam-tools`")
    return found[0]


def base_env(url: str, upstream: Upstream) -> dict[str, str]:
    """What the template sets, minus AWS secrets: DATABASE_URL instead of the RDS secret."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL_LAMBDA": upstream.server.url,
        "POWERTOOLS_SERVICE_NAME": "mhc",
        "POWERTOOLS_METRICS_NAMESPACE": "MHC",
        "POWERTOOLS_LOG_LEVEL": "INFO",  # as deployed: the log volume is measured too
        "MHC_LOG_LEVEL": "INFO",
        "MHC_OWNER_USERNAME": OWNER,
        "DATABASE_URL": url,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def lookup_events() -> list[Any]:
    return [
        json.loads(path.read_text()) for path in sorted((ROOT / "events").glob("lookup_*.json"))
    ]


def workloads(
    args: argparse.Namespace, env: dict[str, str], upstream: Upstream, feed_url: str, empty: str
) -> dict[str, tuple[str, list[Any], dict[str, str], dict[str, Any]]]:
    """Function -> (what it does, its events, its environment, repeat/seconds)."""
    lookups = lookup_events()
    return {
        "EventsPollerFunction": (
            f"{args.events} events, pages of {args.page}",
            [{"trigger": "watchdog"}],
            {**env, "MHC_EVENTS_URL": feed_url, "MHC_EVENTS_MAX_TIMEOUT_SECONDS": "5"},
            {"seconds": 40},
        ),
        "LookupFunction": (
            f"{len(lookups)} requests x 20",
            lookups,
            {**env, "MHC_API_TOKEN": API_TOKEN},
            {"repeat": 20, "seconds": 28},
        ),
        "StatsPollerFunction": (
            f"cb_stats + sweep of {args.rooms} rooms",
            [{"jobs": ["cb_stats", "affiliate_sweep"]}],
            {
                **env,
                "MHC_STATS_API_URL": f"{upstream.server.url}/statsapi/",
                "MHC_STATS_TOKEN": "bench-stats-token",
                "MHC_AFFILIATE_API_URL": f"{upstream.server.url}{FEED_PATH}",
                "MHC_AFFILIATE_CAMPAIGN": CAMPAIGN,
                "MHC_AFFILIATE_PAGE_DELAY_SECONDS": "0",
            },
            {"seconds": 280},
        ),
        "MigrateFunction": (
            "all migrations, empty database",
            [{"action": "migrate"}],
            {**env, "DATABASE_URL": empty, "MHC_MIGRATIONS_DIR": str(ROOT / "migrations")},
            {},
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build-native")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rooms", type=int, default=5_000)
    parser.add_argument("--page", type=int, default=500, help="events per Events API page")
    parser.add_argument("--rounds", type=int, default=3, help="runs per function (max reported)")
    parser.add_argument("--only", choices=sorted(FUNCTIONS), action="append")
    args = parser.parse_args()
    python = python312()
    build = args.build_dir.resolve()
    if not (build / "CommonLayer" / "python").is_dir():
        sys.exit(f"no build at {build}: run `make cold-start` first")
    check_architecture(build / "CommonLayer" / "python")
    server = server_url()
    results: dict[str, list[dict[str, Any]]] = {}
    described: dict[str, str] = {}
    for done in range(args.rounds):
        # Fresh databases each round: the poller stores everything anew, migrate starts empty.
        filled = database(server, "mhc_memory_bench", migrated=True)
        empty = database(server, "mhc_memory_bench_empty", migrated=False)
        events = make_events(args.events, seed=21)
        with (
            Upstream(args.rooms) as upstream,
            FakeEventsFeed(events, page_size=args.page, hold_when_caught_up=True) as feed,
        ):
            plan = workloads(args, base_env(filled, upstream), upstream, feed.base_url, empty)
            for name, (what, invocations, env, run) in plan.items():
                if args.only and name not in args.only:
                    continue
                described[name] = what
                results.setdefault(name, []).append(
                    measure(python, build, name, invocations, env, **run)
                )
                print(f"  round {done + 1}: {name} done", file=sys.stderr)
        with connect(filled) as conn:
            stored = conn.execute("SELECT count(*) AS n FROM raw_events").fetchone()
        if "EventsPollerFunction" in results and (stored is None or stored["n"] != args.events):
            sys.exit(f"the poller stored {stored} of {args.events} events: figures not valid")
    print(f"peak resident memory per handler (MB, max of {args.rounds} runs), {python}")
    print(
        f"{'function':<22} {'workload':<34} {'import':>7} {'peak':>6} {'cpu s':>6} "
        f"{'log KB':>7} {'configured':>10}"
    )
    configured = configured_memory()
    for name, runs in results.items():
        peak = max(r["peak"] for r in runs)
        print(
            f"{name:<22} {described[name]:<34} {max(r['imported'] for r in runs):>7.1f} "
            f"{peak:>6.1f} {min(r['cpu'] for r in runs):>6.2f} "
            f"{min(r['log_bytes'] for r in runs) / 1024:>7.1f} {configured[name]:>10}"
        )
    print("import: RSS after importing the handler; peak: the process's VmHWM (high-water RSS);")
    print("cpu s: user+sys CPU of the whole run (least of the runs); log KB: what it printed")
    for name, runs in results.items():
        print(f"  {name} returned: {json.dumps(runs[-1]['results'], default=str)[:240]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
