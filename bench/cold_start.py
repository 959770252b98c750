"""Cold-start benchmark: precompiled import time of each built function's handler (Python 3.12).

Each run is a fresh `python3.12 -S` (no site-packages: only the standard library, the built
layer's `python/` and the function's directory are importable, as in Lambda) that imports
`app` and reports the time the import took. Targets (ARCHITECTURE.md section 9): lookup <= 0.8 s,
pollers <= 0.4 s. Needs a build for this machine's architecture with `.pyc` precompiled
(`make cold-start` does both: the deployed arm64 wheels cannot load on x86_64).

Runs are interleaved (one of each function per round), so a change in the machine's speed
during the benchmark shows in every function alike. For each function it also times the
"libraries" floor: a fresh interpreter importing only the third-party packages the handler
loads (FastAPI, pydantic, psycopg, ...); the rest is MHC's own modules and app set-up.
`--instructions` adds the instructions each import executes (valgrind callgrind): unlike the
times, that figure does not move with the speed of a shared VM, so it shows what a change did.

Usage: python bench/cold_start.py [--build-dir .aws-sam/build-native] [--runs 15] [--instructions]
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "LookupFunction": 0.8,
    "EventsPollerFunction": 0.4,
    "StatsPollerFunction": 0.4,
    "MigrateFunction": 0.4,
    "ChatImportFunction": 0.4,
}
# argv: layer, function dir, then "app" or the packages to import. Prints the seconds taken,
# then (for "app") the third-party top-level packages that the import loaded from the layer.
_PROBE = """
import importlib, sys, time
layer = sys.argv[1]
sys.path[:0] = [layer, sys.argv[2]]
start = time.perf_counter()
later = []
for name in sys.argv[3:]:
    try:
        importlib.import_module(name)
    except ImportError:  # e.g. psycopg_binary: only importable after psycopg
        later.append(name)
for name in later:
    importlib.import_module(name)
print(time.perf_counter() - start)
if sys.argv[3:] == ["app"]:
    loaded = [(name, getattr(module, "__file__", None) or "") for name, module in sys.modules.items()]
    print(" ".join(dict.fromkeys(
        name for name, path in loaded
        if "." not in name and path.startswith(layer) and name != "mhc"
    )))
"""


def python312() -> str:
    # The running interpreter when it is 3.12; pyenv's versions before PATH (pyenv shims fail
    # when no 3.12 version is selected).
    candidates = [os.environ.get("PY312", "")]
    candidates += [sys.executable] if sys.version_info[:2] == (3, 12) else []
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python3.12"))
    candidates += [shutil.which("python3.12") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("Python 3.12 (the Lambda runtime's version) is required; set PY312")


def probe_env() -> dict[str, str]:
    """What Lambda would set, minus secrets: nothing is fetched at import time."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "mhc",
        "POWERTOOLS_METRICS_NAMESPACE": "MHC",
        "MHC_OWNER_USERNAME": "owner",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _run_probe(
    python: str, layer: Path, function: Path, modules: list[str], *, wrapper: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """A fresh `python -S` importing `modules` in `function`'s directory (under `wrapper`)."""
    return subprocess.run(  # noqa: S603 (our own interpreter and probe)
        [*wrapper, python, "-S", "-c", _PROBE, str(layer), str(function), *modules],
        cwd=function,
        env=probe_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def _probe(python: str, layer: Path, function: Path, modules: list[str]) -> list[str]:
    result = _run_probe(python, layer, function, modules)
    if result.returncode != 0:
        raise RuntimeError(
            f"importing {' '.join(modules)} in {function.name} failed:\n{result.stderr}"
        )
    return result.stdout.splitlines()


def import_seconds(python: str, layer: Path, function: Path, modules: list[str]) -> float:
    return float(_probe(python, layer, function, modules)[0])


def libraries_of(python: str, layer: Path, function: Path) -> list[str]:
    """The third-party top-level packages importing the handler loads (in load order)."""
    return _probe(python, layer, function, ["app"])[1].split()


def instructions(python: str, layer: Path, function: Path, modules: list[str]) -> int:
    """Instructions executed by a probe importing `modules` (valgrind callgrind)."""
    valgrind = shutil.which("valgrind") or "valgrind"
    wrapper = (valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null")
    result = _run_probe(python, layer, function, modules, wrapper=wrapper)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"valgrind failed for {function.name}:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def check_architecture(layer: Path) -> None:
    native = "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    foreign = [p for p in layer.rglob("*.so") if "linux-gnu" in p.name and native not in p.name]
    if foreign:
        sys.exit(
            f"{layer} holds wheels for another architecture ({foreign[0].name}); "
            "build for this machine with `make cold-start`"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO_ROOT / ".aws-sam" / "build-native")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (needs valgrind)"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.instructions and not shutil.which("valgrind"):
        parser.error("--instructions needs valgrind on PATH")
    python = python312()
    build_dir = args.build_dir.resolve()  # the probes run inside each function's directory
    layer = build_dir / "CommonLayer" / "python"
    if not layer.is_dir():
        sys.exit(f"no built layer at {layer}: run `make cold-start`")
    check_architecture(layer)
    if not any(layer.rglob("__pycache__/*.cpython-312.pyc")):
        print("warning: no precompiled .pyc in the build (run compileall); figures are pessimistic")
    version = subprocess.run(  # noqa: S603
        [python, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    functions = {name: build_dir / name for name in TARGETS}
    missing = [name for name, path in functions.items() if not (path / "app.py").exists()]
    for name in missing:
        print(f"{name}: not built")
        del functions[name]
    # The first probe of each also warms the OS file cache (Lambda's layer is on local disk too).
    libraries = {name: libraries_of(python, layer, path) for name, path in functions.items()}
    times: dict[str, list[float]] = {name: [] for name in functions}
    floors: dict[str, list[float]] = {name: [] for name in functions}
    print(f"cold import of each handler, {version}, {platform.machine()}, {args.runs} rounds")
    for done in range(1, args.runs + 1):
        for name, path in functions.items():
            times[name].append(import_seconds(python, layer, path, ["app"]))
            floors[name].append(import_seconds(python, layer, path, libraries[name]))
        if sys.stderr.isatty():
            print(f"  round {done}/{args.runs}", end="\r", file=sys.stderr, flush=True)
    print(
        f"{'function':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}  verdict"
        f"  {'libraries s':>11}"
    )
    worst = int(bool(missing))
    for name in functions:
        median = statistics.median(times[name])
        verdict = "ok" if median <= TARGETS[name] else "OVER"
        worst = worst or int(median > TARGETS[name])
        print(
            f"{name:<22} {median:>9.3f} {min(times[name]):>7.3f} {max(times[name]):>7.3f} "
            f"{TARGETS[name]:>9.1f}  {verdict:<7}  {statistics.median(floors[name]):>11.3f}"
        )
    print("libraries s: the same interpreter importing only the handler's third-party packages")
    for name, packages in libraries.items():
        print(f"  {name}: {' '.join(sorted(packages))}")
    if args.instructions:
        print(f"{'function':<22} {'instructions':>13} {'libraries':>13} {'own':>13}")
        for name, path in functions.items():
            total = instructions(python, layer, path, ["app"])
            floor = instructions(python, layer, path, libraries[name])
            print(
                f"{name:<22} {total / 1e9:>12.3f}G {floor / 1e9:>12.3f}G {(total - floor) / 1e9:>12.3f}G"
            )
    return worst


if __name__ == "__main__":
    sys.exit(main())
