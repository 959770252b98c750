"""The SAM-transformed template, built once per run for every infra test that reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from infra.sam_tools import SAM_PYTHON, TEMPLATE, require_sam_tools, run, tool_env

TRANSFORM = Path(__file__).with_name("sam_transform.py")


@pytest.fixture(scope="session")
def cfn() -> dict[str, Any]:
    """template.yaml as CloudFormation sees it after the SAM transform (offline)."""
    env = tool_env(require_sam_tools())
    result = run([str(SAM_PYTHON), str(TRANSFORM), str(TEMPLATE)], env, timeout=120)
    assert result.returncode == 0, result.stderr
    template: dict[str, Any] = json.loads(result.stdout)
    return template
