"""Load the sample payloads in this folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))
