"""SQL for persons, their aliases and their merges.

A person row merged into another (`merged_into`) is no longer a current person: lookups by name
see only rows not merged away, lookups by past name or Statbate id land on the survivor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.models import AliasSource, Person, PersonAlias
from mhc.domain.roles import Role

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


# --- bulk paths for ingest (one page of events resolves all its names in a few statements) ---


def record_sightings_many(conn: Conn, rows: list[tuple[int, Role, datetime, datetime]]) -> None:
    """Bulk form of `record_sightings`: (person_id, merged role, first_seen, last_seen)."""
    if not rows:
        return
    conn.execute(
        """UPDATE persons AS p SET
               role = CASE WHEN p.role_is_manual THEN p.role ELSE v.r END,
               first_seen_at = least(p.first_seen_at, v.f),
               last_seen_at = greatest(p.last_seen_at, v.l),
               updated_at = now()
           FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[]) AS v(id, r, f, l)
           WHERE p.id = v.id""",
        (
            [r[0] for r in rows],
            [r[1].value for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
        ),
    )


@dataclass(frozen=True)
class SightingState:
    """What bulk ingest needs of a known person: less than a full `Person` row."""

    id: int
    role: Role
    role_is_manual: bool
    first_seen_at: datetime | None
    last_seen_at: datetime | None


_STATE = "p.id, p.role, p.role_is_manual, p.first_seen_at, p.last_seen_at"


def _state(row: dict[str, Any]) -> SightingState:
    return SightingState(
        row["id"],
        Role(row["role"]),
        row["role_is_manual"],
        row["first_seen_at"],
        row["last_seen_at"],
    )


def sighting_states(conn: Conn, usernames: list[str]) -> dict[str, SightingState]:
    rows = conn.execute(
        f"""SELECT p.username, {_STATE} FROM persons p
            WHERE p.platform = 'chaturbate' AND p.username = ANY(%s) AND p.merged_into IS NULL""",
        (usernames,),
    ).fetchall()
    return {str(row["username"]): _state(row) for row in rows}


def sighting_states_by_alias(conn: Conn, usernames: list[str]) -> dict[str, SightingState]:
    rows = conn.execute(
        f"""SELECT DISTINCT ON (a.username) a.username AS alias, {_STATE}
            FROM person_aliases a JOIN persons r ON r.id = a.person_id {_SURVIVOR}
            WHERE a.platform = 'chaturbate' AND a.username = ANY(%s)
            ORDER BY a.username, a.valid_to DESC, a.id DESC""",
        (usernames,),
    ).fetchall()
    return {str(row["alias"]): _state(row) for row in rows}


def insert_sighted(
    conn: Conn, rows: list[tuple[str, Role, bool, datetime, datetime]]
) -> dict[str, SightingState]:
    """Insert (username, role, is_excluded, first_seen, last_seen) rows; names taken
    concurrently are skipped (the caller re-reads them)."""
    if not rows:
        return {}
    result = conn.execute(
        f"""INSERT INTO persons AS p (username, role, is_excluded, username_since,
                                    first_seen_at, last_seen_at)
            SELECT u, r, x, f, f, l FROM unnest(%s::text[], %s::text[], %s::bool[],
                                                 %s::timestamptz[], %s::timestamptz[]) AS v(u, r, x, f, l)
            ON CONFLICT (platform, username) WHERE merged_into IS NULL DO NOTHING
            RETURNING p.username, {_STATE}""",
        (
            [r[0] for r in rows],
            [r[1].value for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            [r[4] for r in rows],
        ),
    ).fetchall()
    return {str(row["username"]): _state(row) for row in result}


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
_HISTORY = {
    "interactions": "SELECT count(*) FROM interactions WHERE person_id = %(id)s",
    "snapshots": "SELECT count(*) FROM snapshots WHERE person_id = %(id)s",
    "follower_counts": "SELECT count(*) FROM follower_counts WHERE person_id = %(id)s",
    "broadcasts": "SELECT count(*) FROM broadcasts WHERE person_id = %(id)s",
    "attributes": "SELECT count(*) FROM attributes WHERE person_id = %(id)s",
    "merges": """SELECT count(*) FROM persons WHERE merged_into = %(id)s""",
    "merge records": """SELECT count(*) FROM person_merges
                        WHERE person_id = %(id)s OR merged_id = %(id)s""",
}


def history_of(conn: Conn, person_id: int) -> dict[str, int]:
    """How many rows of each kind of history the row `person_id` has (kinds with none left out)."""
    select = ", ".join(f'({query}) AS "{name}"' for name, query in _HISTORY.items())
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
    for statement in (
        "DELETE FROM person_aliases WHERE person_id = %s",
        "DELETE FROM watchlist_members WHERE person_id = %s",
        "DELETE FROM profiles WHERE person_id = %s",
        "DELETE FROM statbate_absences WHERE person_id = %s",
        "DELETE FROM person_interaction_counts WHERE person_id = %s",
        "DELETE FROM persons WHERE id = %s",
    ):
        conn.execute(statement, (person_id,))
