"""SQL for broadcasts seen in the affiliate feed (one row per broadcast, matched by start)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn
from mhc.domain.broadcasts import ObservedBroadcast


class Broadcast(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    person_id: int
    started_at: datetime
    last_seen_at: datetime
    max_viewers: int | None
    #: How many sweeps of the feed saw this broadcast.
    sightings: int


COLUMNS = "b.id, b.person_id, b.started_at, b.last_seen_at, b.max_viewers, b.sightings"


def latest_starts(conn: Conn, person_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """Each person's most recent broadcast: person -> (broadcast id, started_at)."""
    rows = conn.execute(
        """SELECT p.id AS person_id, last.id, last.started_at FROM unnest(%s::bigint[]) AS p(id)
           CROSS JOIN LATERAL (SELECT b.id, b.started_at FROM broadcasts b
                               WHERE b.person_id = p.id
                               ORDER BY b.started_at DESC, b.id DESC LIMIT 1) last""",
        (list(person_ids),),
    ).fetchall()
    return {int(row["person_id"]): (int(row["id"]), row["started_at"]) for row in rows}


def extend(conn: Conn, rows: Sequence[tuple[int, ObservedBroadcast]]) -> int:
    """Another observation of known broadcasts: later last_seen, the highest viewer count."""
    if not rows:
        return 0
    conn.execute(
        """UPDATE broadcasts AS b SET last_seen_at = greatest(b.last_seen_at, v.seen),
               max_viewers = CASE WHEN v.viewers IS NULL THEN b.max_viewers
                                  ELSE greatest(b.max_viewers, v.viewers) END,
               sightings = b.sightings + CASE WHEN v.seen > b.last_seen_at THEN 1 ELSE 0 END,
               updated_at = now()
           FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[]) AS v(id, seen, viewers)
           WHERE b.id = v.id""",
        (
            [broadcast_id for broadcast_id, _ in rows],
            [s.seen_at for _, s in rows],
            [s.viewers for _, s in rows],
        ),
    )
    return len(rows)


def start(conn: Conn, observed: Sequence[ObservedBroadcast]) -> int:
    if not observed:
        return 0
    conn.execute(
        """INSERT INTO broadcasts (person_id, started_at, last_seen_at, max_viewers)
           SELECT id, st, seen, viewers
           FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::int[])
                AS v(id, st, seen, viewers)""",
        (
            [s.person_id for s in observed],
            [s.started_at for s in observed],
            [s.seen_at for s in observed],
            [s.viewers for s in observed],
        ),
    )
    return len(observed)


def of_person(conn: Conn, person_id: int, *, limit: int = 20) -> list[Broadcast]:
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM broadcasts b WHERE b.person_id = %s
            ORDER BY b.started_at DESC, b.id DESC LIMIT %s""",
        (person_id, limit),
    ).fetchall()
    return [Broadcast.model_validate(row) for row in rows]
