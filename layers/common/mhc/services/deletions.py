"""Deletions: the one record of what the owner deleted (migration 0011, append-only).

A use case that deletes a row records it here first, in the same transaction, with the row as
it was: nothing the owner removes is lost without a trace, and deleting twice finds the first
record instead of doing anything (each row is recorded once per kind and key).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.deletions import Deletion
from mhc.store import deletions as store

#: Who deleted it, as recorded: the API is the owner's (one token, one person).
BY_OWNER_API = "owner (API)"


def record(
    conn: Conn,
    *,
    kind: str,
    row_key: str | int,
    deleted_row: Mapping[str, Any],
    deleted_by: str,
    deleted_at: datetime,
) -> Deletion:
    """Record a row about to be deleted (step: the caller deletes it in the same transaction)."""
    return store.insert(
        conn,
        kind=kind,
        row_key=str(row_key),
        deleted_row=deleted_row,
        deleted_by=deleted_by,
        deleted_at=deleted_at,
    )


def find(conn: Conn, kind: str, row_key: str | int) -> Deletion | None:
    """The record of a row already deleted, or None."""
    return store.find(conn, kind, str(row_key))
