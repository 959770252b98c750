"""SQL for the live room: who entered and left the owner's room, and the memory that matters
about many people at once (set-based: the room with 500 people present is one statement, its
payments a second, in one round trip; alerts' steps read a page's arrivals).

Every person is read as their group: the survivor and the rows merged into it. A person's own
figures leave anonymous tips and imported payments linked to a live twin out (the
`counted_interactions` rule); the per-person room summary `person_rooms` (visits, payments) is
kept by triggers under the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import tuple_row
from pydantic_core import from_json

from mhc.db.connection import Conn
from mhc.domain.live_room import PresenceEvent
from mhc.store.interactions import ANONYMOUS, NOT_A_TWIN

#: Each survivor in %(ids)s with every row id of its group: (person_id, row_id).
_GROUPS = """SELECT coalesce(merged_into, id) AS person_id, id AS row_id FROM persons
             WHERE id = ANY(%(ids)s) OR merged_into = ANY(%(ids)s)"""


#: The payments the room's session figures count (the live feed's; shows come only from the
#: owner's token-history export).
_ROOM_KINDS = "('tip', 'media_purchase')"

#: The survivor of row `i.person_id`, looked up by primary key for each row (a second lookup
#: only for a row merged into another): a plain join from a range of interactions made the
#: planner hash all the persons (100k rows) every time. (LIMIT keeps the subquery from being
#: flattened into such a join.)
_SURVIVOR = """CROSS JOIN LATERAL (
                   SELECT coalesce(m.id, r.id) AS survivor,
                          coalesce(m.username, r.username) AS username,
                          coalesce(m.is_excluded, r.is_excluded) AS is_excluded
                   FROM persons r LEFT JOIN persons m ON m.id = r.merged_into
                   WHERE r.id = i.person_id LIMIT 1) s"""

#: The room's enters and leaves in [since, until], each as its survivor, the owner's left out;
#: `latest`: the survivor's last one in feed order. Whoever's last is an enter is present: the
#: pairing rule of `domain.live_room.present` (an enter opens a stay or continues the open one,
#: a leave closes it), which also finds when they arrived.
_SEEN = f"""
    seen AS MATERIALIZED (
        SELECT i.id, s.survivor, s.username, s.is_excluded, i.occurred_at,
               i.type = 'USER_ENTER' AS entered, i.external_id, i.metadata -> 'user' AS flags,
               row_number() OVER (PARTITION BY s.survivor
                                  ORDER BY i.occurred_at DESC, i.id DESC) = 1 AS latest
        FROM interactions i {_SURVIVOR}
        WHERE i.broadcaster = %(owner)s AND i.type IN ('USER_ENTER', 'USER_LEAVE')
          AND i.occurred_at BETWEEN %(since)s AND %(until)s AND s.username <> %(owner)s),
    here AS MATERIALIZED (
        SELECT id, survivor FROM seen WHERE latest AND entered AND NOT is_excluded),
    grp AS MATERIALIZED (
        SELECT survivor, survivor AS row_id FROM here
        UNION ALL
        SELECT h.survivor, p.id FROM here h JOIN persons p ON p.merged_into = h.survivor)"""

#: Everything the room shows of the people present, per survivor over their group's rows, each
#: source read by key per row (LATERAL ... LIMIT 1: a join let the planner read all 96k rows of
#: the room summary for 500 people). Lifetime visits and tokens from `person_rooms`,
#: this session's named tokens from `payments` (a summary: linked twins are already out; the
#: session's rows read once), the previous visit one backward step on the person's own index.
#: The flags come as text, parsed only for those present (`from_json`: 6 times `json.loads`).
_ROOM = f"""
WITH {_SEEN},
    paid AS (
        SELECT p.person_id, sum(p.tokens) AS tokens FROM payments p
        WHERE p.broadcaster = %(owner)s AND p.occurred_at BETWEEN %(since)s AND %(until)s
          AND p.kind IN {_ROOM_KINDS} AND NOT p.is_anonymous
        GROUP BY p.person_id),
    facts AS (
        SELECT g.survivor, sum(t.visits) AS visits, sum(t.tokens) AS tokens,
               max(v.at) AS previous, coalesce(bool_or(c.count > 0), false) AS joined,
               sum(paid.tokens) AS session_tokens
        FROM grp g
        LEFT JOIN LATERAL (
            SELECT t.visits, t.tokens FROM person_rooms t
            WHERE t.person_id = g.row_id AND t.broadcaster = %(owner)s LIMIT 1) t ON true
        LEFT JOIN LATERAL (
            SELECT c.count FROM person_interaction_counts c
            WHERE c.person_id = g.row_id AND c.type = 'FANCLUB_JOIN' LIMIT 1) c ON true
        LEFT JOIN LATERAL (
            SELECT i.occurred_at AS at FROM interactions i
            WHERE i.person_id = g.row_id AND i.type = 'USER_ENTER'
              AND i.occurred_at < %(since)s AND i.broadcaster = %(owner)s
            ORDER BY i.occurred_at DESC LIMIT 1) v ON true
        LEFT JOIN paid ON paid.person_id = g.row_id
        GROUP BY g.survivor),
    notes AS (
        SELECT g.survivor, array_agg(n.content ORDER BY n.occurred_at DESC, n.content DESC) AS notes
        FROM grp g CROSS JOIN LATERAL (
            SELECT i.content, i.occurred_at FROM interactions i
            WHERE i.person_id = g.row_id AND i.type = 'MANUAL_NOTE'
            ORDER BY i.occurred_at DESC LIMIT %(notes)s) n
        WHERE n.content <> ''
        GROUP BY g.survivor),
    lists AS (
        SELECT survivor, array_agg(id ORDER BY id) AS ids, array_agg(name ORDER BY id) AS names
        FROM (SELECT DISTINCT g.survivor, w.id, w.name
              FROM grp g JOIN watchlist_members m ON m.person_id = g.row_id
              JOIN watchlists w ON w.id = m.watchlist_id) l
        GROUP BY survivor),
    attrs AS (
        SELECT survivor, array_agg(key ORDER BY key) AS keys,
               array_agg(value ORDER BY key) AS vals, array_agg(confidence ORDER BY key) AS confs
        FROM (SELECT DISTINCT ON (g.survivor, a.key) g.survivor, a.key, a.value, a.confidence
              FROM grp g JOIN attributes a ON a.person_id = g.row_id
              ORDER BY g.survivor, a.key, g.row_id = g.survivor DESC, a.updated_at DESC) a
        GROUP BY survivor)
SELECT e.survivor, e.occurred_at, e.entered, e.external_id, e.is_excluded,
       h.id IS NOT NULL AS here, CASE WHEN h.id IS NOT NULL THEN e.username END,
       CASE WHEN h.id IS NOT NULL THEN e.flags::text END, f.visits, f.tokens, f.previous, f.joined,
       f.session_tokens, n.notes, l.ids, l.names, a.keys, a.vals, a.confs
FROM seen e
LEFT JOIN here h ON h.id = e.id
LEFT JOIN facts f ON f.survivor = h.survivor
LEFT JOIN notes n ON n.survivor = h.survivor
LEFT JOIN lists l ON l.survivor = h.survivor
LEFT JOIN attrs a ON a.survivor = h.survivor
ORDER BY e.occurred_at, e.id"""

#: The session's tips and media purchases from `payments` (every one with tokens, linked twins
#: already out), anonymous ones included; excluded persons' left out (a survivor decides for
#: the rows merged into it: `out`, a small set, not a lookup per payment).
_TOTALS = f"""
WITH out AS (
    SELECT id FROM persons WHERE is_excluded AND merged_into IS NULL
    UNION ALL
    SELECT r.id FROM persons x JOIN persons r ON r.merged_into = x.id
    WHERE x.is_excluded AND x.merged_into IS NULL)
SELECT count(*) FILTER (WHERE p.kind = 'tip') AS tips, coalesce(sum(p.tokens), 0) AS tokens,
       count(*) FILTER (WHERE p.is_anonymous) AS anonymous_tips,
       coalesce(sum(p.tokens) FILTER (WHERE p.is_anonymous), 0) AS anonymous_tokens
FROM payments p
WHERE p.broadcaster = %(owner)s AND p.occurred_at BETWEEN %(since)s AND %(until)s
  AND p.kind IN {_ROOM_KINDS} AND NOT EXISTS (SELECT 1 FROM out WHERE out.id = p.person_id)"""


@dataclass(frozen=True, slots=True)
class Known:
    """What the room shows of a person present (their group's rows together)."""

    username: str
    #: Times they entered the owner's room, and their tokens to her (every source, each
    #: payment with tokens once, as every figure counts them; the `person_rooms` summary).
    visits: int
    tokens: int
    #: Their tips and media purchases this session (anonymous ones never under a name).
    session_tokens: int
    #: Their latest enter before the session.
    previous_visit_at: datetime | None
    #: They joined the owner's fan club at some point (a fanclubJoin event).
    fan_club_joined: bool
    #: Their newest notes first.
    notes: tuple[str, ...]
    #: (id, name) of the watchlists they are on, by id.
    watchlists: tuple[tuple[int, str], ...]
    #: (key, value, confidence), by key.
    attributes: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class RoomTotals:
    """The session's tips and media purchases (excluded persons left out)."""

    tips: int
    tokens: int
    anonymous_tips: int
    anonymous_tokens: int


@dataclass(frozen=True, slots=True)
class RoomRead:
    #: The enters and leaves of everyone listed (not excluded; never the owner), each as its
    #: survivor, in feed order; flags only on each person's latest one.
    listed: list[PresenceEvent]
    #: The same of excluded persons (counted, never listed).
    excluded: list[PresenceEvent]
    #: Survivor id -> what is known, for everyone present and listed.
    people: dict[int, Known]
    totals: RoomTotals


def room(conn: Conn, owner: str, *, since: datetime, until: datetime, notes: int) -> RoomRead:
    """The owner's room in [since, until]: its enters and leaves, what matters about everyone
    present, and the session's payments. Two statements in one round trip (pipeline: under load
    each wait for the server costs more than its work); rows as tuples (500 people every
    2 seconds)."""
    params = {"owner": owner, "since": since, "until": until, "notes": notes}
    with conn.pipeline():
        seen = conn.cursor(row_factory=tuple_row)
        seen.execute(_ROOM, params)
        sums = conn.cursor(row_factory=tuple_row)
        sums.execute(_TOTALS, params)
    listed: list[PresenceEvent] = []
    excluded: list[PresenceEvent] = []
    people: dict[int, Known] = {}
    for (
        person, at, entered, event_id, is_excluded, here, username, flags,
        visits, tokens, previous, joined, session_tokens, texts, list_ids, list_names,
        keys, values, confidences,
    ) in seen:  # fmt: skip
        if not here:
            (excluded if is_excluded else listed).append(
                PresenceEvent(person, at, entered, event_id)
            )
            continue
        user = from_json(flags) if flags is not None else None
        listed.append(
            PresenceEvent(person, at, entered, event_id, user if isinstance(user, dict) else {})
        )
        people[person] = Known(
            username=username,
            visits=int(visits or 0),
            tokens=int(tokens or 0),
            session_tokens=int(session_tokens or 0),
            previous_visit_at=previous,
            fan_club_joined=joined,
            notes=tuple(texts[:notes]) if texts else (),
            watchlists=tuple(zip(list_ids, list_names, strict=True)) if list_ids else (),
            attributes=tuple(zip(keys, values, confidences, strict=True)) if keys else (),
        )
    row = sums.fetchone()
    assert row is not None
    return RoomRead(listed, excluded, people, RoomTotals(*(int(v) for v in row)))


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
    #: payment with tokens once, as every figure counts them; the `person_rooms` summary).
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
               LEFT JOIN person_rooms t
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
