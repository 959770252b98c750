"""`sam validate --lint` and the pinned cfn-lint accept the template with no warnings (offline)."""

from __future__ import annotations

import subprocess

from infra.sam_tools import (
    CFN_LINT,
    LINT_REGION,
    SAM,
    TEMPLATE,
    makefile_pin,
    require_sam_tools,
    run,
    tool_env,
)


def test_sam_validate_lint_passes() -> None:
    env = tool_env(require_sam_tools())
    result = run(
        [str(SAM), "validate", "--lint", "--region", LINT_REGION, "-t", str(TEMPLATE)], env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output


def test_cfn_lint_passes_without_warnings() -> None:
    env = tool_env(require_sam_tools())
    result = run([str(CFN_LINT), "--regions", LINT_REGION, "--", str(TEMPLATE)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_tools_are_the_pinned_versions() -> None:
    env = tool_env(require_sam_tools())
    sam = subprocess.run(
        [str(SAM), "--version"], env=env, capture_output=True, text=True, check=True
    )
    lint = subprocess.run(
        [str(CFN_LINT), "--version"], env=env, capture_output=True, text=True, check=True
    )
    assert sam.stdout.split()[-1] == makefile_pin("SAM_CLI_VERSION")
    assert lint.stdout.split()[-1] == makefile_pin("CFN_LINT_VERSION")
