"""SQL for snapshots (append-only) and the reads that feed deltas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import Snapshot, SnapshotSource

COLUMNS = (
    "s.id, s.person_id, s.source, s.captured_at, s.raw_payload, s.normalized_metrics, s.created_at"
)


def append(
    conn: Conn,
    person_id: int,
    source: SnapshotSource,
    *,
    captured_at: datetime,
    raw_payload: Any,
    normalized_metrics: dict[str, Any],
) -> Snapshot:
    row = conn.execute(
        f"""INSERT INTO snapshots AS s (person_id, source, captured_at, raw_payload, normalized_metrics)
            VALUES (%s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (person_id, source.value, captured_at, Jsonb(raw_payload), Jsonb(normalized_metrics)),
    ).fetchone()
    return Snapshot.model_validate(row)


def latest_two_per_source(conn: Conn, person_ids: Sequence[int]) -> list[Snapshot]:
    """For every source, the newest snapshot and the one before it (newest first)."""
    # One index scan per row of the group and source: `person_id = ANY(...)` would make
    # PostgreSQL read and sort every snapshot of the person (thousands for a watched regular).
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM unnest(%s::text[]) AS src(source)
            CROSS JOIN LATERAL (
                SELECT s1.* FROM unnest(%s::bigint[]) AS g(person_id)
                CROSS JOIN LATERAL (
                    SELECT * FROM snapshots s0
                    WHERE s0.person_id = g.person_id AND s0.source = src.source
                    ORDER BY s0.captured_at DESC, s0.id DESC LIMIT 2
                ) s1
                ORDER BY s1.captured_at DESC, s1.id DESC LIMIT 2
            ) s
            ORDER BY s.source, s.captured_at DESC, s.id DESC""",
        ([source.value for source in SnapshotSource], list(person_ids)),
    ).fetchall()
    return [Snapshot.model_validate(row) for row in rows]


def latest_two(conn: Conn, person_ids: Sequence[int]) -> list[Snapshot]:
    """The newest snapshot of any source and the one before it from the same source."""
    rows = conn.execute(
        f"""WITH newest AS (
                SELECT source FROM snapshots WHERE person_id = ANY(%(p)s)
                ORDER BY captured_at DESC, id DESC LIMIT 1)
            SELECT {COLUMNS} FROM newest CROSS JOIN LATERAL (
                SELECT * FROM snapshots s0
                WHERE s0.person_id = ANY(%(p)s) AND s0.source = newest.source
                ORDER BY s0.captured_at DESC, s0.id DESC LIMIT 2) s
            ORDER BY s.captured_at DESC, s.id DESC""",
        {"p": list(person_ids)},
    ).fetchall()
    return [Snapshot.model_validate(row) for row in rows]


def timeline(
    conn: Conn,
    person_ids: Sequence[int],
    source: SnapshotSource,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[Snapshot]:
    """Snapshots of one person and source, oldest first (plus the one just before `since`)."""
    rows = conn.execute(
        f"""(SELECT {COLUMNS} FROM snapshots s
             WHERE s.person_id = ANY(%(p)s) AND s.source = %(src)s
               AND (%(since)s::timestamptz IS NULL OR s.captured_at >= %(since)s)
               AND (%(until)s::timestamptz IS NULL OR s.captured_at < %(until)s)
             ORDER BY s.captured_at DESC, s.id DESC LIMIT %(limit)s)
            UNION ALL
            (SELECT {COLUMNS} FROM snapshots s
             WHERE %(since)s::timestamptz IS NOT NULL
               AND s.person_id = ANY(%(p)s) AND s.source = %(src)s AND s.captured_at < %(since)s
             ORDER BY s.captured_at DESC, s.id DESC LIMIT 1)
            ORDER BY captured_at, id""",
        {
            "p": list(person_ids),
            "src": source.value,
            "since": since,
            "until": until,
            "limit": limit,
        },
    ).fetchall()
    return [Snapshot.model_validate(row) for row in rows]
