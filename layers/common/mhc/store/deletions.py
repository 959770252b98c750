"""SQL for deletions (append-only): the record of every row the owner deleted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.deletions import Deletion

COLUMNS = "d.id, d.kind, d.row_key, d.deleted_row, d.deleted_by, d.deleted_at"


def insert(
    conn: Conn,
    *,
    kind: str,
    row_key: str,
    deleted_row: Mapping[str, Any],
    deleted_by: str,
    deleted_at: datetime,
) -> Deletion:
    row = conn.execute(
        f"""INSERT INTO deletions AS d (kind, row_key, deleted_row, deleted_by, deleted_at)
            VALUES (%s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (kind, row_key, Jsonb(dict(deleted_row)), deleted_by, deleted_at),
    ).fetchone()
    return Deletion.model_validate(row)


def find(conn: Conn, kind: str, row_key: str) -> Deletion | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM deletions d WHERE d.kind = %s AND d.row_key = %s",
        (kind, row_key),
    ).fetchone()
    return None if row is None else Deletion.model_validate(row)
