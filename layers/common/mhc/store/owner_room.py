"""SQL for the owner's room: activity in a time window, recent tips, one person's activity there
(read only, over `interactions`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.models import Interaction
from mhc.store.interactions import COLUMNS as INTERACTION_COLUMNS
from mhc.store.interactions import FROM as INTERACTIONS

#: A tip whose tipper asked to stay anonymous (Events API `tip.isAnon`).
_ANON = "coalesce(i.metadata->'isAnon' = 'true'::jsonb, false)"


def recent_tips(conn: Conn, owner: str, *, limit: int) -> list[Interaction]:
    """Newest tips in the owner's room with the tipper's current name; excluded persons left out."""
    rows = conn.execute(
        f"""SELECT {INTERACTION_COLUMNS} FROM {INTERACTIONS}
            WHERE i.broadcaster = %s AND i.type = 'TIP_EVENT' AND NOT p.is_excluded
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s""",
        (owner, limit),
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def person_activity(conn: Conn, owner: str, person_id: int) -> dict[str, Any]:
    """What one person did in the owner's room; anonymous tips are not counted by name."""
    row = conn.execute(
        f"""SELECT count(*) AS interactions,
                   count(*) FILTER (WHERE i.type = 'TIP_EVENT' AND NOT {_ANON}) AS tips,
                   coalesce(sum((i.metadata->>'tokens')::bigint)
                            FILTER (WHERE i.type = 'TIP_EVENT' AND NOT {_ANON}), 0) AS tokens,
                   count(*) FILTER (WHERE i.type = 'CHAT_MESSAGE') AS chat_messages,
                   count(*) FILTER (WHERE i.type = 'PRIVATE_MESSAGE') AS private_messages,
                   count(*) FILTER (WHERE i.type = 'USER_ENTER') AS visits,
                   min(i.occurred_at) AS first_seen_at,
                   max(i.occurred_at) AS last_seen_at
            FROM interactions i
            WHERE i.broadcaster = %s AND i.person_id = %s
              AND NOT (i.type = 'TIP_EVENT' AND {_ANON})""",
        (owner, person_id),
    ).fetchone()
    assert row is not None
    return dict(row)


def recent_of_person(conn: Conn, owner: str, person_id: int, *, limit: int) -> list[Interaction]:
    """The person's newest interactions in the owner's room, anonymous tips left out."""
    rows = conn.execute(
        f"""SELECT {INTERACTION_COLUMNS} FROM {INTERACTIONS}
            WHERE i.broadcaster = %s AND i.person_id = %s
              AND NOT (i.type = 'TIP_EVENT' AND {_ANON})
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s""",
        (owner, person_id, limit),
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def activity_between(
    conn: Conn, owner: str, started_at: datetime, ended_at: datetime
) -> dict[str, int]:
    """Counts over the owner's room in [started_at, ended_at), excluded persons left out."""
    row = conn.execute(
        """SELECT count(*) AS interactions,
                  count(*) FILTER (WHERE i.type = 'TIP_EVENT') AS tips,
                  coalesce(sum((i.metadata->>'tokens')::bigint)
                           FILTER (WHERE i.type = 'TIP_EVENT'), 0) AS tokens,
                  count(DISTINCT i.person_id) FILTER (WHERE p.username <> %(owner)s) AS visitors
           FROM interactions i JOIN persons p ON p.id = i.person_id
           WHERE i.broadcaster = %(owner)s AND i.occurred_at >= %(start)s
             AND i.occurred_at < %(end)s AND NOT p.is_excluded""",
        {"owner": owner, "start": started_at, "end": ended_at},
    ).fetchone()
    assert row is not None
    return {
        "interactions": int(row["interactions"]),
        "tips": int(row["tips"]),
        "tokens": int(row["tokens"]),
        "distinct_visitors": int(row["visitors"]),
    }
