"""SQL for persons, their aliases and their merges.

A person row merged into another (`merged_into`) is no longer a current person: lookups by name
see only rows not merged away, lookups by past name or Statbate id land on the survivor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import AliasSource, Person, PersonAlias
from mhc.domain.roles import Role
from mhc.store.copy_rows import time_field

COLUMNS = (
    "p.id, p.platform, p.username, p.username_since, p.role, p.role_is_manual, p.rid, p.did, "
    "p.is_excluded, p.first_seen_at, p.last_seen_at, p.created_at, p.updated_at, p.merged_into"
)
#: Join a row (alias `r`) to the person it counts as (alias `p`).
_SURVIVOR = "JOIN persons p ON p.id = coalesce(r.merged_into, r.id)"


def _one(conn: Conn, query: str, params: tuple[object, ...]) -> Person | None:
    row = conn.execute(query, params).fetchone()
    return None if row is None else Person.model_validate(row)


def get(conn: Conn, person_id: int, *, for_update: bool = False) -> Person | None:
    lock = " FOR UPDATE" if for_update else ""
    return _one(conn, f"SELECT {COLUMNS} FROM persons p WHERE p.id = %s{lock}", (person_id,))


def find_by_username(conn: Conn, username: str, *, for_update: bool = False) -> Person | None:
    lock = " FOR UPDATE" if for_update else ""
    return _one(
        conn,
        f"""SELECT {COLUMNS} FROM persons p WHERE p.platform = 'chaturbate' AND p.username = %s
            AND p.merged_into IS NULL{lock}""",
        (username,),
    )


def find_by_alias(conn: Conn, username: str) -> Person | None:
    """The person who most recently used `username` as a past name."""
    return _one(
        conn,
        f"""SELECT {COLUMNS} FROM person_aliases a JOIN persons r ON r.id = a.person_id {_SURVIVOR}
            WHERE a.platform = 'chaturbate' AND a.username = %s
            ORDER BY a.valid_to DESC, a.id DESC LIMIT 1""",
        (username,),
    )


def find_by_statbate_id(
    conn: Conn, did: int | None, rid: int | None, *, for_update: bool = False
) -> Person | None:
    if did is None and rid is None:
        return None
    lock = " FOR UPDATE OF p" if for_update else ""
    return _one(
        conn,
        f"""SELECT {COLUMNS} FROM persons r {_SURVIVOR} WHERE r.platform = 'chaturbate'
            AND ((%s::bigint IS NOT NULL AND r.did = %s) OR (%s::bigint IS NOT NULL AND r.rid = %s))
            ORDER BY r.id LIMIT 1{lock}""",
        (did, did, rid, rid),
    )


def insert(
    conn: Conn,
    username: str,
    *,
    role: Role,
    did: int | None,
    rid: int | None,
    is_excluded: bool,
    seen_at: datetime | None,
    at: datetime,
) -> Person | None:
    """Insert a person (`seen_at` None: not observed yet, only looked up at `at`); None when
    the name was taken concurrently (the caller re-reads)."""
    return _one(
        conn,
        f"""INSERT INTO persons AS p (username, role, did, rid, is_excluded,
                                    username_since, first_seen_at, last_seen_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (platform, username) WHERE merged_into IS NULL DO NOTHING
            RETURNING {COLUMNS}""",
        (username, role.value, did, rid, is_excluded, seen_at or at, seen_at, seen_at),
    )


def record_sighting(
    conn: Conn,
    person_id: int,
    *,
    role: Role,
    did: int | None,
    rid: int | None,
    seen_at: datetime | None,
) -> Person:
    """Widen the seen window (`seen_at` None: not an observation), set the (automatic) role and
    fill in Statbate ids we lacked."""
    person = _one(
        conn,
        f"""UPDATE persons AS p SET
                role = CASE WHEN p.role_is_manual THEN p.role ELSE %s END,
                did = coalesce(p.did, %s),
                rid = coalesce(p.rid, %s),
                first_seen_at = least(p.first_seen_at, %s),
                last_seen_at = greatest(p.last_seen_at, %s),
                updated_at = now()
            WHERE p.id = %s
            RETURNING {COLUMNS}""",
        (role.value, did, rid, seen_at, seen_at, person_id),
    )
    assert person is not None
    return person


def rename(
    conn: Conn,
    person: Person,
    new_username: str,
    *,
    at: datetime,
    source: AliasSource,
) -> Person:
    """Make `new_username` current and keep the old name as an alias [username_since, at)."""
    valid_to = max(at, person.username_since)
    conn.execute(
        """INSERT INTO person_aliases (person_id, username, valid_from, valid_to, source)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (person_id, username, valid_from) DO NOTHING""",
        (person.id, person.username, person.username_since, valid_to, source.value),
    )
    renamed = _one(
        conn,
        f"""UPDATE persons AS p SET username = %s, username_since = %s, updated_at = now()
            WHERE p.id = %s RETURNING {COLUMNS}""",
        (new_username, valid_to, person.id),
    )
    assert renamed is not None
    return renamed


def add_alias(
    conn: Conn,
    person_id: int,
    username: str,
    *,
    valid_from: datetime,
    valid_to: datetime,
    source: AliasSource,
) -> int | None:
    """The new alias's id; None when that exact alias was already recorded."""
    row = conn.execute(
        """INSERT INTO person_aliases (person_id, username, valid_from, valid_to, source)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (person_id, username, valid_from) DO NOTHING RETURNING id""",
        (person_id, username, valid_from, valid_to, source.value),
    ).fetchone()
    return None if row is None else int(row["id"])


def aliases(conn: Conn, person_ids: Sequence[int]) -> list[PersonAlias]:
    """The past names of a person's rows, newest first (read as the survivor's)."""
    rows = conn.execute(
        """SELECT a.id, coalesce(r.merged_into, r.id) AS person_id, a.username, a.valid_from,
                  a.valid_to, a.source
           FROM person_aliases a JOIN persons r ON r.id = a.person_id
           WHERE a.person_id = ANY(%s) ORDER BY a.valid_to DESC, a.id DESC""",
        (list(person_ids),),
    ).fetchall()
    return [PersonAlias.model_validate(row) for row in rows]


def get_alias(conn: Conn, alias_id: int) -> PersonAlias | None:
    row = conn.execute(
        """SELECT id, person_id, username, valid_from, valid_to, source FROM person_aliases
           WHERE id = %s""",
        (alias_id,),
    ).fetchone()
    return None if row is None else PersonAlias.model_validate(row)


def delete_aliases(conn: Conn, alias_ids: Sequence[int]) -> int:
    return conn.execute(
        "DELETE FROM person_aliases WHERE id = ANY(%s)", (list(alias_ids),)
    ).rowcount


def set_role(conn: Conn, person_id: int, role: Role, *, manual: bool) -> Person | None:
    return _one(
        conn,
        f"""UPDATE persons AS p SET role = %s, role_is_manual = %s, updated_at = now()
            WHERE p.id = %s RETURNING {COLUMNS}""",
        (role.value, manual, person_id),
    )


def set_excluded(conn: Conn, person_id: int, excluded: bool) -> Person | None:
    return _one(
        conn,
        f"""UPDATE persons AS p SET is_excluded = %s, updated_at = now()
            WHERE p.id = %s RETURNING {COLUMNS}""",
        (excluded, person_id),
    )


def search(conn: Conn, prefix: str, *, limit: int, include_excluded: bool) -> list[Person]:
    """Persons whose current or past name starts with `prefix`, current-name matches first."""
    pattern = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    rows = conn.execute(
        f"""SELECT {COLUMNS} FROM (
                SELECT id, 0 AS rank FROM persons WHERE username LIKE %(p)s
                    AND merged_into IS NULL
                UNION ALL
                SELECT person_id, 1 FROM person_aliases WHERE username LIKE %(p)s
            ) m JOIN persons r ON r.id = m.id {_SURVIVOR}
            WHERE %(all)s OR NOT p.is_excluded
            GROUP BY p.id ORDER BY min(m.rank), p.username LIMIT %(limit)s""",
        {"p": pattern, "all": include_excluded, "limit": limit},
    ).fetchall()
    return [Person.model_validate(row) for row in rows]


def count(conn: Conn, *, include_excluded: bool = False) -> int:
    row = conn.execute(
        """SELECT count(*) AS n FROM persons
           WHERE merged_into IS NULL AND (%s OR NOT is_excluded)""",
        (include_excluded,),
    ).fetchone()
    assert row is not None
    return int(row["n"])


# --- the bulk path for ingest: one statement resolves a whole page of names ---------------


def _merged_role(p: str, model: str, viewer: str) -> str:
    """SQL: the role row `p` holds merged with what was seen (`model`, `viewer`: booleans):
    UNKNOWN never erases, watching and broadcasting make BOTH (`domain.roles.merge_role` as
    flags, so several names of one person merge too); a manual role sticks."""
    m = f"({p}.role IN ('MODEL', 'BOTH') OR {model})"
    w = f"({p}.role IN ('VIEWER', 'BOTH') OR {viewer})"
    return (
        f"CASE WHEN {p}.role_is_manual THEN {p}.role WHEN {m} AND {w} THEN 'BOTH' "
        f"WHEN {m} THEN 'MODEL' WHEN {w} THEN 'VIEWER' ELSE 'UNKNOWN' END"
    )


def _news(p: str, role: str, first: str, last: str) -> str:
    """SQL: whether a sighting is worth rewriting row `p` for (decision 18): a role, a first
    sighting or an earlier one, or a last sighting at least the step later."""
    return (
        f"({p}.role <> {role} OR {p}.first_seen_at IS NULL OR {p}.last_seen_at IS NULL "
        f"OR {first} < {p}.first_seen_at OR {last} - {p}.last_seen_at >= %(step)s)"
    )


_SEEN_ROLE = _merged_role("p", "s.m", "s.w")
_UPSERT_ROLE = _merged_role(
    "p", "excluded.role IN ('MODEL', 'BOTH')", "excluded.role IN ('VIEWER', 'BOTH')"
)
_UPSERT_NEWS = _news("p", _UPSERT_ROLE, "excluded.first_seen_at", "excluded.last_seen_at")

_RESOLVE_PAGE = f"""
WITH v AS (
    SELECT * FROM unnest(%(u)s::text[], %(r)s::text[], %(x)s::bool[], %(f)s::timestamptz[],
                         %(l)s::timestamptz[]) WITH ORDINALITY AS v(u, r, x, f, l, n)
), cur AS (  -- current names (a row merged away keeps its name, but not as a current one)
    SELECT v.n, p.id FROM v JOIN persons p
        ON p.platform = 'chaturbate' AND p.username = v.u AND p.merged_into IS NULL
), past AS (  -- else the newest past name, read as the person it counts as now
    SELECT DISTINCT ON (v.n) v.n, p.id
    FROM v JOIN person_aliases a ON a.platform = 'chaturbate' AND a.username = v.u
    JOIN persons r ON r.id = a.person_id {_SURVIVOR}
    WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.n = v.n)
    ORDER BY v.n, a.valid_to DESC, a.id DESC
), known AS (
    SELECT n, id FROM cur UNION ALL SELECT n, id FROM past
), saw AS (  -- what the page saw of each known person (two names can be one person)
    SELECT k.id, bool_or(v.r IN ('MODEL', 'BOTH')) AS m, bool_or(v.r IN ('VIEWER', 'BOTH')) AS w,
           min(v.f) AS f, max(v.l) AS l
    FROM known k JOIN v ON v.n = k.n GROUP BY k.id
), moved AS (
    UPDATE persons p SET role = {_SEEN_ROLE},
        first_seen_at = least(p.first_seen_at, s.f),
        last_seen_at = greatest(p.last_seen_at, s.l),
        updated_at = now()
    FROM saw s
    WHERE p.id = s.id AND {_news("p", _SEEN_ROLE, "s.f", "s.l")}
), created AS (  -- the rest are new; a name another writer created meanwhile is upserted
    INSERT INTO persons AS p (username, role, is_excluded, username_since, first_seen_at,
                              last_seen_at)
    SELECT v.u, v.r, v.x, v.f, v.f, v.l FROM v
    WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.n = v.n)
    ORDER BY v.n  -- every writer creates names in one order: no deadlock between them
    ON CONFLICT (platform, username) WHERE merged_into IS NULL DO UPDATE SET
        role = {_UPSERT_ROLE},
        first_seen_at = CASE WHEN {_UPSERT_NEWS}
            THEN least(p.first_seen_at, excluded.first_seen_at) ELSE p.first_seen_at END,
        last_seen_at = CASE WHEN {_UPSERT_NEWS}
            THEN greatest(p.last_seen_at, excluded.last_seen_at) ELSE p.last_seen_at END,
        updated_at = CASE WHEN {_UPSERT_NEWS} THEN now() ELSE p.updated_at END
    RETURNING p.username, p.id
)
SELECT array_agg(id ORDER BY n) AS ids FROM (
    SELECT n, id FROM known
    UNION ALL SELECT v.n, c.id FROM created c JOIN v ON v.u = c.username
) found"""


def _array(values: Iterable[str]) -> str:
    """An array literal of `values`, each quoted (a name may be "null")."""
    return "{" + ",".join(_quoted(value) for value in values) + "}"


def _quoted(value: str) -> str:
    if '"' in value or "\\" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


@dataclass(frozen=True)
class Sighted:
    """A batch of sightings as `resolve_sighted` takes them: array literals, built by pure code
    where that costs the store nothing (ingest builds them in its second process; psycopg
    adapting lists item by item cost more than the statement)."""

    count: int
    usernames: str
    roles: str
    excluded: str
    first_seen: str
    last_seen: str


def sighted(
    usernames: Sequence[str],
    roles: Sequence[str],
    excluded: Sequence[bool],
    first_seen: Sequence[datetime],
    last_seen: Sequence[datetime],
) -> Sighted:
    """(distinct, valid) names, each with the role seen and its first and last sighting."""
    return Sighted(
        len(usernames),
        _array(usernames),
        _array(roles),
        _array("t" if flag else "f" for flag in excluded),
        _array(time_field(at) for at in first_seen),
        _array(time_field(at) for at in last_seen),
    )


def resolve_sighted(conn: Conn, batch: Sighted, *, last_seen_step: timedelta) -> list[int]:
    """The person id of each name of `batch`, in its order, in one statement: current name,
    else newest past name (as the survivor), else a new row (the insert trigger puts an
    auto-excluded name on the Excluded list). Known persons are rewritten only for news (see
    `moved`); `last_seen_step` is decision 18's step."""
    if not batch.count:
        return []
    row = conn.execute(
        _RESOLVE_PAGE,
        {
            "u": batch.usernames,
            "r": batch.roles,
            "x": batch.excluded,
            "f": batch.first_seen,
            "l": batch.last_seen,
            "step": last_seen_step,
        },
    ).fetchone()
    assert row is not None
    ids: list[int] = row["ids"]
    assert len(ids) == batch.count, "every name resolves to exactly one person"
    return ids


# --- merges ------------------------------------------------------------------------------


def group_ids(conn: Conn, person_id: int) -> list[int]:
    """Every row that counts as this person: itself and the rows merged into it."""
    rows = conn.execute(
        "SELECT id FROM persons WHERE id = %s OR merged_into = %s ORDER BY id",
        (person_id, person_id),
    ).fetchall()
    return [int(row["id"]) for row in rows]


def groups(conn: Conn, person_ids: Sequence[int]) -> dict[int, list[int]]:
    """`group_ids` of many persons at once."""
    rows = conn.execute(
        """SELECT coalesce(merged_into, id) AS person, id FROM persons
           WHERE id = ANY(%(ids)s) OR merged_into = ANY(%(ids)s) ORDER BY id""",
        {"ids": list(person_ids)},
    ).fetchall()
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(int(row["person"]), []).append(int(row["id"]))
    return found


def merged_into_this(conn: Conn, person_id: int) -> list[Person]:
    return [
        Person.model_validate(row)
        for row in conn.execute(
            f"SELECT {COLUMNS} FROM persons p WHERE p.merged_into = %s ORDER BY p.id",
            (person_id,),
        ).fetchall()
    ]


def set_merged_into(conn: Conn, person_id: int, into: int | None) -> None:
    conn.execute(
        "UPDATE persons SET merged_into = %s, updated_at = now() WHERE id = %s", (into, person_id)
    )


def repoint_merged(conn: Conn, person_ids: Sequence[int], into: int) -> None:
    """Rows merged into a person that is itself merged now point at the new survivor (redirects
    stay one step)."""
    conn.execute(
        "UPDATE persons SET merged_into = %s, updated_at = now() WHERE id = ANY(%s)",
        (into, list(person_ids)),
    )


def set_identity(
    conn: Conn,
    person_id: int,
    *,
    username: str,
    username_since: datetime,
    did: int | None,
    rid: int | None,
) -> None:
    conn.execute(
        """UPDATE persons SET username = %s, username_since = %s, did = %s, rid = %s,
               updated_at = now() WHERE id = %s""",
        (username, username_since, did, rid, person_id),
    )


def set_state(
    conn: Conn,
    person_id: int,
    *,
    role: Role,
    role_is_manual: bool,
    is_excluded: bool,
    first_seen_at: datetime | None,
    last_seen_at: datetime | None,
) -> Person:
    person = _one(
        conn,
        f"""UPDATE persons AS p SET role = %s, role_is_manual = %s, is_excluded = %s,
                first_seen_at = %s, last_seen_at = %s, updated_at = now()
            WHERE p.id = %s RETURNING {COLUMNS}""",
        (role.value, role_is_manual, is_excluded, first_seen_at, last_seen_at, person_id),
    )
    assert person is not None
    return person


def log_merge(
    conn: Conn,
    *,
    action: str,
    person_id: int,
    merged_id: int,
    reason: str,
    at: datetime,
    changes: dict[str, Any],
) -> int:
    row = conn.execute(
        """INSERT INTO person_merges (action, person_id, merged_id, reason, at, changes)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
        (action, person_id, merged_id, reason, at, Jsonb(changes)),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def last_merge(conn: Conn, person_id: int, merged_id: int) -> dict[str, Any] | None:
    """The newest merge or unmerge recorded for the pair."""
    row = conn.execute(
        """SELECT id, action, reason, at, changes FROM person_merges
           WHERE person_id = %s AND merged_id = %s ORDER BY id DESC LIMIT 1""",
        (person_id, merged_id),
    ).fetchone()
    return None if row is None else dict(row)


# --- deleting a person who has no history ---------------------------------------------------

#: What makes a person part of the record: any of these rows and they cannot be deleted.
#: A person row's own history, by what the owner is told: (table, which rows are theirs).
_HISTORY = {
    "interactions": ("interactions", "person_id = %(id)s"),
    "snapshots": ("snapshots", "person_id = %(id)s"),
    "follower_counts": ("follower_counts", "person_id = %(id)s"),
    "broadcasts": ("broadcasts", "person_id = %(id)s"),
    "attributes": ("attributes", "person_id = %(id)s"),
    "merges": ("persons", "merged_into = %(id)s"),
    "merge records": ("person_merges", "person_id = %(id)s OR merged_id = %(id)s"),
    "paste mentions": ("paste_mentions", "person_id = %(id)s"),
    "alerts": ("alerts", "person_id = %(id)s"),
}
#: What is deleted with a person who has no history (`delete`), by table and person column.
_DELETED_WITH = (
    ("person_aliases", "person_id"),
    ("watchlist_members", "person_id"),
    ("profiles", "person_id"),
    ("statbate_absences", "person_id"),
    ("person_interaction_counts", "person_id"),
)
#: Tables holding a person's figures kept from their history by triggers: rows exist only
#: where `_HISTORY` finds some, so a person without history has none.
DERIVED_FROM_HISTORY = frozenset(
    {
        "payments",
        "person_payment_quarters",
        "person_activity_quarters",
        "person_rooms",
        "session_attendance",
    }
)


def tables_a_deletion_accounts_for() -> frozenset[str]:
    """Every table whose rows name a person that `history_of` or `delete` looks at (tests hold
    the schema's foreign keys to persons to it)."""
    history = {table for table, _ in _HISTORY.values()}
    return frozenset(history | {table for table, _ in _DELETED_WITH} | DERIVED_FROM_HISTORY)


def history_of(conn: Conn, person_id: int) -> dict[str, int]:
    """How many rows of each kind of history the row `person_id` has (kinds with none left out)."""
    select = ", ".join(
        f'(SELECT count(*) FROM {table} WHERE {where}) AS "{name}"'
        for name, (table, where) in _HISTORY.items()
    )
    row = conn.execute(f"SELECT {select}", {"id": person_id}).fetchone()
    assert row is not None
    return {name: int(count) for name, count in row.items() if count}


def deletable_row(conn: Conn, person_id: int) -> dict[str, Any]:
    """The person row with what hangs off it (aliases, watchlist memberships), for the record."""
    row = conn.execute(
        f"""SELECT {COLUMNS},
                   (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM person_aliases a
                     WHERE a.person_id = p.id) AS aliases,
                   (SELECT coalesce(json_agg(m.watchlist_id ORDER BY m.watchlist_id), '[]')
                      FROM watchlist_members m WHERE m.person_id = p.id) AS watchlists
            FROM persons p WHERE p.id = %s""",
        (person_id,),
    ).fetchone()
    assert row is not None
    return dict(row)


def delete(conn: Conn, person_id: int) -> None:
    """Delete a person who has no history (see `history_of`), with their names, memberships,
    profile and Statbate absences."""
    for table, column in (*_DELETED_WITH, ("persons", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = %s", (person_id,))
