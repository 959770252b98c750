"""Keyset paging: opaque cursors (the (occurred_at, id) of a page's last row) and pages."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Protocol, TypeVar

from mhc.domain.errors import InvalidInput
from mhc.domain.models import Page

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
