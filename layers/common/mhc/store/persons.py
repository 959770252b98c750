"""SQL for persons and their aliases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.models import AliasSource, Person, PersonAlias
from mhc.domain.roles import Role

COLUMNS = (
    "p.id, p.platform, p.username, p.username_since, p.role, p.role_is_manual, p.rid, p.did, "
    "p.is_excluded, p.first_seen_at, p.last_seen_at, p.created_at, p.updated_at"
)


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
        f"SELECT {COLUMNS} FROM persons p WHERE p.platform = 'chaturbate' AND p.username = %s{lock}",
        (username,),
    )


def find_by_alias(conn: Conn, username: str) -> Person | None:
    """The person who most recently used `username` as a past name."""
    return _one(
        conn,
        f"""SELECT {COLUMNS} FROM person_aliases a JOIN persons p ON p.id = a.person_id
            WHERE a.platform = 'chaturbate' AND a.username = %s
            ORDER BY a.valid_to DESC, a.id DESC LIMIT 1""",
        (username,),
    )


def find_by_statbate_id(
    conn: Conn, did: int | None, rid: int | None, *, for_update: bool = False
) -> Person | None:
    if did is None and rid is None:
        return None
    lock = " FOR UPDATE" if for_update else ""
    return _one(
        conn,
        f"""SELECT {COLUMNS} FROM persons p WHERE p.platform = 'chaturbate'
            AND ((%s::bigint IS NOT NULL AND p.did = %s) OR (%s::bigint IS NOT NULL AND p.rid = %s))
            ORDER BY p.id LIMIT 1{lock}""",
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
    seen_at: datetime,
) -> Person | None:
    """Insert a person; None when the name was taken concurrently (caller re-reads)."""
    return _one(
        conn,
        f"""INSERT INTO persons AS p (username, role, did, rid, is_excluded,
                                    username_since, first_seen_at, last_seen_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (platform, username) DO NOTHING
            RETURNING {COLUMNS}""",
        (username, role.value, did, rid, is_excluded, seen_at, seen_at, seen_at),
    )


def record_sighting(
    conn: Conn,
    person_id: int,
    *,
    role: Role,
    did: int | None,
    rid: int | None,
    seen_at: datetime,
) -> Person:
    """Widen the seen window, set the (automatic) role and fill in Statbate ids we lacked."""
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
) -> None:
    conn.execute(
        """INSERT INTO person_aliases (person_id, username, valid_from, valid_to, source)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (person_id, username, valid_from) DO NOTHING""",
        (person_id, username, valid_from, valid_to, source.value),
    )


def aliases(conn: Conn, person_id: int) -> list[PersonAlias]:
    rows = conn.execute(
        """SELECT id, person_id, username, valid_from, valid_to, source FROM person_aliases
           WHERE person_id = %s ORDER BY valid_to DESC, id DESC""",
        (person_id,),
    ).fetchall()
    return [PersonAlias.model_validate(row) for row in rows]


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
                UNION ALL
                SELECT person_id, 1 FROM person_aliases WHERE username LIKE %(p)s
            ) m JOIN persons p ON p.id = m.id
            WHERE %(all)s OR NOT p.is_excluded
            GROUP BY p.id ORDER BY min(m.rank), p.username LIMIT %(limit)s""",
        {"p": pattern, "all": include_excluded, "limit": limit},
    ).fetchall()
    return [Person.model_validate(row) for row in rows]


def count(conn: Conn, *, include_excluded: bool = False) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM persons WHERE %s OR NOT is_excluded", (include_excluded,)
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
    first_seen_at: datetime
    last_seen_at: datetime


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
        f"SELECT p.username, {_STATE} FROM persons p WHERE p.platform = 'chaturbate' AND p.username = ANY(%s)",
        (usernames,),
    ).fetchall()
    return {str(row["username"]): _state(row) for row in rows}


def sighting_states_by_alias(conn: Conn, usernames: list[str]) -> dict[str, SightingState]:
    rows = conn.execute(
        f"""SELECT DISTINCT ON (a.username) a.username AS alias, {_STATE}
            FROM person_aliases a JOIN persons p ON p.id = a.person_id
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
            ON CONFLICT (platform, username) DO NOTHING
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
