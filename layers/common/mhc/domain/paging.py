"""Opaque keyset cursors: the (occurred_at, id) of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from mhc.domain.errors import InvalidInput

MAX_PAGE_SIZE = 200


def encode_cursor(occurred_at: datetime, row_id: int) -> str:
    raw = json.dumps([occurred_at.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        occurred, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(occurred)
        if not isinstance(row_id, int) or moment.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("cursor", "not a cursor returned by this API") from None
    return moment, row_id


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    return limit
