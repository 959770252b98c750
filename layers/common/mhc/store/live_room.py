"""SQL for the live room: who entered and left the owner's room, and the memory that matters
about many people at once (set-based: 500 people present are read in a handful of queries).

Every person is read as their group: the survivor and the rows merged into it. A person's own
figures leave anonymous tips and imported payments linked to a live twin out (the
`counted_interactions` rule); the per-person summary `person_room_totals` is kept by triggers
under the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.store.interactions import ANONYMOUS
from mhc.store.token_history import LINKED_IMPORT

#: Each survivor in %(ids)s with every row id of its group: (person_id, row_id).
_GROUPS = """SELECT coalesce(merged_into, id) AS person_id, id AS row_id FROM persons
             WHERE id = ANY(%(ids)s) OR merged_into = ANY(%(ids)s)"""


@dataclass(frozen=True)
class PresenceRow:
    interaction_id: int
    person_id: int
    username: str
    is_excluded: bool
    at: datetime
    entered: bool
    event_id: str
    flags: dict[str, Any]


def presence(
    conn: Conn,
    owner: str,
    *,
    since: datetime,
    until: datetime,
    person_ids: Sequence[int] | None = None,
) -> list[PresenceRow]:
    """Enters and leaves in the owner's room in [since, until] (of `person_ids`' groups when
    given), in feed order; each as its survivor."""
    params: dict[str, Any] = {"owner": owner, "since": since, "until": until}
    only = ""
    if person_ids is not None:
        only = f"AND i.person_id IN (SELECT row_id FROM ({_GROUPS}) g)"
        params["ids"] = list(person_ids)
    rows = conn.execute(
        f"""SELECT i.id, p.id AS person_id, p.username, p.is_excluded, i.occurred_at,
                   i.type = 'USER_ENTER' AS entered, i.external_id,
                   coalesce(i.metadata -> 'user', '{{}}'::jsonb) AS flags
            FROM interactions i JOIN persons r ON r.id = i.person_id
            JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
            WHERE i.broadcaster = %(owner)s AND i.type IN ('USER_ENTER', 'USER_LEAVE')
              AND i.occurred_at BETWEEN %(since)s AND %(until)s {only}
            ORDER BY i.occurred_at, i.id""",
        params,
    ).fetchall()
    return [
        PresenceRow(
            interaction_id=int(row["id"]),
            person_id=int(row["person_id"]),
            username=str(row["username"]),
            is_excluded=bool(row["is_excluded"]),
            at=row["occurred_at"],
            entered=bool(row["entered"]),
            event_id=str(row["external_id"]),
            flags=row["flags"] if isinstance(row["flags"], dict) else {},
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PersonBrief:
    username: str
    is_excluded: bool
    first_seen_at: datetime | None


def persons(conn: Conn, person_ids: Sequence[int]) -> dict[int, PersonBrief]:
    rows = conn.execute(
        """SELECT id, username, is_excluded, first_seen_at FROM persons WHERE id = ANY(%s)""",
        (list(person_ids),),
    ).fetchall()
    return {
        int(r["id"]): PersonBrief(str(r["username"]), bool(r["is_excluded"]), r["first_seen_at"])
        for r in rows
    }


@dataclass(frozen=True)
class Totals:
    visits: int
    tokens: int


def totals(conn: Conn, owner: str, person_ids: Sequence[int]) -> dict[int, Totals]:
    """Visits and lifetime tokens to the owner (every source), per person (the summary)."""
    rows = conn.execute(
        f"""SELECT g.person_id, sum(t.visits) AS visits, sum(t.tokens) AS tokens
            FROM ({_GROUPS}) g
            JOIN person_room_totals t ON t.person_id = g.row_id AND t.broadcaster = %(owner)s
            GROUP BY g.person_id""",
        {"ids": list(person_ids), "owner": owner},
    ).fetchall()
    return {int(r["person_id"]): Totals(int(r["visits"]), int(r["tokens"])) for r in rows}


def previous_visits(conn: Conn, owner: str, before: Mapping[int, datetime]) -> dict[int, datetime]:
    """Each person's latest enter in the owner's room strictly before their `before` time."""
    if not before:
        return {}
    rows = conn.execute(
        f"""WITH b AS (SELECT * FROM unnest(%(ids)s::bigint[], %(before)s::timestamptz[])
                       AS b(person_id, before)),
                 g AS ({_GROUPS})
            SELECT g.person_id, max(v.at) AS at
            FROM g JOIN b USING (person_id)
            CROSS JOIN LATERAL (
                SELECT i.occurred_at AS at FROM interactions i
                WHERE i.person_id = g.row_id AND i.type = 'USER_ENTER'
                  AND i.occurred_at < b.before AND i.broadcaster = %(owner)s
                ORDER BY i.occurred_at DESC LIMIT 1) v
            GROUP BY g.person_id""",
        {"ids": list(before), "before": list(before.values()), "owner": owner},
    ).fetchall()
    return {int(r["person_id"]): r["at"] for r in rows}


def notes(conn: Conn, person_ids: Sequence[int], *, per_person: int) -> dict[int, list[str]]:
    """Each person's newest notes (the owner's own memory), newest first."""
    rows = conn.execute(
        f"""SELECT g.person_id, n.content, n.occurred_at
            FROM ({_GROUPS}) g
            CROSS JOIN LATERAL (
                SELECT i.content, i.occurred_at FROM interactions i
                WHERE i.person_id = g.row_id AND i.type = 'MANUAL_NOTE'
                ORDER BY i.occurred_at DESC LIMIT %(n)s) n
            ORDER BY g.person_id, n.occurred_at DESC""",
        {"ids": list(person_ids), "n": per_person},
    ).fetchall()
    found: dict[int, list[str]] = {}
    for r in rows:
        kept = found.setdefault(int(r["person_id"]), [])
        if len(kept) < per_person and r["content"]:
            kept.append(str(r["content"]))
    return found


def watchlists(conn: Conn, person_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """The watchlists each person is on, as the owner counts them (`watchlist_people`)."""
    rows = conn.execute(
        """SELECT wp.person_id, w.id, w.name FROM watchlist_people wp
           JOIN watchlists w ON w.id = wp.watchlist_id
           WHERE wp.person_id = ANY(%s) ORDER BY w.id""",
        (list(person_ids),),
    ).fetchall()
    found: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        found.setdefault(int(r["person_id"]), []).append((int(r["id"]), str(r["name"])))
    return found


def attributes(conn: Conn, person_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(key, value, confidence) of each person's attributes, by key."""
    rows = conn.execute(
        f"""SELECT g.person_id, a.key, a.value, a.confidence
            FROM ({_GROUPS}) g JOIN attributes a ON a.person_id = g.row_id
            ORDER BY g.person_id, a.key""",
        {"ids": list(person_ids)},
    ).fetchall()
    found: dict[int, list[tuple[str, str, str]]] = {}
    for r in rows:
        found.setdefault(int(r["person_id"]), []).append(
            (str(r["key"]), str(r["value"]), str(r["confidence"]))
        )
    return found


def joined_fan_club(conn: Conn, person_ids: Sequence[int]) -> set[int]:
    """People who ever joined the owner's fan club (a fanclubJoin event)."""
    rows = conn.execute(
        f"""SELECT DISTINCT g.person_id FROM ({_GROUPS}) g
            JOIN person_interaction_counts c ON c.person_id = g.row_id
            WHERE c.type = 'FANCLUB_JOIN' AND c.count > 0""",
        {"ids": list(person_ids)},
    ).fetchall()
    return {int(r["person_id"]) for r in rows}


@dataclass(frozen=True)
class RoomPayments:
    #: Tokens per person (anonymous tips never under a name), excluded persons left out.
    by_person: dict[int, int]
    anonymous_tips: int
    anonymous_tokens: int


def session_payments(conn: Conn, owner: str, *, since: datetime, until: datetime) -> RoomPayments:
    """Tips and media purchases in the owner's room in [since, until], per person."""
    rows = conn.execute(
        f"""SELECT CASE WHEN {ANONYMOUS} THEN NULL ELSE p.id END AS person_id,
                   count(*) AS n, sum(mhc_payment_tokens(i.metadata)) AS tokens
            FROM interactions i JOIN persons r ON r.id = i.person_id
            JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
            WHERE i.broadcaster = %(owner)s AND i.type IN ('TIP_EVENT', 'MEDIA_PURCHASE')
              AND i.occurred_at BETWEEN %(since)s AND %(until)s
              AND NOT p.is_excluded AND NOT {LINKED_IMPORT}
            GROUP BY 1""",
        {"owner": owner, "since": since, "until": until},
    ).fetchall()
    by_person: dict[int, int] = {}
    anonymous_tips = anonymous_tokens = 0
    for r in rows:
        if r["person_id"] is None:
            anonymous_tips, anonymous_tokens = int(r["n"]), int(r["tokens"])
        else:
            by_person[int(r["person_id"])] = int(r["tokens"])
    return RoomPayments(by_person, anonymous_tips, anonymous_tokens)


def recent_tips(
    conn: Conn, owner: str, person_ids: Sequence[int], *, since: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    """(time, tokens) of each person's tips to the owner since `since` (not anonymous ones,
    not imported twins of live tips)."""
    rows = conn.execute(
        f"""SELECT g.person_id, i.occurred_at, mhc_payment_tokens(i.metadata) AS tokens
            FROM ({_GROUPS}) g JOIN interactions i ON i.person_id = g.row_id
            WHERE i.type = 'TIP_EVENT' AND i.occurred_at >= %(since)s
              AND i.broadcaster = %(owner)s AND NOT {ANONYMOUS} AND NOT {LINKED_IMPORT}""",
        {"ids": list(person_ids), "since": since, "owner": owner},
    ).fetchall()
    found: dict[int, list[tuple[datetime, int]]] = {}
    for r in rows:
        found.setdefault(int(r["person_id"]), []).append((r["occurred_at"], int(r["tokens"])))
    return found


def attendance(
    conn: Conn, owner: str, person_id: int, *, first_seen: datetime, before: datetime
) -> tuple[int, int]:
    """(sessions attended, sessions since first seen) among the owner's sessions that ended
    before `before`: attended = any interaction of theirs in her room during it."""
    row = conn.execute(
        f"""WITH g AS ({_GROUPS})
            SELECT count(*) AS eligible,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM interactions i
                       WHERE i.person_id IN (SELECT row_id FROM g)
                         AND i.occurred_at BETWEEN s.started_at AND s.ended_at
                         AND i.broadcaster = %(owner)s)) AS attended
            FROM stream_sessions s
            WHERE s.ended_at IS NOT NULL AND s.ended_at >= %(first)s AND s.ended_at < %(before)s""",
        {"ids": [person_id], "owner": owner, "first": first_seen, "before": before},
    ).fetchone()
    assert row is not None
    return int(row["attended"]), int(row["eligible"])
