"""Print the SAM-transformed CloudFormation of a template as JSON (run by the SAM tools' Python).

Executed in a subprocess with `.venv-sam/bin/python` (aws-sam-translator lives there, away from
the app's pins). Offline: managed policies are referenced by ARN only, so no IAM lookup is made.
Usage: python sam_transform.py TEMPLATE [Name=Value ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class _NoManagedPolicies:
    """The template names no managed policy by name; any lookup would be a template bug."""

    def load(self) -> dict[str, str]:
        return {}


_LOCAL_CODE = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def _as_packaged(template: dict[str, object]) -> None:
    """Local code paths become S3 URIs, as `sam package` would leave them."""
    resources = template.get("Resources", {})
    assert isinstance(resources, dict)
    for resource in resources.values():
        key = _LOCAL_CODE.get(resource.get("Type"))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str):
            properties[key] = "s3://packaged/" + properties[key].strip("/")


def main(argv: list[str]) -> int:
    template = yaml_parse(Path(argv[1]).read_text("utf-8"))
    _as_packaged(template)
    parameters = dict(arg.split("=", 1) for arg in argv[2:])
    output = transform(template, parameters, _NoManagedPolicies())
    json.dump(output, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
