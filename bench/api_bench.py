"""API benchmark: in-process ASGI latency of the main reads, and the Lambda's cold import time.

    python bench/api_bench.py               # reuse (or build) the bench/store_bench.py dataset
    python bench/api_bench.py --samples 500

Measures, through the full app (auth middleware, validation, serialization) with an in-process
ASGI client on the `mhc_bench` database: p50/p95 of person detail, one interactions page and
full-text search. Then the cold import of `functions/lookup/app.py` in a fresh interpreter,
from a temporary copy precompiled with `compileall --invalidation-mode unchecked-hash` (what a
SAM build ships after our post-build step). Targets (issue 5): p95 person detail <= 25 ms,
interactions page <= 25 ms, search <= 50 ms; cold import <= 0.8 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "bench"))

from store_bench import (  # noqa: E402
    WORDS,
    _skewed_person,
    bench_url,
    build,
    dataset_ready,
    percentile,
    server_url,
)

TOKEN = "bench-token-0123456789abcdef0123456789"  # noqa: S105 (a throwaway token for the in-process app)


def _timed(call: Callable[[], int], samples: int, warmup: int = 50) -> list[float]:
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return timings


def measure_requests(url: str, samples: int) -> dict[str, list[float]]:
    os.environ["MHC_API_TOKEN"] = TOKEN
    os.environ["MHC_OWNER_USERNAME"] = "bench_owner"
    from fastapi.testclient import TestClient
    from mhc.api import create_app
    from mhc.config import get_settings
    from mhc.db.connection import Database

    get_settings.cache_clear()
    # Each request still writes its JSON log line, as in Lambda, but not onto the figures.
    from mhc.observability import logger

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    db = Database(bench_url(url))
    client = TestClient(create_app(lambda: db), headers={"Authorization": f"Bearer {TOKEN}"})
    rng = random.Random(5)

    def detail() -> int:
        return client.get(f"/api/persons/{_skewed_person(rng)}").status_code

    def interactions_page() -> int:
        return client.get(
            f"/api/persons/{_skewed_person(rng)}/interactions", params={"limit": 50}
        ).status_code

    def search() -> int:
        return client.get("/api/search", params={"q": rng.choice(WORDS), "limit": 50}).status_code

    results = {
        "person detail": _timed(detail, samples),
        "interactions page": _timed(interactions_page, samples),
        "search": _timed(search, samples),
    }
    db.close()
    return results


def cold_import_seconds(runs: int = 5) -> list[float]:
    """Import functions/lookup/app.py in fresh interpreters from a precompiled temporary copy."""
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        build_dir = Path(tmp)
        shutil.copytree(ROOT / "layers" / "common" / "mhc", build_dir / "mhc")
        shutil.copy(ROOT / "functions" / "lookup" / "app.py", build_dir / "lookup_app.py")
        subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "compileall",
                "-q",
                "--invalidation-mode",
                "unchecked-hash",
                str(build_dir),
            ],
            check=True,
        )
        probe = (
            "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
            "import lookup_app; print(time.perf_counter() - t)"
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MHC_", "DATABASE_URL"))},
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("PYTHONPATH", None)
        for _ in range(runs):
            out = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, "-I", "-c", probe, str(build_dir)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
            )
            timings.append(float(out.stdout.strip().splitlines()[-1]))
    return timings


def _line(name: str, timings: list[float], target: float) -> str:
    p95 = percentile(timings, 95)
    verdict = "ok" if p95 <= target else "OVER TARGET"
    return (
        f"{name:<18} n={len(timings)}  p50 {percentile(timings, 50):6.2f} ms  "
        f"p95 {p95:6.2f} ms  p99 {percentile(timings, 99):6.2f} ms  "
        f"mean {statistics.mean(timings):6.2f} ms  (target p95 <= {target:.0f} ms: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="requests per route")
    args = parser.parse_args()
    url = server_url()
    if not dataset_ready(url):
        print("building the bench/store_bench.py dataset (about 2 minutes) ...", flush=True)
        build(url, random.Random(20261121))
    results = measure_requests(url, args.samples)
    imports = cold_import_seconds()
    print()
    print(_line("person detail", results["person detail"], 25))
    print(_line("interactions page", results["interactions page"], 25))
    print(_line("search", results["search"], 50))
    worst = max(imports)
    print(
        f"cold import of functions/lookup/app.py (precompiled, fresh interpreter, {len(imports)} runs): "
        f"median {statistics.median(imports):.3f} s, max {worst:.3f} s "
        f"(target <= 0.8 s: {'ok' if worst <= 0.8 else 'OVER TARGET'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
