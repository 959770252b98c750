"""`sam build` works offline with Python 3.12 on PATH, and what it builds imports under 3.12.

Two builds run side by side: the template as deployed (arm64 wheels, checked by file), and the
same template for this machine's architecture, whose layer and handlers are then imported by a
fresh `python3.12 -S` (no site-packages: the standard library, the built layer's `python/` and the
function's directory only, as in Lambda).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from infra.sam_tools import NATIVE_ARCH, REPO_ROOT, SAM, TEMPLATE, require_sam_tools, tool_env

FUNCTIONS = {
    "LookupFunction": "functions/lookup",
    "EventsPollerFunction": "functions/events_poller",
    "StatsPollerFunction": "functions/stats_poller",
    "MigrateFunction": "functions/migrate",
    "ChatImportFunction": "functions/chat_import",
}
_IMPORT_PROBE = "import sys; sys.path[:0] = sys.argv[1:3]; import {module}; print({module}.{attr})"


class Builds:
    def __init__(self, python: str, deployed: Path, native: Path) -> None:
        self.python, self.deployed, self.native = python, deployed, native


def _start_build(template: Path, build_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(SAM),
            "build",
            "--template-file",
            str(template),
            "--base-dir",
            str(REPO_ROOT),
            "--build-dir",
            str(build_dir),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    python = require_sam_tools()
    missing = [d for d in FUNCTIONS.values() if not (REPO_ROOT / d / "app.py").exists()]
    assert missing == [], f"functions in the template without code: {missing}"
    env = tool_env(python)
    root = tmp_path_factory.mktemp("sam")
    native_template = root / "template-native.yaml"
    native_template.write_text(
        re.sub(r"\barm64\b", NATIVE_ARCH, TEMPLATE.read_text("utf-8")), "utf-8"
    )
    deployed, native = root / "build-arm64", root / "build-native"
    jobs = [_start_build(TEMPLATE, deployed, env), _start_build(native_template, native, env)]
    for job, build_dir in zip(jobs, (deployed, native), strict=True):
        output, _ = job.communicate(timeout=600)
        assert job.returncode == 0, f"sam build into {build_dir.name} failed:\n{output}"
    subprocess.run(
        [python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(native)],
        check=True,
    )
    return Builds(python, deployed, native)


def _import(
    builds: Builds, function: str, module: str, attr: str
) -> subprocess.CompletedProcess[str]:
    layer = builds.native / "CommonLayer" / "python"
    code = _IMPORT_PROBE.format(module=module, attr=attr)
    return subprocess.run(
        [builds.python, "-S", "-c", code, str(layer), str(builds.native / function)],
        cwd=builds.native / function,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MHC_OWNER_USERNAME": "owner",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_deployed_build_has_every_function_and_arm64_wheels(builds: Builds) -> None:
    for name in FUNCTIONS:
        assert (builds.deployed / name / "app.py").is_file(), name
    layer = builds.deployed / "CommonLayer" / "python"
    assert (layer / "mhc" / "config.py").is_file()
    assert not (layer / "python").exists(), "the layer must not nest its own python/ folder"
    binaries = [p.name for p in layer.rglob("*.so") if "linux-gnu" in p.name]
    assert binaries, "no compiled extensions found (psycopg-binary, pydantic-core)"
    assert all("aarch64" in name for name in binaries), binaries


def test_migrate_package_ships_every_migration(builds: Builds) -> None:
    shipped = sorted(p.name for p in (builds.deployed / "MigrateFunction" / "migrations").glob("*"))
    in_repo = sorted(p.name for p in (REPO_ROOT / "migrations").glob("*.sql"))
    assert shipped == in_repo


def test_built_layer_imports_mhc_under_python312(builds: Builds) -> None:
    result = _import(builds, "MigrateFunction", "mhc.config", "Settings.__name__")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Settings"


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_each_built_function_imports_its_handler(builds: Builds, function: str) -> None:
    result = _import(builds, function, "app", "handler.__name__")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "handler"
