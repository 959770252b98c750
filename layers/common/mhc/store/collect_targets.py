"""SQL that gathers the persons a scheduled job may collect (ordering is `domain.collection.prioritize`).

Each query returns a bounded pool: watchlist members, recent contacts, and at most `limit` of
the stalest others, with what decides their place in the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.collection import Target
from mhc.domain.models import SnapshotSource
from mhc.domain.roles import Role

_POOL = """
    wl AS (
        SELECT DISTINCT m.person_id FROM watchlist_people m
        JOIN watchlists w ON w.id = m.watchlist_id
        WHERE %(watchlists)s::text[] IS NULL OR w.name = ANY(%(watchlists)s::text[])
    ),
    recent AS (
        SELECT coalesce(r.merged_into, r.id) AS person_id, max(c.last_occurred_at) AS last_contact
        FROM person_interaction_counts c JOIN persons r ON r.id = c.person_id
        WHERE %(recent_since)s::timestamptz IS NOT NULL AND c.last_occurred_at >= %(recent_since)s
        GROUP BY 1
    )"""


def _target(row: dict[str, Any]) -> Target:
    return Target(
        person_id=int(row["id"]),
        username=str(row["username"]),
        role=Role(row["role"]),
        watchlisted=bool(row["watchlisted"]),
        last_contact_at=row["last_contact"],
        last_collected_at=row["last_collected_at"],
        retry_after=row["retry_after"],
    )


def statbate_targets(
    conn: Conn,
    *,
    watchlists: Sequence[str] | None,
    recent_since: datetime | None,
    roles: Sequence[Role],
    min_followers: int,
    not_found_retry: timedelta,
    limit: int,
) -> list[Target]:
    """`retry_after`: when a person Statbate did not know may be asked again."""
    rows = conn.execute(
        f"""WITH {_POOL},
            by_role AS (
                SELECT p.id AS person_id FROM persons p
                LEFT JOIN profiles pr ON pr.person_id = p.id
                WHERE cardinality(%(roles)s::text[]) > 0 AND p.role = ANY(%(roles)s::text[])
                  AND NOT p.is_excluded AND p.merged_into IS NULL
                  AND coalesce(pr.followers, 0) >= %(min_followers)s
                ORDER BY (SELECT max(s.captured_at) FROM snapshots s WHERE s.person_id = p.id
                          AND s.source IN ('statbate_member', 'statbate_model')) NULLS FIRST, p.id
                LIMIT %(limit)s
            ),
            pool AS (SELECT person_id FROM wl UNION SELECT person_id FROM recent
                     UNION SELECT person_id FROM by_role)
            SELECT p.id, p.username, p.role, wl.person_id IS NOT NULL AS watchlisted,
                   recent.last_contact,
                   (SELECT max(s.captured_at) FROM snapshots s WHERE s.person_id = p.id
                      AND s.source IN ('statbate_member', 'statbate_model')) AS last_collected_at,
                   (SELECT max(a.checked_at) FROM statbate_absences a
                     WHERE a.person_id = p.id) + %(not_found_retry)s::interval AS retry_after
            FROM pool JOIN persons p ON p.id = pool.person_id
            LEFT JOIN wl ON wl.person_id = p.id
            LEFT JOIN recent ON recent.person_id = p.id
            WHERE NOT p.is_excluded AND p.merged_into IS NULL""",
        {
            "watchlists": None if watchlists is None else list(watchlists),
            "recent_since": recent_since,
            "roles": [role.value for role in roles],
            "min_followers": min_followers,
            "not_found_retry": not_found_retry,
            "limit": limit,
        },
    ).fetchall()
    return [_target(row) for row in rows]


def profile_targets(
    conn: Conn,
    *,
    watchlists: Sequence[str] | None,
    recent_since: datetime | None,
    stale_before: datetime,
    limit: int,
) -> list[Target]:
    """Broadcasters (MODEL or BOTH): watchlist members, recent contacts, the stalest profiles."""
    rows = conn.execute(
        f"""WITH {_POOL},
            stale AS (
                SELECT p.id AS person_id FROM persons p
                LEFT JOIN profiles pr ON pr.person_id = p.id
                WHERE p.role IN ('MODEL', 'BOTH') AND NOT p.is_excluded AND p.merged_into IS NULL
                  AND (pr.profile_fetched_at IS NULL OR pr.profile_fetched_at < %(stale_before)s)
                ORDER BY pr.profile_fetched_at NULLS FIRST, p.id
                LIMIT %(limit)s
            ),
            pool AS (SELECT person_id FROM wl UNION SELECT person_id FROM recent
                     UNION SELECT person_id FROM stale)
            SELECT p.id, p.username, p.role, wl.person_id IS NOT NULL AS watchlisted,
                   recent.last_contact, pr.profile_fetched_at AS last_collected_at,
                   pr.profile_retry_after AS retry_after
            FROM pool JOIN persons p ON p.id = pool.person_id
            LEFT JOIN profiles pr ON pr.person_id = p.id
            LEFT JOIN wl ON wl.person_id = p.id
            LEFT JOIN recent ON recent.person_id = p.id
            WHERE NOT p.is_excluded AND p.merged_into IS NULL AND p.role IN ('MODEL', 'BOTH')""",
        {
            "watchlists": None if watchlists is None else list(watchlists),
            "recent_since": recent_since,
            "stale_before": stale_before,
            "limit": limit,
        },
    ).fetchall()
    return [_target(row) for row in rows]


def mark_absent(conn: Conn, person_id: int, source: SnapshotSource, checked_at: datetime) -> None:
    conn.execute(
        """INSERT INTO statbate_absences AS a (person_id, source, checked_at) VALUES (%s, %s, %s)
           ON CONFLICT (person_id, source) DO UPDATE SET checked_at = EXCLUDED.checked_at""",
        (person_id, source.value, checked_at),
    )


def clear_absent(conn: Conn, person_id: int, source: SnapshotSource) -> None:
    conn.execute(
        "DELETE FROM statbate_absences WHERE person_id = %s AND source = %s",
        (person_id, source.value),
    )
