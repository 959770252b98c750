"""Keyset paging: opaque cursors (the (occurred_at, id) of a page's last row) and pages."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Protocol, TypeVar

from mhc.domain.date_range import is_sane
from mhc.domain.errors import InvalidInput
from mhc.domain.models import Page

MAX_PAGE_SIZE = 200
#: Row ids are PostgreSQL bigint (int64).
MAX_ROW_ID = 2**63 - 1


def encode_cursor(occurred_at: datetime, row_id: int) -> str:
    raw = json.dumps([occurred_at.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _parts(cursor: str) -> tuple[Any, Any]:
    padded = cursor + "=" * (-len(cursor) % 4)
    parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(parts, list) or len(parts) != 2:
        raise ValueError
    return parts[0], parts[1]


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (occurred_at, id) a cursor carries. A cursor is checked as strictly as any input:
    clients can forge one, and a bool id (`true` passes `isinstance(int)`) or a time beyond
    what Python reads back once reached SQL and answered 500."""
    try:
        occurred, row_id = _parts(cursor)
        if not isinstance(occurred, str) or type(row_id) is not int:
            raise ValueError
        moment = datetime.fromisoformat(occurred)
        if not is_sane(moment) or not 1 <= row_id <= MAX_ROW_ID:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise InvalidInput("cursor", "not a cursor returned by this API") from None
    return moment, row_id


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    return limit


class Keyed(Protocol):
    """A row a keyset page can end on."""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def id(self) -> int: ...


K = TypeVar("K", bound=Keyed)


def page_of(page: type[Page[K]], rows: list[K], limit: int) -> Page[K]:
    """The first `limit` of `limit + 1` fetched rows, with a cursor when more exist.

    `page` is the concrete model (e.g. `Page[Interaction]`) the API declares."""
    items = rows[:limit]
    more = len(rows) > limit
    cursor = encode_cursor(items[-1].occurred_at, items[-1].id) if more and items else None
    return page(items=items, next_cursor=cursor)
