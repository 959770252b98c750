"""SQL for behavioural analysis (issue 17): the aggregates insights, the audience and recaps
are computed from, read where the data is.

They read the summaries migration 0015 keeps with every insert (`payments`,
`room_payment_quarters`, `person_activity_quarters`, `person_rooms`, `session_attendance`) and
two narrow partial indexes (enter/leave, follows), so a regular with 100,000 interactions costs
a few thousand index entries, not a scan of their history.

What counts, as everywhere (`counted_interactions`): a person's own figures cover every row of
their group (`ids`: `persons.group_ids`) with anonymous tips left out and only their own
actions (`mhc_is_own_action`); audience figures map each row to its survivor, leave excluded
persons and the owner out, and count anonymous tips for the room only. Times are half-open
ranges unless a function says otherwise; local hours use PostgreSQL's zone database with the
IANA name the domain validated.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.statistics import Distribution

#: The person a summary row counts as (`x.person_id` is the row that inserted it).
SURVIVOR = "coalesce(r.merged_into, r.id)"
QUARTER = timedelta(minutes=15)
_EPOCH_QUARTER = datetime.fromisoformat("2000-01-03T00:00:00+00:00")


def quarter_of(at: datetime) -> datetime:
    """The start of the 15-minute bucket holding `at` (as `mhc_quarter` in SQL)."""
    return at - (at - _EPOCH_QUARTER) % QUARTER


@dataclass(frozen=True, slots=True)
class SessionSpan:
    id: int
    started_at: datetime
    #: None while the session is live.
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attendance:
    """One person's own actions in one session (their rows summed)."""

    session_id: int
    actions: int
    chat_messages: int
    private_messages: int
    tips: int
    tokens: int
    media_purchases: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class Presence:
    """Enter/leave paired in SQL by the rule of `domain.analysis.presence` (its
    `PresenceSummary`, with the session start still to add for a leave first)."""

    session_id: int
    leave_first: bool
    first_at: datetime
    open_seconds: float
    duplicate_enters: int
    orphan_leaves: int
    open_at_end: bool


@dataclass(frozen=True, slots=True)
class PersonPayments:
    #: (tokens, tips) of named tips to the owner.
    tip_sizes: list[tuple[int, int]]
    tokens_by_kind: dict[str, int]
    payments_by_kind: dict[str, int]
    #: Where the payments were recorded (`interactions.source`).
    sources: frozenset[str]
    first_tip_at: datetime | None
    last_tip_at: datetime | None
    first_payment_at: datetime | None
    tokens_last_30d: int
    tokens_prior_30d: int
    tokens_since_rfm: int
    #: Named tokens per calendar month in the owner's timezone ("2026-04"), oldest first.
    monthly: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class RoomActivity:
    first_at: datetime | None
    last_at: datetime | None
    private_messages_in: int
    private_messages_out: int


# -- one person ------------------------------------------------------------------------------
def first_seen(conn: Conn, ids: Sequence[int]) -> datetime | None:
    row = conn.execute(
        "SELECT min(first_seen_at) AS at FROM persons WHERE id = ANY(%s)", (list(ids),)
    ).fetchone()
    return None if row is None else row["at"]


def person_payments(
    conn: Conn,
    ids: Sequence[int],
    owner: str,
    *,
    as_of: datetime,
    rfm_since: datetime,
    window: timedelta,
    tz: str,
) -> PersonPayments:
    """Named payments to the owner up to `as_of` (inclusive), by kind and tip size and by
    calendar month in `tz`, in one pass; the two windows are (as_of - window, as_of] and the
    one before it, as `domain.analysis.spending`."""
    rows = conn.execute(
        """SELECT kind, tokens, source,
                  to_char(date_trunc('month', occurred_at, %(tz)s) AT TIME ZONE %(tz)s,
                          'YYYY-MM') AS month,
                  count(*) AS n, min(occurred_at) AS first_at, max(occurred_at) AS last_at,
                  coalesce(sum(tokens), 0) AS total,
                  coalesce(sum(tokens) FILTER (WHERE occurred_at > %(last)s), 0) AS last_30,
                  coalesce(sum(tokens) FILTER (WHERE occurred_at > %(prior)s
                                                 AND occurred_at <= %(last)s), 0) AS prior_30,
                  coalesce(sum(tokens) FILTER (WHERE occurred_at >= %(rfm)s), 0) AS rfm
           FROM payments
           WHERE person_id = ANY(%(ids)s) AND broadcaster = %(owner)s AND NOT is_anonymous
             AND occurred_at <= %(as_of)s
           GROUP BY GROUPING SETS ((kind, tokens, source), (4))
           ORDER BY month""",
        {
            "ids": list(ids),
            "owner": owner,
            "as_of": as_of,
            "last": as_of - window,
            "prior": as_of - 2 * window,
            "rfm": rfm_since,
            "tz": tz,
        },
    ).fetchall()
    sizes: list[tuple[int, int]] = []
    by_kind: dict[str, int] = {}
    count_by_kind: dict[str, int] = {}
    sources: set[str] = set()
    monthly: list[tuple[str, int]] = []
    first_tip = last_tip = first_payment = None
    last_30 = prior_30 = rfm = 0
    for row in rows:
        if row["kind"] is None:
            monthly.append((str(row["month"]), int(row["total"])))
            continue
        tokens, n = int(row["tokens"]), int(row["n"])
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + tokens * n
        count_by_kind[row["kind"]] = count_by_kind.get(row["kind"], 0) + n
        sources.add(row["source"])
        last_30 += int(row["last_30"])
        prior_30 += int(row["prior_30"])
        rfm += int(row["rfm"])
        first_payment = _min(first_payment, row["first_at"])
        if row["kind"] == "tip":
            sizes.append((tokens, n))
            first_tip = _min(first_tip, row["first_at"])
            last_tip = _max(last_tip, row["last_at"])
    return PersonPayments(
        tip_sizes=sizes,
        tokens_by_kind=by_kind,
        payments_by_kind=count_by_kind,
        sources=frozenset(sources),
        first_tip_at=first_tip,
        last_tip_at=last_tip,
        first_payment_at=first_payment,
        tokens_last_30d=last_30,
        tokens_prior_30d=prior_30,
        tokens_since_rfm=rfm,
        monthly=monthly,
    )


def activity_grid(
    conn: Conn, ids: Sequence[int], *, tz: str, until: datetime
) -> tuple[list[tuple[int, int, int]], datetime | None]:
    """Distinct local clock hours with any own action of theirs (any room), per (day 0-6
    Monday first, hour): 15-minute buckets fall wholly inside one local hour in every zone. A
    repeated hour on the night clocks go back is two hours (two distinct hour starts). Also
    the first bucket counted."""
    rows = conn.execute(
        """WITH h AS (
               SELECT DISTINCT date_trunc('hour', quarter, %(tz)s) AS h
               FROM person_activity_quarters
               WHERE person_id = ANY(%(ids)s) AND quarter < %(until)s)
           SELECT extract(isodow FROM h AT TIME ZONE %(tz)s)::int - 1 AS day,
                  extract(hour FROM h AT TIME ZONE %(tz)s)::int AS hour,
                  count(*) AS hours, min(h) AS since
           FROM h GROUP BY 1, 2""",
        {"ids": list(ids), "tz": tz, "until": until},
    ).fetchall()
    since = min((row["since"] for row in rows), default=None)
    return [(int(r["day"]), int(r["hour"]), int(r["hours"])) for r in rows], since


def sessions(conn: Conn, *, until: datetime | None = None) -> list[SessionSpan]:
    """The owner's sessions started before `until` (all when None), oldest first."""
    rows = conn.execute(
        """SELECT id, started_at, ended_at FROM stream_sessions
           WHERE %(until)s::timestamptz IS NULL OR started_at < %(until)s
           ORDER BY started_at, id""",
        {"until": until},
    ).fetchall()
    return [SessionSpan(int(r["id"]), r["started_at"], r["ended_at"]) for r in rows]


def attendance(conn: Conn, ids: Sequence[int], owner: str) -> dict[int, Attendance]:
    """The sessions the person attended (at least one own action in the owner's room)."""
    rows = conn.execute(
        """SELECT session_id, sum(actions) AS actions, sum(chat_messages) AS chat_messages,
                  sum(private_messages) AS private_messages, sum(tips) AS tips,
                  sum(tokens) AS tokens, sum(media_purchases) AS media_purchases,
                  min(first_at) AS first_at, max(last_at) AS last_at
           FROM session_attendance
           WHERE person_id = ANY(%(ids)s) AND broadcaster = %(owner)s
           GROUP BY session_id HAVING sum(actions) > 0""",
        {"ids": list(ids), "owner": owner},
    ).fetchall()
    return {
        int(r["session_id"]): Attendance(
            session_id=int(r["session_id"]),
            actions=int(r["actions"]),
            chat_messages=int(r["chat_messages"]),
            private_messages=int(r["private_messages"]),
            tips=int(r["tips"]),
            tokens=int(r["tokens"]),
            media_purchases=int(r["media_purchases"]),
            first_at=r["first_at"],
            last_at=r["last_at"],
        )
        for r in rows
    }


#: Enter/leave of one person per session, paired by the documented rule: after an enter they
#: are present until the next event (or the session end); a leave first means present from the
#: start; an enter after an enter is a duplicate, a leave after a leave an orphan. Events at
#: one instant keep the feed's order (id). The first event is the one without a previous, the
#: last the one without a next.
_PAIRING = """
    e AS (
        SELECT s.id AS session_id, s.ended_at, i.occurred_at AS at,
               i.type = 'USER_ENTER' AS is_enter,
               lag(i.type = 'USER_ENTER') OVER w AS prev_enter,
               lead(i.occurred_at) OVER w AS next_at{extra}
        FROM s JOIN interactions i
          ON i.type IN ('USER_ENTER', 'USER_LEAVE') AND i.broadcaster = %(owner)s
         AND i.occurred_at >= s.started_at AND i.occurred_at < s.ended_at{person}
        WINDOW w AS (PARTITION BY s.id{partition} ORDER BY i.occurred_at, i.id))"""


def presence(
    conn: Conn,
    ids: Sequence[int],
    owner: str,
    spans: Sequence[SessionSpan],
    *,
    now: datetime,
) -> dict[int, Presence]:
    """The person's enter/leave in each of `spans` (a live one ends `now`), paired."""
    if not spans:
        return {}
    rows = conn.execute(
        f"""WITH s AS (
                SELECT v.id, v.started_at, coalesce(v.ended_at, %(now)s) AS ended_at
                FROM unnest(%(sid)s::bigint[], %(start)s::timestamptz[], %(end)s::timestamptz[])
                     AS v(id, started_at, ended_at)),
            {_PAIRING.format(partition="", extra="", person=" AND i.person_id = ANY(%(ids)s)")}
            SELECT session_id,
                   bool_or(prev_enter IS NULL AND NOT is_enter) AS leave_first,
                   min(at) AS first_at,
                   coalesce(sum(extract(epoch FROM coalesce(next_at, ended_at) - at))
                            FILTER (WHERE is_enter), 0) AS open_seconds,
                   count(*) FILTER (WHERE is_enter AND prev_enter) AS duplicate_enters,
                   count(*) FILTER (WHERE NOT is_enter AND NOT prev_enter) AS orphan_leaves,
                   bool_or(next_at IS NULL AND is_enter) AS open_at_end
            FROM e GROUP BY session_id""",
        {
            "now": now,
            "sid": [s.id for s in spans],
            "start": [s.started_at for s in spans],
            "end": [s.ended_at for s in spans],
            "owner": owner,
            "ids": list(ids),
        },
    ).fetchall()
    return {
        int(r["session_id"]): Presence(
            session_id=int(r["session_id"]),
            leave_first=bool(r["leave_first"]),
            first_at=r["first_at"],
            open_seconds=float(r["open_seconds"]),
            duplicate_enters=int(r["duplicate_enters"]),
            orphan_leaves=int(r["orphan_leaves"]),
            open_at_end=bool(r["open_at_end"]),
        )
        for r in rows
    }


def follows(
    conn: Conn, ids: Sequence[int], owner: str, *, until: datetime
) -> list[tuple[datetime, str]]:
    """Their follows, unfollows and fan-club joins in the owner's room, oldest first."""
    # In the owner's room the follower is always the person (the feed's user): no owner's
    # action hides among them, so the partial index answers alone.
    rows = conn.execute(
        """SELECT occurred_at, type FROM interactions
           WHERE person_id = ANY(%(ids)s) AND type IN ('FOLLOW', 'UNFOLLOW', 'FANCLUB_JOIN')
             AND broadcaster = %(owner)s AND occurred_at <= %(until)s
           ORDER BY occurred_at, id""",
        {"ids": list(ids), "owner": owner, "until": until},
    ).fetchall()
    return [(r["occurred_at"], str(r["type"])) for r in rows]


def room_activity(conn: Conn, ids: Sequence[int], owner: str) -> RoomActivity:
    row = conn.execute(
        """SELECT min(first_at) AS first_at, max(last_at) AS last_at,
                  coalesce(sum(private_messages_in), 0) AS pm_in,
                  coalesce(sum(private_messages_out), 0) AS pm_out
           FROM person_rooms WHERE person_id = ANY(%(ids)s) AND broadcaster = %(owner)s""",
        {"ids": list(ids), "owner": owner},
    ).fetchone()
    assert row is not None
    return RoomActivity(row["first_at"], row["last_at"], int(row["pm_in"]), int(row["pm_out"]))


# -- the room's income -----------------------------------------------------------------------
def _excluded_rows(conn: Conn, owner: str) -> list[int]:
    """Person rows whose payments the audience does not count: excluded persons and the rows
    merged into one, and the owner's (the survivor decides, as in `counted_interactions`)."""
    rows = conn.execute(
        """WITH out AS (
               SELECT id FROM persons WHERE is_excluded AND merged_into IS NULL
               UNION
               SELECT id FROM persons WHERE username = %s AND merged_into IS NULL)
           SELECT id FROM out
           UNION
           SELECT r.id FROM persons r JOIN out ON r.merged_into = out.id""",
        (owner,),
    ).fetchall()
    return [int(row["id"]) for row in rows]


def room_income(
    conn: Conn,
    owner: str,
    *,
    since: datetime,
    until: datetime,
    tz: str,
    include_since: bool = True,
    include_until: bool = False,
) -> list[tuple[int, int, int]]:
    """Everything the owner's room earned between `since` and `until` (anonymous tips
    included, excluded persons left out), as (day, hour, tokens) in `tz`'s local hours.

    Whole quarter hours come from `room_payment_quarters`, the partial ones at both ends from
    `payments`, and the excluded persons' own payments are taken back out the same way
    (`person_payment_quarters`), so the figure is exact at any instant and costs about the
    same for a month as for a day.
    """
    first_full = quarter_of(since) + QUARTER
    last_full_end = quarter_of(until)
    left = ">=" if include_since else ">"
    right = "<=" if include_until else "<"
    if first_full > last_full_end:  # both ends in one quarter: payments only
        first_full = last_full_end = until
    rows = conn.execute(
        f"""WITH parts AS (
                SELECT quarter AS at, tokens FROM room_payment_quarters
                WHERE broadcaster = %(owner)s AND quarter >= %(first_full)s
                  AND quarter < %(last_full_end)s
                UNION ALL
                SELECT occurred_at, tokens FROM payments
                WHERE broadcaster = %(owner)s
                  AND ((occurred_at {left} %(since)s AND occurred_at < %(first_full)s)
                       OR (occurred_at >= %(last_full_end)s AND occurred_at {right} %(until)s))
                UNION ALL
                SELECT quarter, -tokens FROM person_payment_quarters
                WHERE person_id = ANY(%(excluded)s) AND broadcaster = %(owner)s
                  AND quarter >= %(first_full)s AND quarter < %(last_full_end)s
                UNION ALL
                SELECT occurred_at, -tokens FROM payments
                WHERE person_id = ANY(%(excluded)s) AND broadcaster = %(owner)s
                  AND ((occurred_at {left} %(since)s AND occurred_at < %(first_full)s)
                       OR (occurred_at >= %(last_full_end)s AND occurred_at {right} %(until)s)))
            SELECT extract(isodow FROM at AT TIME ZONE %(tz)s)::int - 1 AS day,
                   extract(hour FROM at AT TIME ZONE %(tz)s)::int AS hour,
                   sum(tokens) AS tokens
            FROM parts GROUP BY 1, 2""",
        {
            "owner": owner,
            "since": since,
            "until": until,
            "first_full": first_full,
            "last_full_end": last_full_end,
            "excluded": _excluded_rows(conn, owner),
            "tz": tz,
        },
    ).fetchall()
    return [(int(r["day"]), int(r["hour"]), int(r["tokens"])) for r in rows if r["tokens"]]


# -- the audience ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Visitor:
    """One person's figures over a window (survivor id; excluded persons and the owner never)."""

    person_id: int
    sessions: int
    last_visit_at: datetime | None
    tokens: int
    tips: int
    first_visit_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Cutoffs:
    n: int
    recency_days: tuple[float, float, float, float]
    frequency: tuple[float, float, float, float]
    monetary: tuple[float, float, float, float]


_COUNTED = "NOT p.is_excluded AND p.username <> %(owner)s"

#: Rows of merged persons with the survivor they count as (a survivor maps to itself), and the
#: persons the audience leaves out (excluded ones and the owner). Both are small: every other
#: row is its own person, so the large aggregates below never join `persons`.
_GROUPS = """
    groups AS (
        SELECT id AS row_id, merged_into AS pid FROM persons WHERE merged_into IS NOT NULL
        UNION
        SELECT merged_into, merged_into FROM persons WHERE merged_into IS NOT NULL),
    out AS (
        SELECT id FROM persons
        WHERE (is_excluded OR username = %(owner)s) AND merged_into IS NULL)"""

#: Per person (survivor) over a set of sessions and a time window: sessions attended, the last
#: own action in them, named tokens and tips; excluded persons and the owner left out. Rows of
#: unmerged persons (nearly all) are aggregated as they are, each table once, and joined by
#: hash; merged groups (few) are read through their rows by index, a session counted once per
#: group. The same pass over the attendance counts each session's rows (`counted_all`'s rows
#: with a `session_id`): with the rows of merged and left-out persons taken back out and each
#: merged group counted once (`session_visitors`), the people with an own action in each
#: session.
_VISITORS = f"""{_GROUPS},
    skip AS (  -- rows not counted as themselves: merged groups' rows, excluded ones, the owner
        SELECT row_id AS id FROM groups UNION ALL SELECT id FROM out),
    counted_all AS (
        SELECT coalesce(a.pid, y.pid) AS pid, a.session_id, coalesce(a.sessions, 0) AS sessions,
               a.last_at, coalesce(y.tokens, 0) AS tokens, coalesce(y.tips, 0) AS tips
        FROM (SELECT person_id AS pid, session_id, count(*) AS sessions,
                     max(last_at) AS last_at
              FROM session_attendance
              WHERE broadcaster = %(owner)s AND actions > 0 AND session_id = ANY(%(sessions)s)
              GROUP BY GROUPING SETS ((person_id), (session_id))) a
        FULL JOIN (
              SELECT person_id AS pid, sum(tokens)::bigint AS tokens,
                     count(*) FILTER (WHERE kind = 'tip') AS tips
              FROM payments
              WHERE broadcaster = %(owner)s AND NOT is_anonymous
                AND occurred_at >= %(since)s AND occurred_at < %(until)s
              GROUP BY person_id) y ON y.pid = a.pid
        WHERE a.session_id IS NOT NULL OR coalesce(a.pid, y.pid) NOT IN (SELECT id FROM skip)
        UNION ALL
        SELECT g.pid, NULL, count(DISTINCT x.session_id), max(x.last_at),
               coalesce(sum(x.tokens), 0)::bigint, count(*) FILTER (WHERE x.kind = 'tip')
        FROM groups g CROSS JOIN LATERAL (
            SELECT sa.session_id, sa.last_at, NULL::bigint AS tokens, NULL AS kind
            FROM session_attendance sa
            WHERE sa.person_id = g.row_id AND sa.broadcaster = %(owner)s AND sa.actions > 0
              AND sa.session_id = ANY(%(sessions)s)
            UNION ALL
            SELECT NULL, NULL, y.tokens, y.kind
            FROM payments y
            WHERE y.person_id = g.row_id AND y.broadcaster = %(owner)s AND NOT y.is_anonymous
              AND y.occurred_at >= %(since)s AND y.occurred_at < %(until)s) x
        WHERE g.pid NOT IN (SELECT id FROM out)
        GROUP BY g.pid),
    counted AS NOT MATERIALIZED (
        SELECT pid, sessions, last_at, tokens, tips FROM counted_all WHERE session_id IS NULL),
    session_visitors AS (
        SELECT session_id, sum(n) AS visitors FROM (
            SELECT session_id, sessions AS n FROM counted_all WHERE session_id IS NOT NULL
            UNION ALL
            SELECT session_id, -count(*) FROM session_attendance
            WHERE person_id IN (SELECT id FROM skip) AND broadcaster = %(owner)s
              AND actions > 0 AND session_id = ANY(%(sessions)s)
            GROUP BY session_id
            UNION ALL
            SELECT sa.session_id, count(DISTINCT g.pid)
            FROM groups g JOIN session_attendance sa ON sa.person_id = g.row_id
            WHERE sa.broadcaster = %(owner)s AND sa.actions > 0
              AND sa.session_id = ANY(%(sessions)s) AND g.pid NOT IN (SELECT id FROM out)
            GROUP BY sa.session_id) v
        GROUP BY session_id)"""


#: Each person's attendance over the window's sessions, by the rules of
#: `domain.analysis.loyalty.attendance` (tests compare the two): sessions ordered by start;
#: eligible = attended, live, or ended after the person was first seen, less a live session
#: not joined yet at the end; gaps between consecutive attended sessions in sessions; the
#: usual gap is their type-7 median, withheld below 5 gaps; sessions since the last visit.
#: `people` is a CTE of survivor ids with the figures to carry along (pid, sessions, last_at,
#: tokens, tips, first_at; NULL when there are none; a person may have several rows, their
#: figures are taken together); needs `groups`, %(sessions)s, %(owner)s, %(since)s, %(min)s.
#:
#: Everything is one stream keyed by survivor, aggregated once: `people`'s own rows, the first
#: sighting of each of their person rows and each session they attended (rows read by index
#: through the rows' ids). Nothing joins `people` or another per-person set: the planner
#: cannot estimate those CTEs, and a nested loop between two of them was quadratic (1 s for
#: 220 regulars when an estimate moved).
_ATTENDANCE = """
    w AS (
        SELECT id, ended_at, row_number() OVER (ORDER BY started_at, id) AS ord
        FROM stream_sessions WHERE id = ANY(%(sessions)s)),
    wn AS (
        SELECT count(*) AS total,
               coalesce(bool_or(ended_at IS NULL AND ord = (SELECT max(ord) FROM w)), false)
                   AS live_last,
               coalesce(array_agg(ended_at ORDER BY ended_at)
                            FILTER (WHERE ended_at IS NOT NULL), '{}') AS ends
        FROM w),
    prow AS (  -- the person rows of `people` (every row of a merged group)
        SELECT pid AS row_id FROM people WHERE pid NOT IN (SELECT pid FROM groups)
        UNION ALL
        SELECT g.row_id FROM groups g WHERE g.pid IN (SELECT pid FROM people)),
    went AS (
        SELECT pid, NULL::bigint AS ord, NULL::timestamptz AS ended_at,
               NULL::timestamptz AS seen, sessions, last_at, tokens, tips, first_at
        FROM people
        UNION ALL
        SELECT coalesce(p.merged_into, p.id), NULL, NULL, p.first_seen_at, NULL, NULL, NULL,
               NULL, NULL
        FROM persons p WHERE p.id = ANY(ARRAY(SELECT row_id FROM prow))
        UNION ALL
        SELECT * FROM (  -- a session once per survivor (a merged group can have two rows)
            SELECT DISTINCT coalesce(g.pid, sa.person_id), w.ord, w.ended_at,
                   NULL::timestamptz, NULL::bigint, NULL::timestamptz, NULL::bigint,
                   NULL::bigint, NULL::timestamptz
            FROM session_attendance sa
            JOIN w ON w.id = sa.session_id
            LEFT JOIN groups g ON g.row_id = sa.person_id
            WHERE sa.person_id = ANY(ARRAY(SELECT row_id FROM prow))
              AND sa.broadcaster = %(owner)s AND sa.actions > 0) a),
    gap AS (  -- sessions in order (the other rows have no `ord` and sort last)
        SELECT went.*, ord - lag(ord) OVER (PARTITION BY pid ORDER BY ord) AS gap,
               coalesce(min(seen) OVER (PARTITION BY pid), %(since)s) AS f
        FROM went),
    per AS (
        SELECT pid, coalesce(max(sessions), 0) AS sessions, max(last_at) AS last_at,
               coalesce(max(tokens), 0) AS tokens, coalesce(max(tips), 0) AS tips,
               max(first_at) AS first_at, min(f) AS f,
               count(ord) AS attended, count(gap) AS gaps, max(ord) AS last_ord,
               count(*) FILTER (WHERE ended_at < f) AS before_seen,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)
                   FILTER (WHERE gap IS NOT NULL) AS median_gap
        FROM gap GROUP BY pid),
    stats AS (
        SELECT x.pid, x.sessions, x.last_at, x.tokens, x.tips, x.first_at, x.attended, x.gaps,
               CASE WHEN x.gaps >= 5 THEN x.median_gap END AS usual_gap,
               wn.total
                 - width_bucket(x.f - interval '1 microsecond', wn.ends)
                 + x.before_seen
                 - CASE WHEN wn.live_last AND coalesce(x.last_ord, 0) < wn.total THEN 1 ELSE 0 END
                   AS eligible,
               CASE WHEN x.last_ord IS NOT NULL THEN
                   wn.total - x.last_ord
                   - CASE WHEN wn.live_last AND x.last_ord < wn.total THEN 1 ELSE 0 END
               END AS since_last
        FROM per x CROSS JOIN wn),
    judged AS (
        SELECT st.*,
               st.attended >= %(min)s
                   AND st.attended >= 0.25 * greatest(st.eligible, st.attended) AS regular
        FROM stats st),
    flagged AS (
        SELECT j.*, j.regular AND j.usual_gap IS NOT NULL
                    AND j.since_last + 1 > 2 * j.usual_gap AS at_risk
        FROM judged j)"""


@dataclass(frozen=True, slots=True)
class AttendanceStats:
    """A person's attendance over the window's sessions (see `_ATTENDANCE`)."""

    attended: int
    eligible: int
    gaps: int
    usual_gap: float | None
    sessions_since_last_visit: int | None
    regular: bool
    at_risk: bool


def _stats(row: dict[str, Any]) -> AttendanceStats:
    gap = row.get("usual_gap")
    since = row.get("since_last")
    return AttendanceStats(
        attended=int(row["attended"]),
        eligible=int(row["eligible"]),
        gaps=int(row["gaps"]),
        usual_gap=None if gap is None else float(gap),
        sessions_since_last_visit=None if since is None else int(since),
        regular=bool(row["regular"]),
        at_risk=bool(row["at_risk"]),
    )


def attendance_stats(
    conn: Conn,
    owner: str,
    person_ids: Sequence[int],
    *,
    session_ids: Sequence[int],
    since: datetime,
    regular_min_sessions: int,
) -> dict[int, AttendanceStats]:
    """The attendance figures of these persons (survivor ids) over the window's sessions."""
    if not person_ids:
        return {}
    rows = conn.execute(
        f"""WITH {_GROUPS},
            people AS (
                SELECT DISTINCT unnest(%(pids)s::bigint[]) AS pid, NULL::bigint AS sessions,
                       NULL::timestamptz AS last_at, NULL::bigint AS tokens,
                       NULL::bigint AS tips, NULL::timestamptz AS first_at),
            {_ATTENDANCE}
            SELECT * FROM flagged""",
        {
            "owner": owner,
            "pids": list(person_ids),
            "sessions": list(session_ids),
            "since": since,
            "min": regular_min_sessions,
        },
    ).fetchall()
    return {int(r["pid"]): _stats(r) for r in rows}


def _visitor(row: dict[str, Any]) -> Visitor:
    def at(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return Visitor(
        person_id=int(row["pid"]),
        sessions=int(row["sessions"]),
        last_visit_at=at(row.get("last_at")),
        tokens=int(row["tokens"]),
        tips=int(row["tips"]),
        first_visit_at=at(row.get("first_at")),
    )


@dataclass(frozen=True, slots=True)
class AudienceRows:
    #: People who attended a session or paid in the window.
    people: int
    #: RFM edges over those who attended a session (None: nobody did).
    cutoffs: Cutoffs | None
    #: Every list's people carry their attendance figures (the loyalty rule of the window).
    #: The top spenders, by tokens then id.
    spenders: list[tuple[Visitor, AttendanceStats]]
    #: The regulars with most sessions, and the regulars at risk with most sessions missed,
    #: and how many of each there are.
    regulars: list[tuple[Visitor, AttendanceStats]]
    regulars_total: int
    at_risk: list[tuple[Visitor, AttendanceStats]]
    at_risk_total: int
    #: How many were first seen in the room in the window, and the newest of them.
    newcomers_total: int
    newcomers: list[tuple[Visitor, AttendanceStats]]
    #: People with an own action in each of the window's sessions (none: not there).
    session_visitors: dict[int, int]


#: The quintiles of the RFM edges.
_QUINTILES = (0.2, 0.4, 0.6, 0.8)
#: Memory for the audience statement's sorts and hash tables (PostgreSQL's default is 4 MB).
AUDIENCE_WORK_MEM = "16MB"


def audience(
    conn: Conn,
    owner: str,
    *,
    session_ids: Sequence[int],
    since: datetime,
    until: datetime,
    top: int,
    regular_min_sessions: int,
) -> AudienceRows:
    """Everything the audience lists need, in one statement (the per-person figures are
    computed once, and the listed people's attendance with them). Quintiles are type 7
    (`percentile_cont`'s rule; `Distribution.quantile` over the histograms of sessions and
    tokens; the recency edges from the order statistics they fall between). Newcomers: first
    own action in the owner's room ever within [since, until], newest first, ties by id."""
    # Its hash tables and the per-person table (~15 MB for 100,000 people) would otherwise
    # spill to temporary files; for this transaction only.
    conn.execute("SELECT set_config('work_mem', %s, true)", (AUDIENCE_WORK_MEM,))
    row = conn.execute(
        f"""WITH {_VISITORS},
            -- Newcomers: unmerged persons from the index on (room, first_at), a merged group
            -- by its earliest row.
            group_first AS (
                SELECT g.pid, min(pr.first_at) AS first_at
                FROM groups g JOIN person_rooms pr ON pr.person_id = g.row_id
                WHERE pr.broadcaster = %(owner)s AND g.pid NOT IN (SELECT id FROM out)
                GROUP BY g.pid
                HAVING min(pr.first_at) >= %(since)s AND min(pr.first_at) <= %(until)s),
            newest AS (
                SELECT * FROM (
                    (SELECT person_id AS pid, first_at FROM person_rooms
                     WHERE broadcaster = %(owner)s AND first_at >= %(since)s
                       AND first_at <= %(until)s AND person_id NOT IN (SELECT id FROM skip)
                     ORDER BY first_at DESC, person_id LIMIT %(top)s)
                    UNION ALL
                    SELECT pid, first_at FROM group_first) n
                ORDER BY first_at DESC, pid LIMIT %(top)s),
            spenders AS (
                SELECT pid FROM counted WHERE tokens > 0 ORDER BY tokens DESC, pid LIMIT %(top)s),
            -- Everyone a list may show: the regulars' candidates, the top spenders and the
            -- newest (the newest once more with their first visit, and even with nothing in
            -- the window).
            people AS (
                SELECT pid, sessions, last_at, tokens, tips, NULL::timestamptz AS first_at
                FROM counted
                WHERE sessions >= %(min)s OR pid IN (SELECT pid FROM spenders)
                   OR pid IN (SELECT pid FROM newest)
                UNION ALL
                SELECT pid, NULL, NULL, NULL, NULL, first_at FROM newest),
            {_ATTENDANCE},
            head AS (
                SELECT count(*) AS people, count(*) FILTER (WHERE sessions > 0) AS visitors
                FROM counted),
            -- The order statistics of the visitors' last visits, latest first, between which
            -- each recency quintile falls (`percentile_disc` at the middle of each rank:
            -- `percentile_cont` would sort a float per person).
            ranks AS (
                SELECT array_agg((r + 0.5) / h.visitors ORDER BY n, r) AS at
                FROM head h,
                     unnest(%(quintiles)s::float8[]) WITH ORDINALITY q(p, n),
                     LATERAL (VALUES (floor((h.visitors - 1) * q.p)),
                                     (ceil((h.visitors - 1) * q.p))) v(r)
                WHERE h.visitors > 0),
            -- the sessions' and tokens' histograms of the visitors, in one pass
            histograms AS (
                SELECT grouping(tokens) = 1 AS of_sessions, sessions, tokens, count(*) AS n
                FROM counted WHERE sessions > 0
                GROUP BY GROUPING SETS ((sessions), (tokens)))
            SELECT head.*,
                   (SELECT percentile_disc((SELECT at FROM ranks))
                               WITHIN GROUP (ORDER BY last_at DESC)
                    FROM counted WHERE sessions > 0) AS last_visits,
                   (SELECT json_agg(json_build_array(sessions, n)) FROM histograms
                    WHERE of_sessions) AS frequency,
                   (SELECT json_agg(json_build_array(tokens, n)) FROM histograms
                    WHERE NOT of_sessions) AS monetary,
                   -- every first action in the window, less the rows of excluded and merged
                   -- persons, plus the merged groups
                   (SELECT count(*) FROM person_rooms
                    WHERE broadcaster = %(owner)s AND first_at >= %(since)s
                      AND first_at <= %(until)s)
                   - (SELECT count(*) FROM person_rooms
                      WHERE person_id IN (SELECT id FROM skip) AND broadcaster = %(owner)s
                        AND first_at >= %(since)s AND first_at <= %(until)s)
                   + (SELECT count(*) FROM group_first) AS newcomers_total,
                   (SELECT coalesce(json_agg(f ORDER BY f.first_at DESC, f.pid), '[]')
                    FROM flagged f WHERE f.first_at IS NOT NULL) AS newcomers,
                   (SELECT coalesce(json_agg(f ORDER BY f.tokens DESC, f.pid), '[]')
                    FROM flagged f WHERE f.pid IN (SELECT pid FROM spenders)) AS spenders,
                   (SELECT coalesce(json_agg(g ORDER BY g.attended DESC, g.pid), '[]') FROM (
                        SELECT * FROM flagged WHERE regular
                        ORDER BY attended DESC, pid LIMIT %(top)s) g) AS regulars,
                   (SELECT count(*) FROM flagged WHERE regular) AS regulars_total,
                   (SELECT coalesce(json_agg(g ORDER BY g.since_last DESC, g.pid), '[]') FROM (
                        SELECT * FROM flagged WHERE at_risk
                        ORDER BY since_last DESC, pid LIMIT %(top)s) g) AS at_risk,
                   (SELECT count(*) FROM flagged WHERE at_risk) AS at_risk_total,
                   (SELECT coalesce(json_agg(json_build_array(session_id, visitors)), '[]')
                    FROM session_visitors) AS session_visitors
            FROM head""",
        {
            "owner": owner,
            "sessions": list(session_ids),
            "since": since,
            "until": until,
            "top": top,
            "min": regular_min_sessions,
            "quintiles": list(_QUINTILES),
        },
    ).fetchone()
    assert row is not None
    cutoffs = None
    if row["visitors"]:
        cutoffs = Cutoffs(
            n=int(row["visitors"]),
            recency_days=_recency_days(int(row["visitors"]), row["last_visits"], until),
            frequency=_quintiles(row["frequency"]),
            monetary=_quintiles(row["monetary"]),
        )

    def listed(rows: Any) -> list[tuple[Visitor, AttendanceStats]]:
        return [(_visitor(r), _stats(r)) for r in rows]

    return AudienceRows(
        people=int(row["people"]),
        cutoffs=cutoffs,
        spenders=listed(row["spenders"]),
        regulars=listed(row["regulars"]),
        regulars_total=int(row["regulars_total"]),
        at_risk=listed(row["at_risk"]),
        at_risk_total=int(row["at_risk_total"]),
        newcomers_total=int(row["newcomers_total"]),
        newcomers=listed(row["newcomers"]),
        session_visitors={int(sid): int(n) for sid, n in row["session_visitors"]},
    )


def _recency_days(
    n: int, last_visits: Sequence[datetime], until: datetime
) -> tuple[float, float, float, float]:
    """Type-7 quintiles of the days since each visitor's last visit (as `percentile_cont`
    computes them: h = (n - 1) p, between the order statistics floor(h) and ceil(h)), from
    those order statistics, latest visit first (the query's `ranks`)."""
    edges = []
    for k, p in enumerate(_QUINTILES):
        h = (n - 1) * p
        low, high = ((until - at).total_seconds() / 86400 for at in last_visits[2 * k : 2 * k + 2])
        edges.append(low + (h - math.floor(h)) * (high - low))
    return _four(edges)


def _quintiles(counts: Any) -> tuple[float, float, float, float]:
    """Type-7 quintile edges from (value, count) rows: a histogram is far smaller to sort
    than one value per person when values repeat (sessions, whole tokens)."""
    distribution = Distribution.from_counts((float(v), int(n)) for v, n in counts)
    return _four(distribution.quantile(q) for q in (0.2, 0.4, 0.6, 0.8))


def _four(values: Any) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in values)
    return a, b, c, d


def session_tokens(
    conn: Conn, owner: str, spans: Sequence[SessionSpan], *, now: datetime
) -> dict[int, int]:
    """Everything paid in each session (anonymous tips included, excluded persons and the owner
    out); a live one ends `now`. (Its visitors come with the audience: `session_visitors`.)"""
    if not spans:
        return {}
    rows = conn.execute(
        """WITH s AS (
               SELECT v.id, v.started_at, coalesce(v.ended_at, %(now)s) AS ended_at
               FROM unnest(%(sid)s::bigint[], %(start)s::timestamptz[], %(end)s::timestamptz[])
                    AS v(id, started_at, ended_at))
           SELECT s.id,
                  (SELECT coalesce(sum(x.tokens), 0) FROM payments x
                   WHERE x.broadcaster = %(owner)s AND x.occurred_at >= s.started_at
                     AND x.occurred_at < s.ended_at
                     AND x.person_id <> ALL(%(excluded)s)) AS tokens
           FROM s""",
        {
            "now": now,
            "sid": [s.id for s in spans],
            "start": [s.started_at for s in spans],
            "end": [s.ended_at for s in spans],
            "owner": owner,
            "excluded": _excluded_rows(conn, owner),
        },
    ).fetchall()
    return {int(r["id"]): int(r["tokens"]) for r in rows}


# -- one session -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionPerson:
    """One person (survivor) in one session."""

    person_id: int
    actions: int
    chat_messages: int
    tips: int
    tokens: int
    follows: int
    unfollows: int
    anonymous_tips: int
    anonymous_tokens: int
    #: Their first own action in the owner's room ever (None: only anonymous tips).
    first_in_room_at: datetime | None


def session_people(conn: Conn, session_id: int, owner: str) -> list[SessionPerson]:
    rows = conn.execute(
        f"""WITH x AS (
                SELECT {SURVIVOR} AS pid, sum(sa.actions) AS actions,
                       sum(sa.chat_messages) AS chat_messages, sum(sa.tips) AS tips,
                       sum(sa.tokens) AS tokens, sum(sa.follows) AS follows,
                       sum(sa.unfollows) AS unfollows, sum(sa.anonymous_tips) AS anonymous_tips,
                       sum(sa.anonymous_tokens) AS anonymous_tokens
                FROM session_attendance sa JOIN persons r ON r.id = sa.person_id
                WHERE sa.session_id = %(sid)s AND sa.broadcaster = %(owner)s
                GROUP BY 1)
            SELECT x.*, (SELECT min(pr.first_at) FROM persons q
                         JOIN person_rooms pr ON pr.person_id = q.id
                         WHERE (q.id = x.pid OR q.merged_into = x.pid)
                           AND pr.broadcaster = %(owner)s) AS first_in_room_at
            FROM x JOIN persons p ON p.id = x.pid WHERE {_COUNTED}""",
        {"sid": session_id, "owner": owner},
    ).fetchall()
    return [
        SessionPerson(
            person_id=int(r["pid"]),
            actions=int(r["actions"]),
            chat_messages=int(r["chat_messages"]),
            tips=int(r["tips"]),
            tokens=int(r["tokens"]),
            follows=int(r["follows"]),
            unfollows=int(r["unfollows"]),
            anonymous_tips=int(r["anonymous_tips"]),
            anonymous_tokens=int(r["anonymous_tokens"]),
            first_in_room_at=r["first_in_room_at"],
        )
        for r in rows
    ]


def session_tips(
    conn: Conn, owner: str, span: SessionSpan, *, now: datetime
) -> list[tuple[int, int, bool]]:
    """(person survivor id, tokens, anonymous) of every tip in the session (excluded persons
    and the owner out)."""
    rows = conn.execute(
        f"""SELECT {SURVIVOR} AS pid, x.tokens, x.is_anonymous FROM payments x
            JOIN persons r ON r.id = x.person_id JOIN persons p ON p.id = {SURVIVOR}
            WHERE x.broadcaster = %(owner)s AND x.kind = 'tip'
              AND x.occurred_at >= %(start)s AND x.occurred_at < %(end)s AND {_COUNTED}
            ORDER BY x.occurred_at, x.interaction_id""",
        {"owner": owner, "start": span.started_at, "end": span.ended_at or now},
    ).fetchall()
    return [(int(r["pid"]), int(r["tokens"]), bool(r["is_anonymous"])) for r in rows]


def session_presence_events(
    conn: Conn, owner: str, span: SessionSpan, *, now: datetime
) -> dict[Hashable, list[tuple[datetime, bool]]]:
    """Everyone's enter/leave in the session (survivor ids), in the feed's order."""
    rows = conn.execute(
        f"""SELECT {SURVIVOR} AS pid, i.occurred_at, i.type = 'USER_ENTER' AS is_enter
            FROM interactions i JOIN persons r ON r.id = i.person_id
            JOIN persons p ON p.id = {SURVIVOR}
            WHERE i.broadcaster = %(owner)s AND i.type IN ('USER_ENTER', 'USER_LEAVE')
              AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s AND {_COUNTED}
            ORDER BY i.occurred_at, i.id""",
        {"owner": owner, "start": span.started_at, "end": span.ended_at or now},
    ).fetchall()
    events: dict[Hashable, list[tuple[datetime, bool]]] = {}
    for r in rows:
        events.setdefault(int(r["pid"]), []).append((r["occurred_at"], bool(r["is_enter"])))
    return events


def session_figures(
    conn: Conn, owner: str, spans: Sequence[SessionSpan], *, now: datetime
) -> dict[int, dict[str, float]]:
    """The recap's figures of each session, for the owner's median session: tokens and tips
    (anonymous included), chat messages, follows, unfollows, unique, new and returning
    visitors, peak concurrent viewers (the sweep of `domain.analysis.presence.peak_viewers`:
    leaves before enters at one instant, stays of no length count for nothing)."""
    if not spans:
        return {}
    params = {
        "now": now,
        "sid": [s.id for s in spans],
        "start": [s.started_at for s in spans],
        "end": [s.ended_at for s in spans],
        "owner": owner,
    }
    sessions_cte = """s AS (
        SELECT v.id, v.started_at, coalesce(v.ended_at, %(now)s) AS ended_at
        FROM unnest(%(sid)s::bigint[], %(start)s::timestamptz[], %(end)s::timestamptz[])
             AS v(id, started_at, ended_at))"""
    figures = conn.execute(
        f"""WITH {sessions_cte},
            x AS (
                SELECT sa.session_id, {SURVIVOR} AS pid, sum(sa.actions) AS actions,
                       sum(sa.chat_messages) AS chat, sum(sa.tips + sa.anonymous_tips) AS tips,
                       sum(sa.tokens + sa.anonymous_tokens) AS tokens,
                       sum(sa.follows) AS follows, sum(sa.unfollows) AS unfollows
                FROM session_attendance sa JOIN persons r ON r.id = sa.person_id
                WHERE sa.session_id IN (SELECT id FROM s) AND sa.broadcaster = %(owner)s
                GROUP BY 1, 2),
            y AS (
                SELECT x.*, (SELECT min(pr.first_at) FROM persons q
                             JOIN person_rooms pr ON pr.person_id = q.id
                             WHERE (q.id = x.pid OR q.merged_into = x.pid)
                               AND pr.broadcaster = %(owner)s) AS first_at
                FROM x JOIN persons p ON p.id = x.pid WHERE {_COUNTED})
            SELECT s.id, coalesce(sum(y.tokens), 0) AS tokens, coalesce(sum(y.tips), 0) AS tips,
                   coalesce(sum(y.chat), 0) AS chat_messages,
                   coalesce(sum(y.follows), 0) AS new_followers,
                   coalesce(sum(y.unfollows), 0) AS unfollows,
                   count(*) FILTER (WHERE y.actions > 0) AS unique_visitors,
                   count(*) FILTER (WHERE y.actions > 0 AND y.first_at >= s.started_at)
                       AS new_visitors
            FROM s LEFT JOIN y ON y.session_id = s.id GROUP BY s.id""",
        params,
    ).fetchall()
    peaks = conn.execute(
        f"""WITH {sessions_cte},
            {
            _PAIRING.format(
                partition=", " + SURVIVOR,
                extra=", " + SURVIVOR + " AS pid, s.started_at",
                person=f" JOIN persons r ON r.id = i.person_id JOIN persons p ON p.id = {SURVIVOR} AND {_COUNTED}",
            )
        },
            present AS (  -- intervals in which each person is in the room
                SELECT session_id, at AS a, coalesce(next_at, ended_at) AS b FROM e WHERE is_enter
                UNION ALL
                SELECT session_id, started_at, at FROM e
                WHERE prev_enter IS NULL AND NOT is_enter),
            changes AS (
                SELECT session_id, a AS at, 1 AS delta FROM present WHERE b > a
                UNION ALL
                SELECT session_id, b, -1 FROM present WHERE b > a),
            running AS (
                SELECT session_id, sum(delta) OVER (
                    PARTITION BY session_id ORDER BY at, delta
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS here
                FROM changes)
            SELECT session_id, max(here) AS peak FROM running GROUP BY session_id""",
        params,
    ).fetchall()
    peak = {int(r["session_id"]): int(r["peak"]) for r in peaks}
    result: dict[int, dict[str, float]] = {}
    for r in figures:
        sid = int(r["id"])
        unique = int(r["unique_visitors"])
        new = int(r["new_visitors"])
        result[sid] = {
            "tokens": float(r["tokens"]),
            "tips": float(r["tips"]),
            "chat_messages": float(r["chat_messages"]),
            "new_followers": float(r["new_followers"]),
            "unfollows": float(r["unfollows"]),
            "unique_visitors": float(unique),
            "new_visitors": float(new),
            "returning_visitors": float(unique - new),
            "peak_viewers": float(peak.get(sid, 0)),
        }
    return result


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def names(conn: Conn, person_ids: Sequence[int]) -> dict[int, str]:
    """Current usernames of these persons."""
    rows = conn.execute(
        "SELECT id, username FROM persons WHERE id = ANY(%s)", (list(person_ids),)
    ).fetchall()
    return {int(r["id"]): str(r["username"]) for r in rows}
