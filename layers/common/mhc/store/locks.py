"""Session-level advisory locks: "exactly one of these runs at a time" across processes."""

from __future__ import annotations

from mhc.db.connection import Conn

#: The events poller (one consumer per Events API token, ever).
POLLER_LOCK = 0x4D4843_4556  # "MHC" "EV"


def try_lock(conn: Conn, key: int) -> bool:
    """Take the lock for this connection's session; False at once when someone holds it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (key,)).fetchone()
    return bool(row and row["ok"])


def unlock(conn: Conn, key: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
