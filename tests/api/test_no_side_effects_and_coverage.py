"""Every route is exercised; no GET route changes the database."""

from __future__ import annotations

import re

from api.api_support import Seed, all_routes, requests_for, template_of
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mhc.db.connection import Database


def _normalize(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_the_request_table_covers_every_route(app: FastAPI, seeded: Seed) -> None:
    routes = {(method, _normalize(path)) for method, path in all_routes(app)}
    covered = {(method, template_of(method, path)) for method, path, *_ in requests_for(seeded)}
    # attributes/{key} is a path parameter too
    covered = {(m, p.replace("/attributes/mood", "/attributes/{id}")) for m, p in covered}
    assert routes == covered


def test_every_route_answers_in_process(client: TestClient, seeded: Seed) -> None:
    for method, path, query, body, expected in requests_for(seeded):
        response = client.request(method, path, params=query, json=body)
        assert response.status_code == expected, (method, path, response.text)


def _fingerprint(db: Database) -> dict[str, str]:
    """A checksum of every table's rows (and sequence positions)."""
    result: dict[str, str] = {}
    with db.transaction() as conn:
        tables = [
            row["tablename"]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        for table in tables:
            row = conn.execute(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM \"{table}\" t"
            ).fetchone()
            assert row is not None
            result[table] = f"{row['n']}:{row['h']}"
        for row in conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall():
            result[f"seq:{row['sequencename']}"] = str(row["last_value"])
    return result


def test_get_routes_change_nothing(client: TestClient, db: Database, seeded: Seed) -> None:
    # Given a seeded database and its fingerprint
    before = _fingerprint(db)
    assert before["persons"].startswith("4:")
    # When every GET route is called (with filters, paging and misses too)
    gets = [r for r in requests_for(seeded) if r[0] == "GET"]
    assert len(gets) >= 15
    for _, path, query, _, expected in gets:
        assert client.get(path, params=query).status_code == expected
    assert client.get("/api/persons/999").status_code == 404
    assert client.get("/api/persons", params={"q": "nobody_new"}).json() == []
    # Then no row, and no sequence, changed
    assert _fingerprint(db) == before


def test_the_fingerprint_sees_a_write(client: TestClient, db: Database, seeded: Seed) -> None:
    before = _fingerprint(db)
    client.post(f"/api/persons/{seeded.alice}/notes", json={"text": "changed"})
    assert _fingerprint(db) != before
