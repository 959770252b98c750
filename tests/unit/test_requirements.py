"""The Lambda layer's requirements.txt must match pyproject's runtime dependencies."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Provided by the Lambda runtime, so not shipped in the layer.
RUNTIME_PROVIDED = {"boto3"}


def _name(requirement: str) -> str:
    for separator in ("[", "=", ">", "<", "~", "!", " "):
        requirement = requirement.split(separator)[0]
    return requirement.strip().lower()


def test_layer_requirements_match_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {_name(r): r.replace(" ", "") for r in pyproject["project"]["dependencies"]}
    lines = (ROOT / "layers/common/requirements.txt").read_text().splitlines()
    layer = {
        _name(line): line.strip() for line in lines if line.strip() and not line.startswith("#")
    }
    assert set(layer) == set(declared) - RUNTIME_PROVIDED
    for name, spec in layer.items():
        assert spec == declared[name], f"{name}: layer pins {spec}, pyproject {declared[name]}"
        assert "==" in spec, f"{name} must be pinned exactly in the layer"
