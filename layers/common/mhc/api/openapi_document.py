"""The API's OpenAPI document, as the text committed in frontend/src/api/openapi.json.

Built from `create_app()` with default settings and no database, so no server is needed and the
developer's .env changes nothing. `make api-types` writes it and generates the UI's types from
it; a test fails when the committed copy differs from what the current API produces.

    python -m mhc.api.openapi_document frontend/src/api/openapi.json [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mhc.db.connection import TransactionSource


def _no_database() -> TransactionSource:
    raise RuntimeError("the OpenAPI document is built without a database")


def render() -> str:
    from mhc.api.app import create_app
    from mhc.config import Settings

    defaults = Settings.model_construct()  # defaults only: no environment, no .env
    app = create_app(_no_database, settings=lambda: defaults)
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if `path` is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.path.read_text("utf-8") if args.path.is_file() else ""
        if current != text:
            print(f"{args.path} is out of date: run `make api-types`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
