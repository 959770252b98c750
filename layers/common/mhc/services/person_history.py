"""One person's interactions, filtered and keyset-paged (404 for an unknown person)."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import TransactionSource
from mhc.domain.errors import InvalidInput
from mhc.domain.models import Interaction, InteractionSource, InteractionType, Page
from mhc.domain.paging import check_limit, decode_cursor, encode_cursor
from mhc.services.persons import get as get_person
from mhc.store import interactions as store
from mhc.store.interactions import InteractionFilter


def page_of(rows: list[Interaction], limit: int) -> Page[Interaction]:
    """The first `limit` of `limit + 1` fetched rows, with a cursor when more exist."""
    items = rows[:limit]
    more = len(rows) > limit
    cursor = encode_cursor(items[-1].occurred_at, items[-1].id) if more and items else None
    return Page[Interaction](items=items, next_cursor=cursor)


def check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise InvalidInput("since", "must not be after until")


def interactions_of(
    db: TransactionSource,
    person_id: int,
    *,
    types: tuple[InteractionType, ...] = (),
    sources: tuple[InteractionSource, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Interaction]:
    check_limit(limit)
    check_range(since, until)
    after = decode_cursor(cursor) if cursor else None
    flt = InteractionFilter(
        person_id=person_id,
        types=types,
        sources=sources,
        since=since,
        until=until,
        include_excluded=True,
    )
    with db.transaction() as conn:
        get_person(conn, person_id)
        return page_of(store.list_page(conn, flt, limit=limit, after=after), limit)
