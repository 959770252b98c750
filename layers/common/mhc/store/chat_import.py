"""SQL for the Statbate Plus chat import: raw chat responses (append-only) and the targets
(where each chat's import stands: checkpoint, requests, the claim of the run walking it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.db.storable import storable_json
from mhc.domain.chat_import_runs import ImportTarget, TargetKind, WalkMode, Window

# -- raw responses -----------------------------------------------------------------------------


def insert_response(
    conn: Conn,
    *,
    digest: str,
    origin: str,
    url: str | None,
    fetched_at: datetime,
    text: str,
    messages: int,
    unmapped: int,
    problems: dict[str, int],
) -> tuple[int, bool]:
    """Store a response (its JSON `text` as read) unless one with the same digest is stored;
    (its id, whether it was new)."""
    row = conn.execute(
        """INSERT INTO chat_import_responses (digest, origin, url, fetched_at, body, messages,
                                               unmapped, problems)
           VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s)
           ON CONFLICT (digest) DO NOTHING RETURNING id""",
        (digest, origin, url, fetched_at, storable_json(text), messages, unmapped, Jsonb(problems)),
    ).fetchone()
    if row is not None:
        return int(row["id"]), True
    stored = conn.execute(
        "SELECT id FROM chat_import_responses WHERE digest = %s", (digest,)
    ).fetchone()
    assert stored is not None
    return int(stored["id"]), False


@dataclass(frozen=True)
class UnreadResponse:
    """A stored response with items (or a page) the field map could not read."""

    id: int
    origin: str
    url: str | None
    fetched_at: datetime
    messages: int
    unmapped: int
    problems: dict[str, int]
    body: Any


def unread_responses(conn: Conn, *, limit: int) -> list[UnreadResponse]:
    rows = conn.execute(
        """SELECT id, origin, url, fetched_at, messages, unmapped, problems, body
           FROM chat_import_responses
           WHERE unmapped > 0 OR problems <> '{}'::jsonb
           ORDER BY fetched_at DESC, id DESC LIMIT %s""",
        (limit,),
    ).fetchall()
    return [UnreadResponse(**row) for row in rows]


def response_totals(conn: Conn) -> dict[str, int]:
    """Responses stored, messages read in them and items the map could not read, all time."""
    row = conn.execute(
        """SELECT count(*) AS responses, coalesce(sum(messages), 0) AS messages,
                  coalesce(sum(unmapped), 0) AS unmapped
           FROM chat_import_responses"""
    ).fetchone()
    assert row is not None
    return {key: int(value) for key, value in row.items()}


# -- targets -----------------------------------------------------------------------------------
COLUMNS = (
    "t.id, t.kind, t.name, t.checkpoint, t.walk, t.since, t.until, t.pages_walked,"
    " t.completed_at, t.requested_at, t.claimed_at, t.last_run_at, t.last_status,"
    " t.last_counts, t.last_error, t.created_at, t.updated_at"
)


def _target(row: dict[str, Any] | None) -> ImportTarget | None:
    return None if row is None else ImportTarget.model_validate(row)


def ensure_target(conn: Conn, kind: TargetKind, name: str) -> ImportTarget:
    """The target row of `kind`/`name`, created when missing."""
    conn.execute(
        "INSERT INTO chat_import_targets (kind, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (kind.value, name),
    )
    found = get_target(conn, kind, name)
    assert found is not None
    return found


def get_target(conn: Conn, kind: TargetKind, name: str) -> ImportTarget | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM chat_import_targets t WHERE t.kind = %s AND t.name = %s",
        (kind.value, name),
    ).fetchone()
    return _target(row)


def request(conn: Conn, kind: TargetKind, name: str, now: datetime) -> ImportTarget:
    """Ask for an import of the target (an earlier request that is still open keeps its time)."""
    row = conn.execute(
        f"""INSERT INTO chat_import_targets AS t (kind, name, requested_at) VALUES (%s, %s, %s)
            ON CONFLICT (kind, name) DO UPDATE
                SET requested_at = coalesce(t.requested_at, EXCLUDED.requested_at),
                    updated_at = now()
            RETURNING {COLUMNS}""",
        (kind.value, name, now),
    ).fetchone()
    found = _target(row)
    assert found is not None
    return found


def pending(conn: Conn) -> list[ImportTarget]:
    """Targets asked for, then unfinished walks: oldest request first."""
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM chat_import_targets t
            WHERE t.requested_at IS NOT NULL OR t.checkpoint IS NOT NULL
            ORDER BY t.requested_at NULLS LAST, t.updated_at, t.id"""
    ).fetchall()
    return [ImportTarget.model_validate(row) for row in rows]


def claim(
    conn: Conn, target_id: int, *, by: str, now: datetime, stale_before: datetime
) -> ImportTarget | None:
    """Take the target for one run, unless another run holds it (a claim refreshed since
    `stale_before`); None when it is not ours to walk now."""
    row = conn.execute(
        f"""UPDATE chat_import_targets AS t
            SET claimed_at = %(now)s, claimed_by = %(by)s, last_run_at = %(now)s,
                last_status = 'running', last_error = NULL, updated_at = now()
            WHERE t.id = %(id)s AND (t.claimed_at IS NULL OR t.claimed_at < %(stale)s)
            RETURNING {COLUMNS}""",
        {"id": target_id, "by": by, "now": now, "stale": stale_before},
    ).fetchone()
    return _target(row)


def save_progress(
    conn: Conn,
    target_id: int,
    *,
    by: str,
    now: datetime,
    checkpoint: str | None,
    walk: WalkMode | None,
    window: Window,
    pages_walked: int,
    completed: bool,
    answered: bool,
) -> bool:
    """After a page: where the walk stands (committed with the page), the claim refreshed.
    `completed`: the whole history is now known; `answered`: an open request is done. False
    when the run no longer holds the target (its claim went stale and another run took it)."""
    cur = conn.execute(
        """UPDATE chat_import_targets SET checkpoint = %s, walk = %s, since = %s, until = %s,
               pages_walked = %s,
               completed_at = CASE WHEN %s THEN %s ELSE completed_at END,
               requested_at = CASE WHEN %s THEN NULL ELSE requested_at END,
               claimed_at = %s, updated_at = now()
           WHERE id = %s AND claimed_by = %s""",
        (
            checkpoint,
            None if walk is None else walk.value,
            window.since,
            window.until,
            pages_walked,
            completed,
            now,
            answered,
            now,
            target_id,
            by,
        ),
    )
    return cur.rowcount == 1


def release(
    conn: Conn,
    target_id: int,
    *,
    by: str,
    status: str,
    counts: dict[str, Any],
    error: str | None,
) -> None:
    """The run is done with the target: record how it went and free it."""
    conn.execute(
        """UPDATE chat_import_targets SET claimed_at = NULL, claimed_by = NULL,
               last_status = %s, last_counts = %s, last_error = %s, updated_at = now()
           WHERE id = %s AND claimed_by = %s""",
        (status, Jsonb(counts), error, target_id, by),
    )


def list_targets(conn: Conn, *, limit: int) -> list[ImportTarget]:
    """Targets, newest activity first; a member target of an excluded person is left out."""
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM chat_import_targets t
            WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.username = t.name
                              AND p.merged_into IS NULL AND p.is_excluded)
            ORDER BY coalesce(t.last_run_at, t.requested_at, t.created_at) DESC, t.id DESC
            LIMIT %s""",
        (limit,),
    ).fetchall()
    return [ImportTarget.model_validate(row) for row in rows]
