"""Bulk inserts through COPY: text-format rows built in one pass (the ingest hot loop), and the
two ways in: straight into the table, or through a staging table that skips stored rows.

psycopg's `Copy.write_row` adapts every field through Python dumpers, which cost more than the
database's own work at tens of thousands of rows per second. Here each row is formatted as
COPY text directly: NULL is `\\N`, and backslash, tab, newline and carriage return are escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from mhc.db.connection import Conn

# PostgreSQL text and jsonb cannot hold NUL: it becomes U+FFFD rather than failing the batch.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\ufffd"})
NULL = "\\N"
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


_SPECIAL = re.compile("[\\\\\t\n\r\x00]")


def text_field(value: str | None) -> str:
    if value is None:
        return NULL
    # Most values need no escaping: a C-speed search decides before the slower translate.
    return value.translate(_ESCAPES) if _SPECIAL.search(value) else value


def json_field(value: Any) -> str:
    """JSON as COPY text: json.dumps never emits raw control characters, only backslashes."""
    text = jsonb_text(_dumps(value))
    # json.dumps escapes every control character, so a backslash is all COPY text needs escaped.
    return text.replace("\\", "\\\\")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def jsonb_text(text: str) -> str:
    """JSON text as jsonb takes it: jsonb rejects an escaped NUL, which becomes U+FFFD (a typed
    backslash followed by "u0000" is kept)."""
    return _ESCAPED_NUL.sub(r"\1\\ufffd", text) if "\\u0000" in text else text


def time_field(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime in a timestamptz column")
    return value.isoformat()


def rows_text(rows: Iterable[Iterable[str]]) -> bytes:
    return "".join("\t".join(row) + "\n" for row in rows).encode("utf-8")


def copy_all_new(conn: Conn, table: str, columns: str, text: bytes) -> bool:
    """COPY rows straight into `table`, inside a savepoint. False, with nothing written, when
    one of them is already stored (then use `insert_skipping_stored`)."""
    try:
        with (
            conn.transaction(),
            conn.cursor() as cur,
            cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            copy.write(text)
    except psycopg.errors.UniqueViolation:
        return False
    return True


def insert_skipping_stored(
    conn: Conn, table: str, columns: str, text: bytes, *, conflict: str, returning: str
) -> list[Any]:
    """COPY into a staging table, then one INSERT ... ON CONFLICT (`conflict`) DO NOTHING;
    returns the `returning` value of each row that was new."""
    staging = f"{table}_staging"
    # ON COMMIT DELETE ROWS empties the table in place at commit: no catalog churn (as with
    # TRUNCATE), and no dead rows piling up (as with DELETE) in a temp table autovacuum never
    # visits. The DELETE below only clears an earlier batch of this same transaction.
    conn.execute(
        f"""CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS
            SELECT {columns} FROM {table} WITH NO DATA"""
    )
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {staging}")
        with cur.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            copy.write(text)
        rows = cur.execute(
            f"""INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}
                ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"""
        ).fetchall()
    return [row[returning] for row in rows]
