"""Interactions: idempotent append, filtered keyset lists and full-text search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.errors import InvalidInput
from mhc.domain.models import Interaction, InteractionType, NewInteraction, Page
from mhc.domain.paging import check_limit, decode_cursor, encode_cursor
from mhc.store import interactions as store
from mhc.store.interactions import InteractionFilter

MAX_QUERY_LENGTH = 200


def record(conn: Conn, item: NewInteraction) -> tuple[Interaction, bool]:
    """Append `item` unless (source, external_id) is stored; return the row and whether it is new."""
    created = store.append(conn, item)
    if created is not None:
        return created, True
    existing = store.get_by_external_id(conn, item.source, item.external_id)
    assert existing is not None
    return existing, False


def _page(rows: list[Interaction], limit: int) -> Page[Interaction]:
    items = rows[:limit]
    more = len(rows) > limit
    cursor = encode_cursor(items[-1].occurred_at, items[-1].id) if more and items else None
    return Page[Interaction](items=items, next_cursor=cursor)


def list_page(
    db: TransactionSource,
    flt: InteractionFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Interaction]:
    check_limit(limit)
    if flt.since and flt.until and flt.since > flt.until:
        raise InvalidInput("since", "must not be after until")
    after = decode_cursor(cursor) if cursor else None
    with db.transaction() as conn:
        return _page(store.list_page(conn, flt, limit=limit, after=after), limit)


def latest_for_person(
    conn: Conn, person_id: int, limit: int = 20, types: Sequence[InteractionType] = ()
) -> list[Interaction]:
    """A person's newest interactions (of `types`, when given), newest first."""
    flt = InteractionFilter(person_id=person_id, types=tuple(types), include_excluded=True)
    return store.list_page(conn, flt, limit=limit)[:limit]


def search(
    db: TransactionSource,
    query: str,
    *,
    types: Sequence[InteractionType] = (),
    limit: int = 50,
    cursor: str | None = None,
    include_excluded: bool = False,
) -> Page[Interaction]:
    text = query.strip()
    if not text:
        raise InvalidInput("q", "must not be empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput("q", f"must be at most {MAX_QUERY_LENGTH} characters")
    check_limit(limit)
    after: tuple[datetime, int] | None = decode_cursor(cursor) if cursor else None
    with db.transaction() as conn:
        rows = store.search(
            conn, text, types=types, limit=limit, after=after, include_excluded=include_excluded
        )
    return _page(rows, limit)
