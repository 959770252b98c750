"""Interactions: idempotent append (one and a page at a time), one person's history and a
room's history (filtered, keyset-paged), full-text search, and the owner's-room aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.errors import InvalidInput
from mhc.domain.models import (
    Interaction,
    InteractionSource,
    InteractionType,
    NewInteraction,
    Page,
)
from mhc.domain.paging import check_limit, decode_cursor, page_of
from mhc.domain.twins import ImportedCopy, TwinCandidate, match_twins, span
from mhc.services import persons
from mhc.store import interactions as store
from mhc.store import owner_room
from mhc.store.interactions import InteractionFilter
from mhc.store.interactions import InteractionRow as InteractionRow  # what append_fresh takes

MAX_QUERY_LENGTH = 200


def record(conn: Conn, item: NewInteraction) -> tuple[Interaction, bool]:
    """Append `item` unless (source, external_id) is stored; return the row and whether it is new."""
    created = store.append(conn, item)
    if created is not None:
        return created, True
    existing = store.get_by_external_id(conn, item.source, item.external_id)
    assert existing is not None
    return existing, False


def append_fresh(conn: Conn, items: Sequence[InteractionRow]) -> int:
    """Append a page of derived rows (ingest, imports); ones already stored are skipped. How
    many were new."""
    return store.append_fresh(conn, items)


#: One row as COPY text without its person id (pure: ingest formats rows in a second process).
copy_tail = store.copy_tail


def append_formatted(
    conn: Conn, person_ids: Sequence[int], tails: Sequence[str], *, skip_stored: bool = True
) -> int:
    """Append a page of rows pre-formatted by `copy_tail` (ingest's hot path), in order; ones
    already stored are skipped (`skip_stored=False`: AlreadyStored, and the transaction is
    lost). How many new."""
    return store.append_formatted(conn, person_ids, tails, skip_stored=skip_stored)


def link_twins(conn: Conn, source: InteractionSource, copies: Sequence[ImportedCopy]) -> int:
    """Link each stored, not yet linked row of `source` among `copies` that is the copy of a
    live-captured interaction (`mhc.domain.twins`); how many were linked. The copy is then left
    out of every list and count (decision 49). Call it with the rows' own transaction."""
    window = span(copies)
    if window is None:
        return 0
    rooms = sorted({copy.room for copy in copies})
    live = store.live_twin_candidates(conn, rooms, *window)
    if not live:
        return 0
    stored = store.unlinked_by_external_id(conn, source, [c.external_id for c in copies])
    candidates = []
    for copy in copies:
        found = stored.get(copy.external_id)
        if found is not None:
            row_id, person = found
            candidates.append(
                TwinCandidate(row_id, person, copy.room, copy.text, copy.tokens, copy.at)
            )
    return store.link_twins(conn, match_twins(candidates, live))


def latest_for_person(
    conn: Conn, person_id: int, limit: int = 20, types: Sequence[InteractionType] = ()
) -> list[Interaction]:
    """A person's newest interactions (of `types`, when given), newest first (every row of
    theirs, merged ones included)."""
    flt = InteractionFilter(
        person_ids=tuple(persons.group_ids(conn, person_id)),
        types=tuple(types),
        include_excluded=True,
    )
    return store.list_page(conn, flt, limit=limit)[:limit]


def _check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise InvalidInput("since", "must not be after until")


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    return decode_cursor(cursor) if cursor else None


def of_person(
    db: TransactionSource,
    person_id: int,
    *,
    types: tuple[InteractionType, ...] = (),
    sources: tuple[InteractionSource, ...] = (),
    broadcaster: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Interaction]:
    """One person's interactions, newest first, filtered (`broadcaster`: whose room); NotFound
    for an unknown person."""
    check_limit(limit)
    _check_range(since, until)
    after = _after(cursor)
    room = None if broadcaster is None else persons.valid_username(broadcaster, "broadcaster")
    with db.transaction() as conn:
        person = persons.get(conn, person_id)
        flt = InteractionFilter(
            person_ids=tuple(persons.group_ids(conn, person.id)),
            types=types,
            sources=sources,
            broadcaster=room,
            since=since,
            until=until,
            include_excluded=True,
        )
        rows = store.list_page(conn, flt, limit=limit, after=after)
    return page_of(Page[Interaction], rows, limit)


def in_room(
    conn: Conn,
    broadcaster: str,
    *,
    since: datetime,
    until: datetime,
    limit: int = 50,
    after: tuple[datetime, int] | None = None,
) -> Page[Interaction]:
    """What happened in `broadcaster`'s room in [since, until), newest first (excluded persons
    left out); `after` is a decoded cursor."""
    check_limit(limit)
    flt = InteractionFilter(broadcaster=broadcaster, since=since, until=until)
    rows = store.list_page(conn, flt, limit=limit, after=after)
    return page_of(Page[Interaction], rows, limit)


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
    after = _after(cursor)
    with db.transaction() as conn:
        rows = store.search(
            conn, text, types=types, limit=limit, after=after, include_excluded=include_excluded
        )
    return page_of(Page[Interaction], rows, limit)


def counts_by_type(conn: Conn, person_id: int) -> dict[str, int]:
    return store.count_by_type(conn, persons.group_ids(conn, person_id))


def last_occurred_at(conn: Conn, person_ids: Sequence[int]) -> dict[int, datetime]:
    """Each person's newest interaction time (persons without one are left out)."""
    return dict(store.last_occurred_at(conn, persons.groups(conn, list(person_ids))))


# -- the owner's room ---------------------------------------------------------------------
def room_counts(conn: Conn, owner: str, since: datetime, until: datetime) -> dict[str, int]:
    """Interactions, tips, tokens and distinct visitors in the owner's room in [since, until)."""
    return owner_room.activity_between(conn, owner, since, until)


def recent_tips(conn: Conn, owner: str, *, limit: int) -> list[Interaction]:
    return owner_room.recent_tips(conn, owner, limit=limit)


def person_in_room(conn: Conn, owner: str, person_id: int) -> dict[str, Any]:
    """What one person did in the owner's room (counts, first and last time)."""
    return owner_room.person_activity(conn, owner, persons.group_ids(conn, person_id))


def recent_in_room(conn: Conn, owner: str, person_id: int, *, limit: int) -> list[Interaction]:
    return owner_room.recent_of_person(conn, owner, persons.group_ids(conn, person_id), limit=limit)


# -- pastes ------------------------------------------------------------------------------
def link_paste(conn: Conn, paste_id: int, mentions: Sequence[tuple[int, int | None]]) -> int:
    """Link a recorded paste to the persons it names ((person_id, line) pairs)."""
    return store.add_mentions(conn, paste_id, mentions)


def pastes_naming(conn: Conn, person_id: int, *, limit: int = 10) -> list[Interaction]:
    """The newest pastes that name the person (one paste naming several people is recorded
    once and found from each of them)."""
    return store.mentioning(conn, persons.group_ids(conn, person_id), limit=limit)
