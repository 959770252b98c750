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
from mhc.store.interactions import ANONYMOUS, NOT_A_TWIN

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


#: The survivor of row `i.person_id`, looked up by primary key for each row: a plain join
#: from a range of interactions made the planner hash all the persons (100k rows) every time.
#: (LIMIT keeps the subquery from being flattened into such a join.)
_SURVIVOR = """CROSS JOIN LATERAL (
                   SELECT p.id AS survivor, p.username, p.is_excluded
                   FROM persons r JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
                   WHERE r.id = i.person_id LIMIT 1) s"""


_PRESENCE = f"""SELECT i.id, s.survivor, s.username, s.is_excluded, i.occurred_at,
                      i.type = 'USER_ENTER' AS entered, i.external_id,
                      coalesce(i.metadata -> 'user', '{{}}'::jsonb) AS flags
               FROM interactions i {_SURVIVOR}
               WHERE i.broadcaster = %(owner)s AND i.type IN ('USER_ENTER', 'USER_LEAVE')
                 AND i.occurred_at BETWEEN %(since)s AND %(until)s
               ORDER BY i.occurred_at, i.id"""
_PAYMENTS = f"""SELECT s.survivor, i.type, {ANONYMOUS} AS anonymous,
                       mhc_payment_tokens(i.metadata) AS tokens
                FROM interactions i {_SURVIVOR}
                WHERE i.broadcaster = %(owner)s AND i.type IN ('TIP_EVENT', 'MEDIA_PURCHASE')
                  AND i.occurred_at BETWEEN %(since)s AND %(until)s AND {NOT_A_TWIN}
                  AND NOT s.is_excluded"""


def room_events(
    conn: Conn, owner: str, *, since: datetime, until: datetime
) -> tuple[list[PresenceRow], RoomPayments]:
    """The owner's room in [since, until]: its enters and leaves in feed order, each as its
    survivor; and its tips and media purchases (`RoomPayments`). One round trip."""
    params = {"owner": owner, "since": since, "until": until}
    with conn.pipeline():
        presence_cursor = conn.execute(_PRESENCE, params)
        payments_cursor = conn.execute(_PAYMENTS, params)
    presence = [
        PresenceRow(
            interaction_id=int(row["id"]),
            person_id=int(row["survivor"]),
            username=str(row["username"]),
            is_excluded=bool(row["is_excluded"]),
            at=row["occurred_at"],
            entered=bool(row["entered"]),
            event_id=str(row["external_id"]),
            flags=row["flags"] if isinstance(row["flags"], dict) else {},
        )
        for row in presence_cursor.fetchall()
    ]
    return presence, _payments(payments_cursor.fetchall())


def previous_presence(
    conn: Conn, owner: str, enters: Sequence[tuple[str, int]], *, since: datetime
) -> dict[str, tuple[datetime, bool]]:
    """For each (event id, person) of a live enter already stored: the person's enter or leave
    in the owner's room just before it, from `since` on, as (time, entered). One backward
    step on the person's own index (not a scan of the room's session): the survivor's row
    only, which is where a page's events go (a merge in the middle of a stay is not worth a
    plan that scans the room)."""
    if not enters:
        return {}
    rows = conn.execute(
        """SELECT t.ext, prev.occurred_at, prev.type = 'USER_ENTER' AS entered
           FROM unnest(%(ext)s::text[], %(ids)s::bigint[]) AS t(ext, person)
           JOIN interactions me ON me.source = 'cb_events' AND me.external_id = t.ext
           CROSS JOIN LATERAL (
               SELECT i.occurred_at, i.type FROM interactions i
               WHERE i.person_id = t.person AND i.occurred_at >= %(since)s
                 AND (i.occurred_at, i.id) < (me.occurred_at, me.id)
                 AND i.type IN ('USER_ENTER', 'USER_LEAVE') AND i.broadcaster = %(owner)s
               ORDER BY i.occurred_at DESC, i.id DESC LIMIT 1) prev""",
        {
            "ext": [e for e, _ in enters],
            "ids": [p for _, p in enters],
            "since": since,
            "owner": owner,
        },
        # Planned with its values every time: a generic plan walked the room's enters and
        # leaves backwards (a thousand rows per person) instead of the person's own index.
        prepare=False,
    ).fetchall()
    return {str(r["ext"]): (r["occurred_at"], bool(r["entered"])) for r in rows}


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
class Memory:
    """What matters about a person in the moment (their group's rows together)."""

    #: Times they entered the owner's room, and their tokens to her (every source, each
    #: payment once; the `person_room_totals` summary).
    visits: int = 0
    tokens: int = 0
    #: Their latest enter before the time asked about.
    previous_visit_at: datetime | None = None
    #: They joined the owner's fan club at some point (a fanclubJoin event).
    fan_club_joined: bool = False
    notes: tuple[str, ...] = ()
    #: (id, name) of the watchlists they are on.
    watchlists: tuple[tuple[int, str], ...] = ()
    #: (key, value, confidence).
    attributes: tuple[tuple[str, str, str], ...] = ()


def memory(
    conn: Conn, owner: str, before: Mapping[int, datetime], *, notes: int = 2
) -> dict[int, Memory]:
    """`Memory` of each person in `before` (person id -> the time their previous visit must be
    before), in two statements whatever the number of people."""
    if not before:
        return {}
    # Both statements in one round trip (pipeline): under load each wait for the server costs
    # more than its work.
    with conn.pipeline():
        facts_cursor = conn.execute(
            f"""WITH b AS (SELECT * FROM unnest(%(ids)s::bigint[], %(before)s::timestamptz[])
                           AS b(person_id, before)),
                     g AS (SELECT g.person_id, g.row_id, b.before FROM ({_GROUPS}) g
                           JOIN b USING (person_id))
               SELECT g.person_id, g.row_id, t.visits, t.tokens, v.at AS previous,
                      c.count AS joined
               FROM g
               LEFT JOIN person_room_totals t
                      ON t.person_id = g.row_id AND t.broadcaster = %(owner)s
               LEFT JOIN person_interaction_counts c
                      ON c.person_id = g.row_id AND c.type = 'FANCLUB_JOIN'
               LEFT JOIN LATERAL (
                   SELECT i.occurred_at AS at FROM interactions i
                   WHERE i.person_id = g.row_id AND i.type = 'USER_ENTER'
                     AND i.occurred_at < g.before AND i.broadcaster = %(owner)s
                   ORDER BY i.occurred_at DESC LIMIT 1) v ON true""",
            {"ids": list(before), "before": list(before.values()), "owner": owner},
        )
        kept_cursor = conn.execute(
            f"""WITH g AS ({_GROUPS})
               SELECT 'note' AS kind, g.person_id, n.content AS a, NULL::text AS b,
                      NULL::text AS c, n.occurred_at AS at
               FROM g CROSS JOIN LATERAL (
                   SELECT i.content, i.occurred_at FROM interactions i
                   WHERE i.person_id = g.row_id AND i.type = 'MANUAL_NOTE'
                   ORDER BY i.occurred_at DESC LIMIT %(notes)s) n
               UNION ALL
               SELECT 'attribute', g.person_id, a.key, a.value, a.confidence, NULL
               FROM g JOIN attributes a ON a.person_id = g.row_id
               UNION ALL
               SELECT 'watchlist', g.person_id, w.name, w.id::text, NULL, NULL
               FROM g JOIN watchlist_members m ON m.person_id = g.row_id
               JOIN watchlists w ON w.id = m.watchlist_id""",
            {"ids": list(before), "notes": notes},
        )
    facts = facts_cursor.fetchall()
    kept = kept_cursor.fetchall()
    survivor = {int(f["row_id"]): int(f["person_id"]) for f in facts}
    sums: dict[int, list[Any]] = {p: [0, 0, None, False] for p in before}
    for f in facts:
        into = sums[survivor[int(f["row_id"])]]
        into[0] += int(f["visits"] or 0)
        into[1] += int(f["tokens"] or 0)
        if f["previous"] is not None and (into[2] is None or f["previous"] > into[2]):
            into[2] = f["previous"]
        into[3] = into[3] or bool(f["joined"])
    found_notes: dict[int, list[tuple[datetime, str]]] = {}
    lists: dict[int, dict[int, str]] = {}
    attrs: dict[int, dict[str, tuple[str, str, str]]] = {}
    for k in kept:
        person = int(k["person_id"])
        if k["kind"] == "note" and k["a"]:
            found_notes.setdefault(person, []).append((k["at"], str(k["a"])))
        elif k["kind"] == "watchlist":
            lists.setdefault(person, {})[int(k["b"])] = str(k["a"])
        elif k["kind"] == "attribute":
            attrs.setdefault(person, {})[str(k["a"])] = (str(k["a"]), str(k["b"]), str(k["c"]))
    return {
        person: Memory(
            visits=v[0],
            tokens=v[1],
            previous_visit_at=v[2],
            fan_club_joined=v[3],
            notes=tuple(t for _, t in sorted(found_notes.get(person, []), reverse=True)[:notes]),
            watchlists=tuple(sorted(lists.get(person, {}).items())),
            attributes=tuple(v for _, v in sorted(attrs.get(person, {}).items())),
        )
        for person, v in sums.items()
    }


@dataclass(frozen=True)
class RoomPayments:
    #: Tokens per person (anonymous tips never under a name), excluded persons left out.
    by_person: dict[int, int]
    tips: int
    tokens: int
    anonymous_tips: int
    anonymous_tokens: int


def _payments(rows: Sequence[dict[str, Any]]) -> RoomPayments:
    """Per person (anonymous tips never under a name) and in all (anonymous ones included)."""
    by_person: dict[int, int] = {}
    tips = tokens = anonymous_tips = anonymous_tokens = 0
    for row in rows:
        person_id = int(row["survivor"])
        amount = int(row["tokens"])
        tokens += amount
        tips += row["type"] == "TIP_EVENT"
        if row["anonymous"]:
            anonymous_tips += 1
            anonymous_tokens += amount
        else:
            by_person[person_id] = by_person.get(person_id, 0) + amount
    return RoomPayments(by_person, tips, tokens, anonymous_tips, anonymous_tokens)


def recent_tips(
    conn: Conn, owner: str, person_ids: Sequence[int], *, since: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    """(time, tokens) of each person's tips to the owner since `since` (not anonymous ones,
    not imported twins of live tips)."""
    rows = conn.execute(
        f"""SELECT g.person_id, i.occurred_at, mhc_payment_tokens(i.metadata) AS tokens
            FROM ({_GROUPS}) g JOIN interactions i ON i.person_id = g.row_id
            WHERE i.type = 'TIP_EVENT' AND i.occurred_at >= %(since)s
              AND i.broadcaster = %(owner)s AND NOT {ANONYMOUS} AND {NOT_A_TWIN}""",
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
