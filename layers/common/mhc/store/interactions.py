"""SQL for interactions (append-only): idempotent append, filtered keyset lists, full-text search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import Interaction, InteractionSource, InteractionType, NewInteraction
from mhc.domain.twins import TwinCandidate
from mhc.store.copy_rows import (
    copy_all_new,
    copy_straight,
    insert_skipping_stored,
    json_field,
    text_field,
    time_field,
)

#: A tip whose tipper asked to stay anonymous: never shown or counted under their name.
ANONYMOUS = "mhc_is_anonymous_tip(i.type, i.metadata)"
COLUMNS = (
    f"i.id, CASE WHEN {ANONYMOUS} THEN NULL ELSE p.id END AS person_id, "
    f"CASE WHEN {ANONYMOUS} THEN NULL ELSE p.username END AS person_username, "
    f"{ANONYMOUS} AS is_anonymous, i.type, i.source, i.external_id, "
    "i.occurred_at, i.broadcaster, i.content, i.metadata, i.created_at"
)
#: The person a row counts as: its own, or the survivor it was merged into.
PERSON = (
    "JOIN persons r ON r.id = i.person_id JOIN persons p ON p.id = coalesce(r.merged_into, r.id)"
)
#: Every read of interactions names the person too (the survivor's current name).
FROM = f"interactions i {PERSON}"
_FTS = "to_tsvector('simple', coalesce(i.content, ''))"


def append(conn: Conn, item: NewInteraction) -> Interaction | None:
    """Append one interaction; None when (source, external_id) is already stored."""
    row = conn.execute(
        f"""WITH i AS (
                INSERT INTO interactions (person_id, type, source, external_id, occurred_at,
                                          broadcaster, content, metadata)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (source, external_id) DO NOTHING
                RETURNING *)
            SELECT {COLUMNS} FROM i {PERSON}""",
        (
            item.person_id,
            item.type.value,
            item.source.value,
            item.external_id,
            item.occurred_at,
            item.broadcaster,
            item.content,
            Jsonb(item.metadata),
        ),
    ).fetchone()
    return None if row is None else Interaction.model_validate(row)


def get_by_external_id(
    conn: Conn, source: InteractionSource, external_id: str
) -> Interaction | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM {FROM} WHERE i.source = %s AND i.external_id = %s",
        (source.value, external_id),
    ).fetchone()
    return None if row is None else Interaction.model_validate(row)


_COPY_COLUMNS = "person_id, type, source, external_id, occurred_at, broadcaster, content, metadata"


def copy_tail(
    type_: str,
    source: str,
    external_id: str,
    occurred_at: datetime,
    broadcaster: str | None,
    content: str | None,
    metadata: Any,
) -> str:
    """One row as COPY text, all but its leading person id: ingest formats a page's rows before
    (and in another process than) the persons are resolved. `append_formatted` puts the ids in.
    """
    return (
        f"\t{type_}\t{source}\t{text_field(external_id)}\t{time_field(occurred_at)}"
        f"\t{text_field(broadcaster)}\t{text_field(content)}\t{json_field(metadata)}\n"
    )


def append_formatted(
    conn: Conn, person_ids: Sequence[int], tails: Sequence[str], *, skip_stored: bool = True
) -> int:
    """Bulk append rows expected to be new (derived from raw events inserted in this very
    transaction), each its person id and its `copy_tail`: COPY straight into the table, in
    order (ids follow the rows). Should any already exist (a replayed derivation, a re-import),
    fall back to a conflict-skipping insert; returns how many were new. With
    `skip_stored=False` a stored row raises AlreadyStored instead (no savepoint: the caller's
    transaction is lost, for a caller that retries it the careful way)."""
    if not tails:
        return 0
    text = "".join(
        [f"{person_id}{tail}" for person_id, tail in zip(person_ids, tails, strict=True)]
    )
    data = text.encode("utf-8")
    if not skip_stored:
        copy_straight(conn, "interactions", _COPY_COLUMNS, data)
        return len(tails)
    if copy_all_new(conn, "interactions", _COPY_COLUMNS, data):
        return len(tails)
    return len(_insert_skipping_stored(conn, data))


class InteractionRow(Protocol):
    """What a bulk append reads of a row: a `NewInteraction`, or a lighter tuple on a path
    that appends rows by the hundred thousand (building pydantic models cost more there than
    the database's work)."""

    @property
    def person_id(self) -> int: ...
    @property
    def type(self) -> InteractionType: ...
    @property
    def source(self) -> InteractionSource: ...
    @property
    def external_id(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def broadcaster(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...


def append_fresh(conn: Conn, items: Sequence[InteractionRow]) -> int:
    """`append_formatted` for whole rows (imports, tests)."""
    return append_formatted(
        conn,
        [item.person_id for item in items],
        [
            copy_tail(
                item.type.value,
                item.source.value,
                item.external_id,
                item.occurred_at,
                item.broadcaster,
                item.content,
                item.metadata,
            )
            for item in items
        ],
    )


def _insert_skipping_stored(conn: Conn, text: bytes) -> list[Any]:
    return insert_skipping_stored(
        conn,
        "interactions",
        _COPY_COLUMNS,
        text,
        conflict="source, external_id",
        returning="external_id",
    )


@dataclass(frozen=True)
class InteractionFilter:
    #: One person's rows: every row id of their group (`persons.group_ids`). A person's own
    #: lists never show an anonymous tip (it is not theirs to show).
    person_ids: tuple[int, ...] = ()
    types: tuple[InteractionType, ...] = ()
    sources: tuple[InteractionSource, ...] = ()
    broadcaster: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_excluded: bool = False


#: An imported copy of an interaction the live feed also delivered: shown and counted once,
#: as the live one (migration 0007).
NOT_A_TWIN = "NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)"


def _where(flt: InteractionFilter, params: dict[str, Any]) -> list[str]:
    clauses: list[str] = [NOT_A_TWIN]
    if flt.person_ids:
        clauses.append(f"i.person_id = ANY(%(person_ids)s) AND NOT {ANONYMOUS}")
        params["person_ids"] = list(flt.person_ids)
    if flt.types:
        clauses.append("i.type = ANY(%(types)s)")
        params["types"] = [t.value for t in flt.types]
    if flt.sources:
        clauses.append("i.source = ANY(%(sources)s)")
        params["sources"] = [s.value for s in flt.sources]
    if flt.broadcaster is not None:
        clauses.append("i.broadcaster = %(broadcaster)s")
        params["broadcaster"] = flt.broadcaster
    if flt.since is not None:
        clauses.append("i.occurred_at >= %(since)s")
        params["since"] = flt.since
    if flt.until is not None:
        clauses.append("i.occurred_at < %(until)s")
        params["until"] = flt.until
    if not flt.include_excluded:
        clauses.append("NOT p.is_excluded")
    return clauses


def list_page(
    conn: Conn,
    flt: InteractionFilter,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[Interaction]:
    """Newest first; `after` is the (occurred_at, id) of the previous page's last row.

    Fetches `limit + 1` rows so the caller can tell whether another page exists.
    """
    params: dict[str, Any] = {"limit": limit + 1}
    clauses = _where(flt, params)
    if after is not None:
        clauses.append("(i.occurred_at, i.id) < (%(after_t)s, %(after_id)s)")
        params["after_t"], params["after_id"] = after
    where = " AND ".join(clauses) or "true"
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM {FROM} WHERE {where}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %(limit)s""",
        params,
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def search(
    conn: Conn,
    query: str,
    *,
    types: Sequence[InteractionType] = (),
    limit: int,
    after: tuple[datetime, int] | None = None,
    include_excluded: bool = False,
) -> list[Interaction]:
    """Full-text search over content (web-search syntax: words, "phrases", -not, or)."""
    params: dict[str, Any] = {"q": query, "limit": limit + 1}
    clauses = _where(
        InteractionFilter(types=tuple(types), include_excluded=include_excluded), params
    )
    clauses.append(f"{_FTS} @@ websearch_to_tsquery('simple', %(q)s)")
    if after is not None:
        clauses.append("(i.occurred_at, i.id) < (%(after_t)s, %(after_id)s)")
        params["after_t"], params["after_id"] = after
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM {FROM} WHERE {" AND ".join(clauses)}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %(limit)s""",
        params,
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def last_occurred_at(conn: Conn, groups: Mapping[int, Sequence[int]]) -> dict[int, datetime]:
    """Time of each person's latest interaction (`groups`: person -> every row id of theirs);
    persons with none are absent."""
    pairs = [(person, row) for person, rows in groups.items() for row in rows]
    rows = conn.execute(
        """SELECT v.person, max(c.last_occurred_at) AS occurred_at
           FROM unnest(%s::bigint[], %s::bigint[]) AS v(person, row_id)
           JOIN person_interaction_counts c ON c.person_id = v.row_id
           GROUP BY v.person""",
        ([p for p, _ in pairs], [r for _, r in pairs]),
    ).fetchall()
    return {int(row["person"]): row["occurred_at"] for row in rows}


def count_by_type(conn: Conn, person_ids: Sequence[int]) -> dict[str, int]:
    """A person's interactions per type over their rows (kept by a trigger: no scan of their
    history; anonymous tips are not counted under a name)."""
    rows = conn.execute(
        """SELECT type, sum(count) AS count FROM person_interaction_counts
           WHERE person_id = ANY(%s) GROUP BY type""",
        (list(person_ids),),
    ).fetchall()
    return {str(row["type"]): int(row["count"]) for row in rows}


def add_mentions(
    conn: Conn, interaction_id: int, mentions: Sequence[tuple[int, int | None]]
) -> int:
    """Link a paste to the persons it names ((person_id, line) pairs); links already there are
    kept. Returns how many were new."""
    if not mentions:
        return 0
    cur = conn.execute(
        """INSERT INTO paste_mentions (interaction_id, person_id, line)
           SELECT %s, p, l FROM unnest(%s::bigint[], %s::int[]) AS v(p, l)
           ON CONFLICT DO NOTHING""",
        (interaction_id, [m[0] for m in mentions], [m[1] for m in mentions]),
    )
    return cur.rowcount


def mentioning(conn: Conn, person_ids: Sequence[int], *, limit: int) -> list[Interaction]:
    """The newest pastes that name any of a person's rows (their own included)."""
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM {FROM}
            WHERE i.id IN (SELECT m.interaction_id FROM paste_mentions m
                           WHERE m.person_id = ANY(%s))
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s""",
        (list(person_ids), limit),
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


# -- twins: an imported copy of a live-captured interaction (migration 0007) -------------------
def live_twin_candidates(
    conn: Conn, rooms: Sequence[str], since: datetime, until: datetime
) -> list[TwinCandidate]:
    """Live chat lines and tips in `rooms` in [since, until] that no imported copy is linked to
    yet, each with the person it counts as (a merged row as its survivor)."""
    rows = conn.execute(
        """SELECT i.id, coalesce(r.merged_into, r.id) AS person, i.broadcaster AS room,
                  i.content AS text,
                  CASE WHEN i.type = 'TIP_EVENT' THEN (i.metadata->>'tokens')::bigint END AS tokens,
                  i.occurred_at AS at
           FROM interactions i JOIN persons r ON r.id = i.person_id
           WHERE i.source = 'cb_events' AND i.type IN ('CHAT_MESSAGE', 'TIP_EVENT')
             AND i.broadcaster = ANY(%s) AND i.occurred_at BETWEEN %s AND %s
             AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.twin_of = i.id)""",
        (list(rooms), since, until),
    ).fetchall()
    return [TwinCandidate(**row) for row in rows if row["text"] is not None or row["tokens"]]


def unlinked_by_external_id(
    conn: Conn, source: InteractionSource, external_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """external id -> (interaction id, the person it counts as) of stored rows not yet linked
    as a twin."""
    rows = conn.execute(
        f"""SELECT i.external_id, i.id, coalesce(r.merged_into, r.id) AS person
            FROM interactions i JOIN persons r ON r.id = i.person_id
            WHERE i.source = %s AND i.external_id = ANY(%s) AND {NOT_A_TWIN}""",
        (source.value, list(external_ids)),
    ).fetchall()
    return {str(row["external_id"]): (int(row["id"]), int(row["person"])) for row in rows}


def link_twins(conn: Conn, pairs: Sequence[tuple[int, int, str]]) -> int:
    """Link each (copy, live, reason); a copy already linked stays as it is. How many new."""
    if not pairs:
        return 0
    cur = conn.execute(
        """INSERT INTO interaction_twins (interaction_id, twin_of, reason)
           SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[])
           ON CONFLICT (interaction_id) DO NOTHING""",
        ([p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]),
    )
    return cur.rowcount
