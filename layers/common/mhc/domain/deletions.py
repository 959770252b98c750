"""A deletion the owner made, as recorded: the row as it was, what it was, who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Deletion(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    #: The table the row was in (e.g. `stream_sessions`).
    kind: str
    #: The row's key, as text.
    row_key: str
    deleted_row: dict[str, Any]
    deleted_by: str
    deleted_at: datetime
