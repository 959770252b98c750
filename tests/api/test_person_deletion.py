"""A typo in lookup creates a person; the owner can delete one with no history of their own,
with a confirmation, and the deletion is recorded. Anyone with history is kept."""

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import seen
from mhc.db.connection import Database


def test_a_lookup_typo_is_deleted_with_a_confirmation_and_recorded(
    client: TestClient, db: Database
) -> None:
    # Given a person created by a lookup typo, put on a watchlist by mistake
    typo = client.post("/api/lookup", json={"username": "alicce_01"}).json()["person"]
    client.put(f"/api/watchlists/1/members/{typo['id']}")
    # When deleted without the right confirmation, nothing happens
    wrong = client.delete(f"/api/persons/{typo['id']}", params={"confirm": "alice_01"})
    assert wrong.status_code == 422
    assert "alicce_01" in wrong.json()["error"]["message"]
    # When deleted with their username as confirmation
    done = client.delete(f"/api/persons/{typo['id']}", params={"confirm": "alicce_01"})
    assert done.status_code == 200, done.text
    assert done.json()["changed"] is True
    # Then they are gone, and the deletion is recorded with what hung off them
    assert client.get(f"/api/persons/{typo['id']}").status_code == 404
    again = client.delete(f"/api/persons/{typo['id']}", params={"confirm": "alicce_01"})
    assert again.json()["changed"] is False
    with db.transaction() as conn:
        record = conn.execute(
            "SELECT kind, deleted_row FROM deletions WHERE row_key = %s", (str(typo["id"]),)
        ).fetchone()
    assert record is not None
    assert record["kind"] == "persons"
    assert record["deleted_row"]["username"] == "alicce_01"
    assert record["deleted_row"]["watchlists"] == [1]


def test_a_person_with_history_is_kept(client: TestClient, db: Database) -> None:
    # Given a person the owner wrote a note about
    person, _ = seen(db, "has_history")
    client.post(f"/api/persons/{person.id}/notes", json={"text": "regular"})
    # When the owner tries to delete them
    response = client.delete(f"/api/persons/{person.id}", params={"confirm": "has_history"})
    # Then they are kept, and the answer says why
    assert response.status_code == 409
    assert "1 interactions" in response.json()["error"]["message"]
    assert client.get(f"/api/persons/{person.id}").status_code == 200


def test_every_table_naming_a_person_is_accounted_for_by_a_deletion(db: Database) -> None:
    # A table naming persons (a foreign key to persons, or a person_id column: the summaries
    # kept by triggers carry no keys, decision 120) that deletion neither counts as history nor
    # deletes would make deleting a typo fail on that key (a 500), or leave rows behind: every
    # one is in mhc.store.persons' lists (history, deleted with the person, derived from history).
    from mhc.store.persons import tables_a_deletion_accounts_for

    with db.transaction() as conn:
        keyed = conn.execute(
            """SELECT DISTINCT c.conrelid::regclass::text AS tbl FROM pg_constraint c
               WHERE c.contype = 'f' AND c.confrelid = 'persons'::regclass"""
        ).fetchall()
        named = conn.execute(
            """SELECT DISTINCT c.table_name AS tbl FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'public' AND c.column_name = 'person_id'
                 AND t.table_type = 'BASE TABLE'"""
        ).fetchall()
    referencing = {row["tbl"] for row in keyed}
    assert referencing, "expected foreign keys to persons"
    assert {"payments", "session_attendance"} <= {row["tbl"] for row in named}
    referencing |= {row["tbl"] for row in named}
    assert referencing - tables_a_deletion_accounts_for() == set()
