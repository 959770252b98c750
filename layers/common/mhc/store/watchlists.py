"""SQL for watchlists and their members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.models import Person, Watchlist
from mhc.store.persons import COLUMNS as PERSON_COLUMNS


def list_all(conn: Conn) -> list[Watchlist]:
    rows = conn.execute(
        """SELECT w.id, w.name, w.is_system, count(m.person_id) AS member_count
           FROM watchlists w LEFT JOIN watchlist_members m ON m.watchlist_id = w.id
           GROUP BY w.id ORDER BY w.id"""
    ).fetchall()
    return [Watchlist.model_validate(row) for row in rows]


def get(conn: Conn, watchlist_id: int) -> Watchlist | None:
    row = conn.execute(
        """SELECT w.id, w.name, w.is_system,
                  (SELECT count(*) FROM watchlist_members m WHERE m.watchlist_id = w.id) AS member_count
           FROM watchlists w WHERE w.id = %s""",
        (watchlist_id,),
    ).fetchone()
    return None if row is None else Watchlist.model_validate(row)


def add_member(conn: Conn, watchlist_id: int, person_id: int) -> bool:
    """True when the person was added, False when already a member."""
    cur = conn.execute(
        """INSERT INTO watchlist_members (watchlist_id, person_id) VALUES (%s, %s)
           ON CONFLICT DO NOTHING""",
        (watchlist_id, person_id),
    )
    return cur.rowcount == 1


def remove_member(conn: Conn, watchlist_id: int, person_id: int) -> bool:
    cur = conn.execute(
        "DELETE FROM watchlist_members WHERE watchlist_id = %s AND person_id = %s",
        (watchlist_id, person_id),
    )
    return cur.rowcount == 1


def members(conn: Conn, watchlist_id: int) -> list[tuple[Person, datetime]]:
    rows = conn.execute(
        f"""SELECT {PERSON_COLUMNS}, m.added_at AS member_added_at
            FROM watchlist_members m JOIN persons p ON p.id = m.person_id
            WHERE m.watchlist_id = %s ORDER BY m.added_at DESC, p.id""",
        (watchlist_id,),
    ).fetchall()
    return [(Person.model_validate(row), row["member_added_at"]) for row in rows]


def of_person(conn: Conn, person_id: int) -> list[Watchlist]:
    rows = conn.execute(
        """SELECT w.id, w.name, w.is_system,
                  (SELECT count(*) FROM watchlist_members c WHERE c.watchlist_id = w.id) AS member_count
           FROM watchlist_members m JOIN watchlists w ON w.id = m.watchlist_id
           WHERE m.person_id = %s ORDER BY w.id""",
        (person_id,),
    ).fetchall()
    return [Watchlist.model_validate(row) for row in rows]


def watchlisted_usernames(conn: Conn, usernames: Sequence[str]) -> set[str]:
    """Which of these current usernames belong to watchlist members."""
    rows = conn.execute(
        """SELECT DISTINCT p.username FROM persons p
           JOIN watchlist_members m ON m.person_id = p.id
           WHERE p.platform = 'chaturbate' AND p.username = ANY(%s)""",
        (list(usernames),),
    ).fetchall()
    return {str(row["username"]) for row in rows}
