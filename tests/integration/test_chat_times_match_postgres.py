"""The chat import reads local times the way PostgreSQL does (`timestamp AT TIME ZONE`), so a
time converted in Python and one converted in SQL never disagree, DST edges included."""

from __future__ import annotations

from datetime import datetime, timedelta

from mhc.db.connection import Database
from mhc.domain.chat_import import local_to_utc, zone_named


def test_local_times_convert_as_postgresql_converts_them(db: Database) -> None:
    # Given every quarter hour around New York's 2026 DST changes (and a quiet day)
    zone = zone_named("America/New_York")
    assert zone is not None
    locals_ = [
        start + timedelta(minutes=15 * n)
        for start in map(datetime.fromisoformat, ("2026-03-08", "2026-11-01", "2026-06-01"))
        for n in range(5 * 4)
    ]
    # When PostgreSQL converts them
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT (t AT TIME ZONE 'America/New_York') AS utc FROM unnest(%s::timestamp[]) AS t",
            (locals_,),
        ).fetchall()
    # Then Python gives the same instants
    assert [local_to_utc(t, zone)[0] for t in locals_] == [row["utc"] for row in rows]
