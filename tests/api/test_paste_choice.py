"""A chat paste: the owner sees the names it holds with their lines, chooses, and the paste is
recorded once, linked to every person chosen."""

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import seen
from mhc.db.connection import Database

CHAT = """tokenking: hey gorgeous
the_owner: hi tokenking!
tokenking tipped 50 tokens
lurker_99 has joined the room
shy_one: can you say my name
bigfan_2: lol
"""


def test_reading_a_chat_paste_names_each_speaker_with_their_line(
    client: TestClient, db: Database
) -> None:
    # Given one of the speakers is already known
    known, _ = seen(db, "bigfan_2")
    # When the owner pastes six chat lines
    response = client.post("/api/paste/read", json={"pasted_text": CHAT})
    assert response.status_code == 200, response.text
    names = response.json()["names"]
    # Then every speaker, tipper and joiner is found with the line naming them, the owner is not
    assert [(n["username"], n["line"], n["format"]) for n in names] == [
        ("tokenking", 1, "chat"),
        ("lurker_99", 4, "join"),
        ("shy_one", 5, "chat"),
        ("bigfan_2", 6, "chat"),
    ]
    assert [n["person_id"] for n in names] == [None, None, None, known.id]
    assert next(n for n in names if n["username"] == "tokenking")["lines"] == 2
    # And nothing was stored
    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n FROM persons").fetchone()
    assert row == {"n": 1}


def test_the_chosen_names_get_the_paste_once(client: TestClient, db: Database) -> None:
    # When the owner chooses two of the names
    body = client.post(
        "/api/lookup", json={"pasted_text": CHAT, "usernames": ["shy_one", "tokenking"]}
    ).json()
    # Then the first chosen is the person, the other also found; nobody else is created
    assert body["person"]["username"] == "shy_one"
    assert [p["username"] for p in body["also_found"]] == ["tokenking"]
    with db.transaction() as conn:
        names = [r["username"] for r in conn.execute("SELECT username FROM persons ORDER BY id")]
        links = conn.execute(
            "SELECT p.username, m.line FROM paste_mentions m JOIN persons p ON p.id = m.person_id"
            " ORDER BY m.line"
        ).fetchall()
    assert names == ["shy_one", "tokenking"]
    assert links == [{"username": "tokenking", "line": 1}, {"username": "shy_one", "line": 5}]
    assert [n["username"] for n in body["paste_names"]] == [
        "tokenking",
        "lurker_99",
        "shy_one",
        "bigfan_2",
    ]


def test_a_name_not_in_the_paste_cannot_be_chosen(client: TestClient) -> None:
    response = client.post("/api/lookup", json={"pasted_text": CHAT, "usernames": ["someone_else"]})
    assert response.status_code == 422
    assert "not named in the paste: someone_else" in response.json()["error"]["message"]
    prose = client.post("/api/paste/read", json={"pasted_text": "what a lovely evening it was"})
    assert prose.json()["names"] == []
