"""Bad input gets a clear 4xx naming the field and its limit, and nothing half-written: NUL
bytes, forged cursors, dates out of range, oversized bodies, huge validation errors."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from api.api_support import TOKEN, Seed
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from mhc.api import errors, input_guard
from mhc.db.connection import Database


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def asgi_request(
    app: Any,
    method: str,
    path: str,
    *,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    query: bytes = b"",
) -> tuple[int, bytes]:
    """One request straight through the ASGI interface (what uvicorn or Mangum hand over)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    chunks = [body]

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content


def _forge(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    _forge("2030-01-01T00:00:00+00:00", True),
    _forge("2030-01-01T00:00:00+00:00", 2**63),
    _forge("9999-12-31T23:59:59-14:00", 3),
    _forge("0001-01-01T00:00:00+14:00", 3),
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_forged_cursors_are_422_on_every_paged_route(
    client: TestClient, seeded: Seed, cursor: str
) -> None:
    # Given a cursor the API never issued, on each of the three paged routes
    for path, query in (
        ("/api/search", {"q": "hello"}),
        (f"/api/persons/{seeded.alice}/interactions", {}),
        (f"/api/sessions/{seeded.session}", {}),
    ):
        response = client.get(path, params={**query, "cursor": cursor})
        # Then it is refused naming the cursor, never a 500
        assert response.status_code == 422, (path, response.text)
        assert _error(response)["details"] == [
            {"field": "cursor", "message": "not a cursor returned by this API"}
        ]


# ------------------------------------------------------------------------------ NUL anywhere
NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored"


def _notes(db: Database) -> int:
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM interactions WHERE type = 'MANUAL_NOTE'"
        ).fetchone()
    assert row is not None
    return int(row["n"])


def test_nul_in_a_query_value_is_422_naming_it(client: TestClient, seeded: Seed) -> None:
    # `GET /api/search?q=%00` answered 500 (PostgreSQL text cannot hold NUL)
    for path, query in (
        ("/api/search", {"q": "\x00"}),
        ("/api/search", {"q": "hello\x00world"}),
        ("/api/persons", {"q": "ali\x00"}),
        (f"/api/persons/{seeded.alice}/interactions", {"cursor": "\x00"}),
    ):
        response = client.get(path, params=query)
        assert response.status_code == 422, (path, response.text)
        field = next(iter(query))
        assert _error(response)["details"] == [{"field": field, "message": NUL_MESSAGE}]
        assert _error(response)["message"] == f"invalid input: {field}: {NUL_MESSAGE}"


def test_nul_in_a_query_name_is_422(client: TestClient) -> None:
    response = client.get("/api/search?q=hi&sneaky%00name=1")
    assert response.status_code == 422
    assert _error(response)["details"][0]["field"] == "sneaky\\u0000name"


def test_nul_in_a_path_value_is_422_naming_the_parameter(client: TestClient, seeded: Seed) -> None:
    response = client.put(
        f"/api/persons/{seeded.alice}/attributes/ci%00ty",
        json={"value": "Lyon", "confidence": "low"},
    )
    assert response.status_code == 422
    assert _error(response)["details"] == [{"field": "key", "message": NUL_MESSAGE}]
    assert client.get("/api/jobs/cb%00stats").status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/persons/{alice}/notes", {"text": "a\x00b"}, "text"),
        (
            "/api/persons/{alice}/notes",
            {"text": "ok", "idempotency_key": "\x00"},
            "idempotency_key",
        ),
        (
            "/api/persons/{alice}/attributes/city",
            {"value": "Lyon", "confidence": "low", "evidence_note": "seen \x00"},
            "evidence_note",
        ),
        ("/api/lookup", {"pasted_text": "alice_01 \x00"}, "pasted_text"),
        ("/api/lookup", {"username": "\x00"}, "username"),
        ("/api/persons/{alice}/aliases", {"old_username": "x\x00"}, "old_username"),
        ("/api/jobs/statbate_refresh", {"config": {"roles": ["MO\x00DEL"]}}, "config.roles.0"),
        ("/api/persons/{alice}/notes", {"te\x00xt": "hello"}, "te\\u0000xt"),
    ],
)
def test_nul_in_a_body_is_422_naming_the_field_and_nothing_is_written(
    client: TestClient, db: Database, seeded: Seed, path: str, body: Any, field: str
) -> None:
    notes = _notes(db)
    url = path.format(alice=seeded.alice)
    method = "PUT" if "/attributes/" in url else "PATCH" if "/jobs/" in url else "POST"
    response = client.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert _error(response)["details"] == [{"field": field, "message": NUL_MESSAGE}]
    assert _notes(db) == notes


def test_a_literal_backslash_u0000_is_ordinary_text(client: TestClient, seeded: Seed) -> None:
    # Six characters a person may well type: not a NUL
    response = client.post(f"/api/persons/{seeded.alice}/notes", json={"text": "C:\\u0000 ok"})
    assert response.status_code == 201
    assert response.json()["interaction"]["content"] == "C:\\u0000 ok"


def test_nul_in_a_header_is_422(app: FastAPI) -> None:
    # httpx refuses to send NUL in a header: call the ASGI app as a server (or Mangum) would
    status, body = asgi_request(
        app,
        "GET",
        "/api/watchlists",
        headers=[(b"authorization", f"Bearer {TOKEN}".encode()), (b"x-note", b"a\x00b")],
    )
    assert status == 422
    assert json.loads(body)["error"]["details"] == [
        {"field": "header x-note", "message": NUL_MESSAGE}
    ]


def test_without_the_token_nul_input_is_still_401(anonymous: TestClient) -> None:
    assert anonymous.get("/api/search", params={"q": "\x00"}).status_code == 401


# ------------------------------------------------------------------ sizes and error messages
def test_a_body_over_the_cap_is_413_before_it_is_parsed(client: TestClient) -> None:
    # A 1.09 MB body of 100,000 unknown keys answered a 6.98 MB 422
    body = json.dumps({f"key_{n:06d}": 1 for n in range(100_000)})
    assert len(body) > input_guard.DEFAULT_MAX_BODY_BYTES
    response = client.post(
        "/api/lookup", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "too_large"
    assert "at most 1,048,576 bytes" in error["message"]
    assert len(response.content) < 1000


def test_a_chunked_body_over_the_cap_is_413_too(client: TestClient) -> None:
    # Given a body sent without a Content-Length (chunked), growing past the cap
    def chunks() -> Any:
        yield b'{"pasted_text": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}'

    response = client.post(
        "/api/lookup", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_the_largest_legitimate_body_passes_the_cap(client: TestClient) -> None:
    # A 50,000-character paste of astral characters, each escaped by an ensure_ascii encoder
    # (12 bytes each): the heaviest form of the largest legitimate request
    paste = "@alice_01 " + "\U0001f600" * 49_990
    body = json.dumps({"pasted_text": paste, "include_statbate": False})
    assert len(body) > 590_000
    response = client.post(
        "/api/lookup", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text[:300]


def test_validation_errors_are_capped(client: TestClient) -> None:
    # Given 5,000 unknown keys (under the body cap), each a problem of its own
    body = {f"{'k' * 150}{n}": 1 for n in range(5_000)}
    response = client.post("/api/lookup", json=body)
    assert response.status_code == 422
    error = _error(response)
    # Then the answer stays small: a bounded list, bounded texts, and the count of the rest
    assert len(error["details"]) == errors.MAX_DETAILS
    assert all(len(d["field"]) <= errors.MAX_FIELD_LENGTH for d in error["details"])
    assert len(error["message"]) <= errors.MAX_MESSAGE_LENGTH
    assert "and 4,997 more" in error["message"]
    assert len(response.content) < 8_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"username": "a" * 70},
            "invalid input: username: at most 64 characters (got 70)",
        ),
        (
            {"pasted_text": "a" * 1_000_000},
            "invalid input: pasted_text: at most 50,000 characters (got 1,000,000)",
        ),
        ({"surprise": 1}, "invalid input: surprise: not a field of this request"),
        ({"role": "KING"}, "invalid input: role: must be 'MODEL', 'VIEWER', 'BOTH' or 'UNKNOWN'"),
        (
            {"include_statbate": "perhaps"},
            "invalid input: include_statbate: must be true or false",
        ),
    ],
)
def test_a_validation_message_says_the_reason_and_the_limit(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    response = client.post("/api/lookup", json=body)
    assert response.status_code == 422
    assert _error(response)["message"] == message


def test_limits_of_numbers_and_lists_are_stated(client: TestClient, seeded: Seed) -> None:
    response = client.get(f"/api/persons/{seeded.alice}/interactions", params={"limit": 500})
    assert _error(response)["message"] == "invalid input: limit: must be at most 200"
    response = client.post(f"/api/persons/{seeded.alice}/notes", json={"text": ""})
    assert _error(response)["message"] == "invalid input: text: must not be empty"
    response = client.post(
        f"/api/persons/{seeded.alice}/notes",
        content=b'{"text": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert _error(response)["details"][0]["field"] == "body"


# ------------------------------------------------------------------------- dates in range
RANGE = "must be within the years 2000-2099 (UTC)"


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z"]
)
def test_an_alias_date_out_of_range_is_422_and_the_person_stays_readable(
    client: TestClient, db: Database, seeded: Seed, moment: str
) -> None:
    # `valid_to: 9999-12-31T23:59:59-14:00` was stored and made the person unreadable (500)
    for field in ("valid_from", "valid_to"):
        response = client.post(
            f"/api/persons/{seeded.alice}/aliases", json={"old_username": "x_old", field: moment}
        )
        assert response.status_code == 422
        assert _error(response)["details"] == [{"field": field, "message": RANGE}]
        assert _error(response)["message"] == f"invalid input: {field}: {RANGE}"
    assert client.get(f"/api/persons/{seeded.alice}").status_code == 200
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM person_aliases").fetchone() == {"n": 0}


def test_the_edges_of_the_range_are_accepted(client: TestClient, seeded: Seed) -> None:
    response = client.post(
        f"/api/persons/{seeded.alice}/aliases",
        json={
            "old_username": "x_old",
            "valid_from": "2000-01-01T00:00:00Z",
            "valid_to": "2099-12-31T23:59:59.999999Z",
        },
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_query_dates_out_of_range_are_422_naming_the_field(
    client: TestClient, seeded: Seed, moment: str
) -> None:
    for path, field, extra in (
        ("/api/sessions", "before", {}),
        (f"/api/persons/{seeded.alice}/interactions", "since", {}),
        (f"/api/persons/{seeded.alice}/interactions", "until", {}),
        (f"/api/persons/{seeded.alice}/snapshots", "since", {"source": "cb_stats"}),
        (f"/api/persons/{seeded.alice}/snapshots", "until", {"source": "cb_stats"}),
    ):
        response = client.get(path, params={**extra, field: moment})
        assert response.status_code == 422, (path, field, response.text)
        assert _error(response)["details"] == [{"field": field, "message": RANGE}]


def test_a_route_declares_a_larger_body_cap_of_its_own() -> None:
    # Given an app whose default cap is 1,000 bytes and one route (say, a CSV upload) that
    # declares 5,000 on itself
    app = FastAPI()

    @app.post("/upload", openapi_extra={input_guard.MAX_BODY_EXTRA: 5_000})
    async def upload(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/note")
    async def note(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(input_guard.InputGuard, routes=lambda: app.routes, max_body_bytes=1_000)
    client = TestClient(app)
    # Then each route takes what it declares, whole, and no more
    assert client.post("/upload", content=b"x" * 4_000).json() == {"bytes": 4_000}
    assert client.post("/upload", content=b"x" * 5_001).status_code == 413
    assert client.post("/note", content=b"x" * 1_000).json() == {"bytes": 1_000}
    assert client.post("/note", content=b"x" * 1_001).status_code == 413
    # And the OpenAPI document states the larger cap
    operation = client.get("/openapi.json").json()["paths"]["/upload"]["post"]
    assert operation[input_guard.MAX_BODY_EXTRA] == 5_000


def test_an_unknown_query_parameter_is_422_not_silently_ignored(
    client: TestClient, seeded: Seed
) -> None:
    # A typo in a filter name returned everything, unfiltered, as if it had matched
    response = client.get(f"/api/persons/{seeded.alice}/interactions?tpye=TIP_EVENT")
    assert response.status_code == 422
    assert _error(response)["details"] == [
        {
            "field": "tpye",
            "message": "not a parameter of this request (it takes type, source, since, until,"
            " limit, cursor, broadcaster)",
        }
    ]
    response = client.get("/api/search?q=hi&=null")
    assert response.status_code == 422
    assert _error(response)["details"][0]["field"] == "(unnamed)"
    # Known parameters, repeated ones and routes without any still work
    assert client.get("/api/search?q=hi&type=TIP_EVENT&type=CHAT_MESSAGE").status_code == 200
    assert client.get("/api/watchlists").status_code == 200
    assert client.get("/api/watchlists?x=1").status_code == 422
