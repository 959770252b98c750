"""Cold-start benchmark: precompiled import time of each built function's handler (Python 3.12).

Each run is a fresh `python3.12 -S` (no site-packages: only the standard library, the built
layer's `python/` and the function's directory are importable, as in Lambda) that imports
`app` and reports the time the import took. Targets (ARCHITECTURE.md section 9): lookup <= 0.8 s,
pollers <= 0.4 s. Needs a build for this machine's architecture with `.pyc` precompiled
(`make cold-start` does both: the deployed arm64 wheels cannot load on x86_64).

Usage: python bench/cold_start.py [--build-dir .aws-sam/build-native] [--runs 7]
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "LookupFunction": 0.8,
    "EventsPollerFunction": 0.4,
    "StatsPollerFunction": 0.4,
    "MigrateFunction": 0.4,
}
_PROBE = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
start = time.perf_counter()
import app
print(time.perf_counter() - start)
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


def import_seconds(python: str, layer: Path, function: Path) -> float:
    result = subprocess.run(  # noqa: S603 (our own interpreter and probe)
        [python, "-S", "-c", _PROBE, str(layer), str(function)],
        cwd=function,
        env=probe_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {function.name}/app.py failed:\n{result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
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
    print(f"cold import of each handler, {version}, {platform.machine()}, {args.runs} runs each")
    print(f"{'function':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}  verdict")
    worst = 0
    for name, target in TARGETS.items():
        function = build_dir / name
        if not (function / "app.py").exists():
            print(f"{name:<22} not built")
            worst = 1
            continue
        # One warm-up run fills the OS file cache (Lambda's layer is on local disk too).
        import_seconds(python, layer, function)
        times = [import_seconds(python, layer, function) for _ in range(args.runs)]
        median = statistics.median(times)
        verdict = "ok" if median <= target else "OVER"
        worst = worst or int(median > target)
        print(
            f"{name:<22} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f} {target:>9.1f}  "
            f"{verdict}"
        )
    return worst


if __name__ == "__main__":
    sys.exit(main())
