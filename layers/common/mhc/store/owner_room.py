"""SQL for the owner's room: activity in a time window, recent tips, one person's activity there
(read only, over `interactions`).

Audience figures read the `counted_interactions` view, the one definition of what counts:
excluded persons left out, a merged person's rows counted as their survivor's, anonymous tips
flagged (their tokens count for the room, never under the tipper's name), an imported payment
linked to its live twin left out. A person's own figures read their rows directly (their own
page shows their history even when excluded), anonymous tips and linked imports left out.
Tokens are every payment (tips, media, private and spy shows, other income), tips are tips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.models import Interaction
from mhc.store.interactions import ANONYMOUS, NOT_A_TWIN
from mhc.store.interactions import COLUMNS as INTERACTION_COLUMNS
from mhc.store.interactions import FROM as INTERACTIONS
from mhc.store.token_history import PAYMENT_TYPES


def recent_tips(conn: Conn, owner: str, *, limit: int) -> list[Interaction]:
    """Newest tips in the owner's room (anonymous ones without a name); excluded persons left
    out."""
    rows = conn.execute(
        f"""SELECT {INTERACTION_COLUMNS} FROM {INTERACTIONS}
            WHERE i.broadcaster = %s AND i.type = 'TIP_EVENT' AND NOT p.is_excluded
              AND {NOT_A_TWIN}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s""",
        (owner, limit),
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def person_activity(conn: Conn, owner: str, person_ids: Sequence[int]) -> dict[str, Any]:
    """What one person (all their rows) did in the owner's room; anonymous tips are not
    theirs to count."""
    row = conn.execute(
        f"""SELECT count(*) AS interactions,
                   count(*) FILTER (WHERE i.type = 'TIP_EVENT') AS tips,
                   coalesce(sum(mhc_payment_tokens(i.metadata))
                            FILTER (WHERE i.type IN {PAYMENT_TYPES}), 0) AS tokens,
                   count(*) FILTER (WHERE i.type = 'CHAT_MESSAGE') AS chat_messages,
                   count(*) FILTER (WHERE i.type = 'PRIVATE_MESSAGE') AS private_messages,
                   count(*) FILTER (WHERE i.type = 'USER_ENTER') AS visits,
                   min(i.occurred_at) AS first_seen_at,
                   max(i.occurred_at) AS last_seen_at
            FROM interactions i
            WHERE i.broadcaster = %s AND i.person_id = ANY(%s) AND NOT {ANONYMOUS}
              AND {NOT_A_TWIN}""",
        (owner, list(person_ids)),
    ).fetchone()
    assert row is not None
    return dict(row)


def recent_of_person(
    conn: Conn, owner: str, person_ids: Sequence[int], *, limit: int
) -> list[Interaction]:
    """The person's newest interactions in the owner's room, anonymous tips left out."""
    rows = conn.execute(
        f"""SELECT {INTERACTION_COLUMNS} FROM {INTERACTIONS}
            WHERE i.broadcaster = %s AND i.person_id = ANY(%s) AND NOT {ANONYMOUS}
              AND {NOT_A_TWIN}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s""",
        (owner, list(person_ids), limit),
    ).fetchall()
    return [Interaction.model_validate(row) for row in rows]


def activity_between(
    conn: Conn, owner: str, started_at: datetime, ended_at: datetime
) -> dict[str, int]:
    """Counts over the owner's room in [started_at, ended_at) (`counted_interactions`: excluded
    persons out, anonymous tips counted for the room, visitors counted once per person)."""
    row = conn.execute(
        f"""SELECT count(*) AS interactions,
                  count(*) FILTER (WHERE c.type = 'TIP_EVENT') AS tips,
                  coalesce(sum(mhc_payment_tokens(c.metadata))
                           FILTER (WHERE c.type IN {PAYMENT_TYPES}), 0) AS tokens,
                  count(DISTINCT c.person_id)
                      FILTER (WHERE p.username <> %(owner)s AND NOT c.is_anonymous) AS visitors
           FROM counted_interactions c JOIN persons p ON p.id = c.person_id
           WHERE c.broadcaster = %(owner)s AND c.occurred_at >= %(start)s
             AND c.occurred_at < %(end)s""",
        {"owner": owner, "start": started_at, "end": ended_at},
    ).fetchone()
    assert row is not None
    return {
        "interactions": int(row["interactions"]),
        "tips": int(row["tips"]),
        "tokens": int(row["tokens"]),
        "distinct_visitors": int(row["visitors"]),
    }
