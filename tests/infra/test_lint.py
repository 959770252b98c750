"""`sam validate --lint` and the pinned cfn-lint accept the template with no warnings (offline),
in each network mode."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
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

_NETWORK_MODE = re.compile(
    r"^  NetworkMode:\n    Type: String\n    Default: (\S+)\n    AllowedValues: \[([^\]]+)\]\n",
    re.MULTILINE,
)


def network_modes() -> list[str]:
    match = _NETWORK_MODE.search(TEMPLATE.read_text("utf-8"))
    assert match, "NetworkMode (Type, Default, AllowedValues) not found in template.yaml"
    return [mode.strip() for mode in match.group(2).split(",")]


def template_in_mode(mode: str, directory: Path) -> Path:
    """template.yaml with NetworkMode defaulting to `mode`, so both linters check that mode's
    conditions as the deployed default (cfn-lint also gets the value as a parameter)."""
    text = TEMPLATE.read_text("utf-8")
    match = _NETWORK_MODE.search(text)
    assert match
    start, end = match.span(1)
    variant = directory / "template.yaml"
    variant.write_text(text[:start] + mode + text[end:], "utf-8")
    return variant


@pytest.mark.parametrize("mode", network_modes())
def test_sam_validate_lint_passes(mode: str, tmp_path: Path) -> None:
    env = tool_env(require_sam_tools())
    template = template_in_mode(mode, tmp_path)
    result = run(
        [str(SAM), "validate", "--lint", "--region", LINT_REGION, "-t", str(template)], env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output


@pytest.mark.parametrize("mode", network_modes())
def test_cfn_lint_passes_without_warnings(mode: str, tmp_path: Path) -> None:
    env = tool_env(require_sam_tools())
    template = template_in_mode(mode, tmp_path)
    result = run(
        [
            str(CFN_LINT),
            "--regions",
            LINT_REGION,
            "--parameters",
            f"NetworkMode={mode}",
            "--",
            str(template),
        ],
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


_CREDENTIALS = re.compile(
    r"^  DatabaseCredentials:\n    Type: String\n    Default: (\S+)\n", re.MULTILINE
)


@pytest.mark.parametrize("credentials", ["secrets-manager", "ssm"])
def test_both_linters_pass_with_each_kind_of_database_credentials(
    credentials: str, tmp_path: Path
) -> None:
    # The personal network mode, with DatabaseCredentials defaulting to `credentials`
    env = tool_env(require_sam_tools())
    text = template_in_mode("nat-instance", tmp_path).read_text("utf-8")
    match = _CREDENTIALS.search(text)
    assert match, "DatabaseCredentials (Type, Default) not found in template.yaml"
    template = tmp_path / "template.yaml"
    template.write_text(text[: match.start(1)] + credentials + text[match.end(1) :], "utf-8")
    validate = run(
        [str(SAM), "validate", "--lint", "--region", LINT_REGION, "-t", str(template)], env
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    lint = run([str(CFN_LINT), "--regions", LINT_REGION, "--", str(template)], env)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert lint.stdout.strip() == ""


def test_the_template_as_committed_passes_cfn_lint() -> None:
    env = tool_env(require_sam_tools())
    result = run([str(CFN_LINT), "--regions", LINT_REGION, "--", str(TEMPLATE)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_both_network_modes_are_offered() -> None:
    assert network_modes() == ["nat-gateway", "nat-instance"]


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
