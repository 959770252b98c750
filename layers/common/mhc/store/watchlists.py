"""SQL for watchlists and their members.

Membership is read through the `watchlist_people` view: each human once (a merged row as its
survivor), and excluded persons only on the Excluded list, so no count or list includes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mhc.db.connection import Conn
from mhc.domain.models import Person, Watchlist
from mhc.store.persons import COLUMNS as PERSON_COLUMNS

_LISTS = """SELECT w.id, w.name, w.is_system,
                   (SELECT count(*) FROM watchlist_people c WHERE c.watchlist_id = w.id)
                       AS member_count
            FROM watchlists w"""


def list_all(conn: Conn) -> list[Watchlist]:
    rows = conn.execute(f"{_LISTS} ORDER BY w.id").fetchall()
    return [Watchlist.model_validate(row) for row in rows]


def get(conn: Conn, watchlist_id: int) -> Watchlist | None:
    row = conn.execute(f"{_LISTS} WHERE w.id = %s", (watchlist_id,)).fetchone()
    return None if row is None else Watchlist.model_validate(row)


def add_member(conn: Conn, watchlist_id: int, person_id: int) -> bool:
    """True when the person was added, False when already a member."""
    cur = conn.execute(
        """INSERT INTO watchlist_members (watchlist_id, person_id) VALUES (%s, %s)
           ON CONFLICT DO NOTHING""",
        (watchlist_id, person_id),
    )
    return cur.rowcount == 1


def remove_member(conn: Conn, watchlist_id: int, person_ids: Sequence[int]) -> bool:
    """Remove every row of the person from the list; True when they were on it."""
    cur = conn.execute(
        "DELETE FROM watchlist_members WHERE watchlist_id = %s AND person_id = ANY(%s)",
        (watchlist_id, list(person_ids)),
    )
    return cur.rowcount > 0


def members(conn: Conn, watchlist_id: int) -> list[tuple[Person, datetime]]:
    rows = conn.execute(
        f"""SELECT {PERSON_COLUMNS}, m.added_at AS member_added_at
            FROM watchlist_people m JOIN persons p ON p.id = m.person_id
            WHERE m.watchlist_id = %s ORDER BY m.added_at DESC, p.id""",
        (watchlist_id,),
    ).fetchall()
    return [(Person.model_validate(row), row["member_added_at"]) for row in rows]


def of_person(conn: Conn, person_id: int) -> list[Watchlist]:
    """The lists any row of the (current) person is on (their own page shows every list, even
    when they are excluded)."""
    rows = conn.execute(
        f"""{_LISTS} WHERE w.id IN (
                SELECT m.watchlist_id FROM watchlist_members m JOIN persons r ON r.id = m.person_id
                WHERE coalesce(r.merged_into, r.id) = %s)
            ORDER BY w.id""",
        (person_id,),
    ).fetchall()
    return [Watchlist.model_validate(row) for row in rows]


def watchlisted_usernames(conn: Conn, usernames: Sequence[str]) -> set[str]:
    """Which of these current usernames belong to persons on a watchlist (excluded persons
    count only on the Excluded list, which is not a reason to watch anyone)."""
    rows = conn.execute(
        """SELECT DISTINCT p.username FROM persons p
           JOIN watchlist_people m ON m.person_id = p.id
           WHERE p.platform = 'chaturbate' AND p.username = ANY(%s) AND NOT p.is_excluded""",
        (list(usernames),),
    ).fetchall()
    return {str(row["username"]) for row in rows}
