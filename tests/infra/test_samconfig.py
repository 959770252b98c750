"""samconfig.toml: a default (dev) and a prod environment whose overrides fit the template."""

from __future__ import annotations

import json
import re
import shlex
import tomllib

from infra.sam_tools import REPO_ROOT, TEMPLATE


def template_parameters() -> dict[str, str]:
    """Parameter name -> its AllowedPattern ("" when none), read from the template's text."""
    text = TEMPLATE.read_text("utf-8")
    section = text[text.index("\nParameters:\n") : text.index("\nRules:\n")]
    parameters: dict[str, str] = {}
    for block in re.split(r"\n  (?=\w+:\n)", section)[1:]:
        name = block.split(":", 1)[0]
        pattern = re.search(r'AllowedPattern: "(.*)"', block)
        parameters[name] = pattern.group(1).replace("\\\\", "\\") if pattern else ""
    return parameters


def overrides(env: str) -> dict[str, str]:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text("utf-8"))
    text = config[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(pair.split("=", 1) for pair in shlex.split(text))


def test_default_and_prod_environments_deploy_their_own_stage() -> None:
    assert overrides("default")["Stage"] == "dev"
    assert overrides("prod")["Stage"] == "prod"


def test_overrides_name_template_parameters_only() -> None:
    known = set(template_parameters())
    for env in ("default", "prod"):
        assert set(overrides(env)) <= known, env


def test_secret_names_are_per_stage() -> None:
    for env, stage in (("default", "dev"), ("prod", "prod")):
        for name, value in overrides(env).items():
            if name.endswith("Param"):
                assert value.startswith(f"/mhc/{stage}/"), (env, name, value)


def test_placeholders_are_rejected_by_the_template() -> None:
    # The owner must replace "set-me": the template's patterns refuse it at deploy time.
    parameters = template_parameters()
    for name in ("OwnerUsername", "AffiliateCampaign"):
        pattern = parameters[name]
        assert overrides("prod")[name] == "set-me"
        assert re.fullmatch(pattern, "set-me") is None, name
        assert re.fullmatch(pattern, "some_name1") is not None, name


def test_env_json_sets_only_variables_the_template_declares() -> None:
    # `sam local invoke --env-vars` ignores variables a function does not declare.
    text = TEMPLATE.read_text("utf-8")
    example = json.loads((REPO_ROOT / "env.json").read_text("utf-8"))
    for function, variables in example.items():
        for name in variables:
            assert re.search(rf"^\s+{name}:", text, re.MULTILINE), (function, name)
