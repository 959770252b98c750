from datetime import UTC, datetime

import psycopg
import pytest
from mhc.db.connection import Database

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.transaction() as conn:
        person = conn.execute(
            "INSERT INTO persons (username) VALUES ('viewer_one') RETURNING id"
        ).fetchone()
        assert person is not None
        pid = person["id"]
        conn.execute(
            "INSERT INTO snapshots (person_id, source, captured_at, raw_payload) VALUES (%s, 'manual', %s, '{}')",
            (pid, NOW),
        )
        conn.execute(
            "INSERT INTO raw_events (event_id, method, occurred_at, payload) VALUES ('1-0', 'tip', %s, '{}')",
            (NOW,),
        )
        conn.execute(
            """INSERT INTO interactions (person_id, type, source, external_id, occurred_at)
               VALUES (%s, 'CHAT_MESSAGE', 'cb_events', '1-0', %s)""",
            (pid, NOW),
        )
    return db


@pytest.mark.parametrize("table", ["snapshots", "raw_events", "interactions"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET occurred_at = occurred_at",
        "DELETE FROM {table}",
        "TRUNCATE {table} CASCADE",
    ],
)
def test_append_only_tables_reject_changes(seeded: Database, table: str, statement: str) -> None:
    sql = statement.format(table=table)
    if table == "snapshots":
        sql = sql.replace("occurred_at", "captured_at")
    with (
        pytest.raises(psycopg.errors.RestrictViolation, match="append-only"),
        seeded.transaction() as conn,
    ):
        conn.execute(sql)  # type: ignore[arg-type]
    with seeded.transaction() as conn:
        row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()  # type: ignore[arg-type]
        assert row is not None
        assert row["n"] == 1
