"""SQL for the owner's token-history export: imports, raw rows (append-only), links between an
imported payment and its live twin, and the payments read to match, audit and group shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import InteractionSource, InteractionType
from mhc.store.copy_rows import (
    copy_all_new,
    insert_skipping_stored,
    json_field,
    rows_text,
    time_field,
)
from mhc.store.interactions import NOT_A_TWIN

if TYPE_CHECKING:  # the ingest path reads this module's SQL fragments, never the parser
    from mhc.domain.token_history import TokenRow

#: Why an imported payment is linked (`interaction_twins.reason`).
TWIN_REASON = "token_history"
#: Interaction types that pay the broadcaster (their tokens are in `metadata.tokens`).
PAYMENT_TYPES = "('TIP_EVENT', 'MEDIA_PURCHASE', 'PRIVATE_SHOW', 'SPY_SHOW', 'OTHER_PAYMENT')"
#: What the Events API also delivers, so an export row can be its twin.
LINKABLE_TYPES = "('TIP_EVENT', 'MEDIA_PURCHASE')"
_IMPORTED = InteractionSource.TOKEN_HISTORY.value
_LIVE = InteractionSource.CB_EVENTS.value


def lock(conn: Conn) -> None:
    """One import at a time (two would race for the same live payments) until commit."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('mhc.token_history'))")


def next_import_id(conn: Conn) -> int:
    row = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('token_history_imports', 'id')) AS id"
    ).fetchone()
    assert row is not None
    return int(row["id"])


_ROW_COLUMNS = "row_id, import_id, line, occurred_at, raw"


def copy_text(import_id: int, rows: Sequence[TokenRow]) -> bytes:
    """The rows as COPY text for `insert_new` (pure: the import formats a batch in its second
    process while the batch before is stored)."""
    return rows_text(
        (
            row.row_id,
            str(import_id),
            str(row.line),
            time_field(row.occurred_at),
            json_field(row.raw),
        )
        for row in rows
    )


def insert_new(conn: Conn, text: bytes) -> set[str] | None:
    """Store the rows (`copy_text`) not stored yet: None when all of them were new (the usual
    first import), else the ids of the ones that were."""
    if copy_all_new(conn, "token_history_rows", _ROW_COLUMNS, text):
        return None
    return {
        str(row_id)
        for row_id in insert_skipping_stored(
            conn, "token_history_rows", _ROW_COLUMNS, text, conflict="row_id", returning="row_id"
        )
    }


def stored_times(conn: Conn, row_ids: Sequence[str]) -> dict[str, datetime]:
    rows = conn.execute(
        "SELECT row_id, occurred_at FROM token_history_rows WHERE row_id = ANY(%s)",
        (list(row_ids),),
    ).fetchall()
    return {str(row["row_id"]): row["occurred_at"] for row in rows}


@dataclass(frozen=True)
class ImportRecord:
    id: int
    imported_at: datetime
    file_name: str | None
    file_sha256: str
    timezone: str
    lines: int
    good_rows: int
    new_rows: int
    linked: int
    times_differ: int
    problems: list[dict[str, Any]]
    problem_count: int
    first_at: datetime | None
    last_at: datetime | None


_IMPORT_COLUMNS = (
    "id, imported_at, file_name, file_sha256, timezone, lines, good_rows, new_rows, linked, "
    "times_differ, problems, problem_count, first_at, last_at"
)


def record_import(conn: Conn, record: ImportRecord) -> None:
    conn.execute(
        f"""INSERT INTO token_history_imports ({_IMPORT_COLUMNS})
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            record.id,
            record.imported_at,
            record.file_name,
            record.file_sha256,
            record.timezone,
            record.lines,
            record.good_rows,
            record.new_rows,
            record.linked,
            record.times_differ,
            Jsonb(record.problems),
            record.problem_count,
            record.first_at,
            record.last_at,
        ),
    )


def imports(conn: Conn, *, limit: int) -> list[ImportRecord]:
    rows = conn.execute(
        f"""SELECT {_IMPORT_COLUMNS} FROM token_history_imports
            ORDER BY imported_at DESC, id DESC LIMIT %s""",
        (limit,),
    ).fetchall()
    return [ImportRecord(**row) for row in rows]


# -- payments ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Payment:
    """A payment in the owner's room: its interaction, who (the survivor of the payer's row,
    so a rename or merge never hides a twin), kind, tokens and time."""

    interaction_id: int
    external_id: str
    who: int
    #: The survivor's current name.
    username: str
    type: InteractionType
    tokens: int
    at: datetime


_PAYMENT = """SELECT i.id AS interaction_id, i.external_id, p.id AS who, p.username, i.type,
                     mhc_payment_tokens(i.metadata) AS tokens, i.occurred_at AS at
              FROM interactions i JOIN persons r ON r.id = i.person_id
              JOIN persons p ON p.id = coalesce(r.merged_into, r.id)"""


def _payments(conn: Conn, query: str, params: dict[str, Any]) -> list[Payment]:
    return [
        Payment(
            interaction_id=int(row["interaction_id"]),
            external_id=str(row["external_id"]),
            who=int(row["who"]),
            username=str(row["username"]),
            type=InteractionType(row["type"]),
            tokens=int(row["tokens"]),
            at=row["at"],
        )
        for row in conn.execute(query, params).fetchall()
    ]


def unlinked_payments(
    conn: Conn, owner: str, *, since: datetime, until: datetime, window: timedelta
) -> tuple[list[Payment], list[Payment]]:
    """(imported, live) payments of the kinds both sides see, in [since, until], not linked yet.
    Only the imported ones that have a live one of the same person (after renames and merges),
    kind and tokens at most `window` apart are read: the others can be no one's twin (on a
    first import of a busy room, nine in ten)."""
    params = {"owner": owner, "since": since, "until": until, "window": window}
    span = f"""i.broadcaster = %(owner)s AND i.type IN {LINKABLE_TYPES}
               AND i.occurred_at BETWEEN %(since)s AND %(until)s"""
    live_rows = f"""{_PAYMENT} WHERE {span} AND i.source = '{_LIVE}'
                    AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.twin_of = i.id)"""
    live = _payments(conn, live_rows, params)
    if not live:
        return [], []
    imported = _payments(
        conn,
        f"""WITH live AS MATERIALIZED ({live_rows})
            {_PAYMENT} WHERE {span} AND i.source = '{_IMPORTED}' AND {NOT_A_TWIN}
              AND EXISTS (SELECT 1 FROM live l
                          WHERE l.who = p.id AND l.type = i.type
                            AND l.tokens = mhc_payment_tokens(i.metadata)
                            AND l.at BETWEEN i.occurred_at - %(window)s
                                         AND i.occurred_at + %(window)s)""",
        params,
    )
    return imported, live


def insert_links(conn: Conn, pairs: Sequence[tuple[int, int]]) -> int:
    """Link (imported interaction, live interaction) pairs as twins; an imported row already
    linked is skipped. How many were new."""
    if not pairs:
        return 0
    return conn.execute(
        """INSERT INTO interaction_twins (interaction_id, twin_of, reason)
           SELECT v.imported, v.live, %s
           FROM unnest(%s::bigint[], %s::bigint[]) AS v(imported, live)
           ON CONFLICT DO NOTHING""",
        (TWIN_REASON, [p[0] for p in pairs], [p[1] for p in pairs]),
    ).rowcount


def covered_until(conn: Conn) -> datetime | None:
    """The latest time any imported export covers (None: nothing imported)."""
    row = conn.execute("SELECT max(last_at) AS at FROM token_history_imports").fetchone()
    return None if row is None else row["at"]


def tips(conn: Conn, owner: str, *, since: datetime, until: datetime) -> tuple[list[Payment], ...]:
    """(exported, live) tips in the owner's room in [since, until], linked or not (the audit
    matches them itself)."""
    params = {"owner": owner, "since": since, "until": until}
    window = """i.broadcaster = %(owner)s AND i.type = 'TIP_EVENT'
                AND i.occurred_at BETWEEN %(since)s AND %(until)s"""
    exported = _payments(conn, f"{_PAYMENT} WHERE {window} AND i.source = '{_IMPORTED}'", params)
    live = _payments(conn, f"{_PAYMENT} WHERE {window} AND i.source = '{_LIVE}'", params)
    return exported, live


def exported_span(conn: Conn) -> tuple[datetime | None, datetime | None]:
    """What the imported exports cover: the first and last time of any imported row."""
    row = conn.execute(
        "SELECT min(first_at) AS first, max(last_at) AS last FROM token_history_imports"
    ).fetchone()
    assert row is not None
    return row["first"], row["last"]


def show_rows(
    conn: Conn,
    owner: str,
    *,
    person_ids: Sequence[int] | None,
    since: datetime | None,
    limit: int,
) -> list[Payment]:
    """Private and spy show rows in the owner's room (of `person_ids` when given), newest
    first, at most `limit`."""
    clauses = ["i.broadcaster = %(owner)s", "i.type IN ('PRIVATE_SHOW', 'SPY_SHOW')"]
    params: dict[str, Any] = {"owner": owner, "limit": limit}
    if person_ids is not None:
        clauses.append("i.person_id = ANY(%(ids)s)")
        params["ids"] = list(person_ids)
    if since is not None:
        clauses.append("i.occurred_at >= %(since)s")
        params["since"] = since
    return _payments(
        conn,
        f"""{_PAYMENT} WHERE {" AND ".join(clauses)}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %(limit)s""",
        params,
    )
