"""SQL for the owner's stream sessions and their statistics."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.models import SessionSource, StreamSession

COLUMNS = "s.id, s.started_at, s.ended_at, s.source, s.created_at, s.updated_at"


def _one(conn: Conn, query: str, params: tuple[object, ...]) -> StreamSession | None:
    row = conn.execute(query, params).fetchone()
    return None if row is None else StreamSession.model_validate(row)


def lock_sessions(conn: Conn) -> None:
    """Serialize session changes (start/end/rebuild) for the rest of the transaction."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('mhc.stream_sessions'))")


def get(conn: Conn, session_id: int) -> StreamSession | None:
    return _one(conn, f"SELECT {COLUMNS} FROM stream_sessions s WHERE s.id = %s", (session_id,))


def current(conn: Conn) -> StreamSession | None:
    return _one(conn, f"SELECT {COLUMNS} FROM stream_sessions s WHERE s.ended_at IS NULL", ())


def latest(conn: Conn) -> StreamSession | None:
    return _one(
        conn,
        f"SELECT {COLUMNS} FROM stream_sessions s ORDER BY s.started_at DESC, s.id DESC LIMIT 1",
        (),
    )


def insert(conn: Conn, started_at: datetime, source: SessionSource) -> StreamSession:
    session = _one(
        conn,
        f"""INSERT INTO stream_sessions AS s (started_at, source) VALUES (%s, %s)
            RETURNING {COLUMNS}""",
        (started_at, source.value),
    )
    assert session is not None
    return session


def reopen(conn: Conn, session_id: int) -> StreamSession:
    session = _one(
        conn,
        f"""UPDATE stream_sessions AS s SET ended_at = NULL, updated_at = now() WHERE s.id = %s
            RETURNING {COLUMNS}""",
        (session_id,),
    )
    assert session is not None
    return session


def close(conn: Conn, session_id: int, ended_at: datetime) -> StreamSession:
    session = _one(
        conn,
        f"""UPDATE stream_sessions AS s SET ended_at = greatest(%s, s.started_at), updated_at = now()
            WHERE s.id = %s RETURNING {COLUMNS}""",
        (ended_at, session_id),
    )
    assert session is not None
    return session


def list_recent(conn: Conn, *, limit: int, before: datetime | None = None) -> list[StreamSession]:
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM stream_sessions s
            WHERE %(before)s::timestamptz IS NULL OR s.started_at < %(before)s
            ORDER BY s.started_at DESC, s.id DESC LIMIT %(limit)s""",
        {"before": before, "limit": limit},
    ).fetchall()
    return [StreamSession.model_validate(row) for row in rows]


def replace_event_sessions(conn: Conn, sessions: list[tuple[datetime, datetime | None]]) -> int:
    """Swap every session that came from broadcast events for `sessions` (manual ones stay)."""
    conn.execute("DELETE FROM stream_sessions WHERE source = 'cb_events'")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO stream_sessions (started_at, ended_at, source) VALUES (%s, %s, 'cb_events')",
            sessions,
        )
    return len(sessions)


def delete(conn: Conn, session_id: int) -> bool:
    cur = conn.execute("DELETE FROM stream_sessions WHERE id = %s", (session_id,))
    return cur.rowcount == 1
