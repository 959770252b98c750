"""Locating Python 3.12 and the SAM tools venv (`make sam-tools`) for the infra tests."""

from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
SAM_VENV = REPO_ROOT / ".venv-sam"
SAM = SAM_VENV / "bin" / "sam"
CFN_LINT = SAM_VENV / "bin" / "cfn-lint"
SAM_PYTHON = SAM_VENV / "bin" / "python"
WHEELHOUSE = SAM_VENV / "wheelhouse"
LINT_REGION = "us-east-1"
#: The architecture whose wheels this machine can import (the deployed one is arm64).
NATIVE_ARCH = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def python312() -> str | None:
    """A Python 3.12 interpreter (the Lambda runtime's minor version), or None."""
    # The running interpreter when it is 3.12; pyenv's versions before PATH (pyenv shims fail
    # when no 3.12 version is selected).
    candidates = [os.environ.get("PY312", "")]
    candidates += [sys.executable] if sys.version_info[:2] == (3, 12) else []
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python3.12"))
    candidates += [shutil.which("python3.12") or ""]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def require_sam_tools() -> str:
    """Python 3.12's path; skip without 3.12, fail when `make sam-tools` was not run."""
    py = python312()
    if py is None:
        pytest.skip("no Python 3.12 interpreter (the Lambda runtime's version) on this machine")
    for tool in (SAM, CFN_LINT, SAM_PYTHON):
        if not tool.exists():
            pytest.fail(f"{tool.relative_to(REPO_ROOT)} is missing: run `make sam-tools`")
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.fail("the offline wheelhouse is empty: run `make sam-tools`")
    return py


def makefile_pin(name: str) -> str:
    text = (REPO_ROOT / "Makefile").read_text("utf-8")
    match = re.search(rf"^{name} := (\S+)$", text, re.MULTILINE)
    assert match, f"{name} is not pinned in the Makefile"
    return match.group(1)


def tool_env(python: str) -> dict[str, str]:
    """Offline environment for the SAM tools: Python 3.12 first on PATH, wheels from the wheelhouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MHC_", "PIP_"))}
    env.update(
        PATH=f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}",
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION=LINT_REGION,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(WHEELHOUSE),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
