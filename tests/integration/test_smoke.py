from mhc.db.connection import Database


def test_fresh_database_has_seeded_watchlists(db: Database) -> None:
    with db.transaction() as conn:
        rows = conn.execute("SELECT count(*) AS n FROM watchlists").fetchone()
    assert rows is not None
    assert rows["n"] == 5
