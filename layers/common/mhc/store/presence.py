"""SQL for presence: when a person was last seen online (read only)."""

from __future__ import annotations

from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.models import SnapshotSource


def last_seen_online(
    conn: Conn, person_ids: list[int], *, source: SnapshotSource = SnapshotSource.AFFILIATE
) -> dict[int, datetime]:
    """When each person last appeared in a snapshot that only online rooms produce."""
    rows = conn.execute(
        """SELECT p.id AS person_id, last.captured_at FROM unnest(%s::bigint[]) AS p(id)
           CROSS JOIN LATERAL (SELECT captured_at FROM snapshots s
                               WHERE s.person_id = p.id AND s.source = %s
                               ORDER BY captured_at DESC, id DESC LIMIT 1) last""",
        (person_ids, source.value),
    ).fetchall()
    return {int(row["person_id"]): row["captured_at"] for row in rows}
