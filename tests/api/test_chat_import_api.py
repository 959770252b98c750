"""The chat import in the API: where it stands (and an expired session, with what to do), the
write-only Statbate Plus session form, and "import now" for the owner's room or a person."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from api.api_support import NOW, OWNER, TOKEN, FakeStatbate, Seed
from fakes.clock import FakeClock
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.db.connection import Database
from mhc.domain.models import JobStatus
from mhc.domain.plus_cookies import SESSION_COOKIE, XSRF_COOKIE, PlusCookies
from mhc.runtime.cookie_store import SsmCookieStore
from mhc.services import job_runs
from moto import mock_aws

SESSION = "eyJpdiI6IlNlc3Npb25WYWx1ZTEyMyIsInZhbHVlIjoic2VjcmV0In0%3D"
XSRF = "eyJpdiI6IlhzcmZWYWx1ZTQ1NiIsInZhbHVlIjoieHNyZiJ9%3D"


def job(db: Database, name: str = "chat_import") -> dict[str, Any]:
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM jobs WHERE name = %s", (name,)).fetchone()
    assert row is not None
    return dict(row)


def app_with(db: Database, started: list[str], **kwargs: Any) -> TestClient:
    app = create_app(
        lambda: db,
        statbate=lambda: FakeStatbate(),
        start_job=started.append,
        clock=FakeClock(NOW),
        **kwargs,
    )
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def test_the_status_before_any_import(client: TestClient) -> None:
    body = client.get("/api/chat-import").json()
    assert body["session"] == {
        "state": "unknown",
        "checked_at": None,
        "message": None,
        "action": None,
    }
    assert (body["targets"], body["unread"]) == ([], [])
    assert body["totals"] == {"responses": 0, "messages": 0, "unmapped": 0}
    assert body["field_map"]["items"][0] == "props.messages.data"


def test_an_expired_session_is_flagged_with_what_to_do(client: TestClient, db: Database) -> None:
    # Given the last import run found the session expired
    with db.transaction() as conn:
        job_runs.record(
            conn,
            "chat_import",
            at=NOW - timedelta(minutes=5),
            status=JobStatus.AUTH_EXPIRED,
            counts={"new": 300},
            error="statbate_plus: HTTP 302 to the login page: the session has expired",
        )
    # Then the status says so, when, and what the owner should do
    session = client.get("/api/chat-import").json()["session"]
    assert session["state"] == "expired"
    assert session["checked_at"] == "2026-06-01T21:55:00Z"
    assert "login page" in session["message"]
    assert "mhc chat-import login" in session["action"]
    # And a later run that worked clears it
    with db.transaction() as conn:
        job_runs.record(conn, "chat_import_cli", at=NOW, status=JobStatus.SUCCEEDED, counts={})
    assert client.get("/api/chat-import").json()["session"]["state"] == "ok"


def test_the_session_form_keeps_the_cookies_and_never_shows_them(
    db: Database, api_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the app keeping the session in a local file
    from mhc.runtime.cookie_store import FileCookieStore

    path = tmp_path / "plus.json"
    started: list[str] = []
    client = app_with(db, started, plus_session=lambda: FileCookieStore(path))
    # When the owner pastes the two cookies as DevTools copies them (name=value)
    with caplog.at_level(logging.DEBUG):
        response = client.put(
            "/api/chat-import/session",
            json={"session": f"{SESSION_COOKIE}={SESSION}", "xsrf": f" {XSRF} "},
        )
    # Then they are kept where the import reads them, 0600, and an import is started
    assert response.status_code == 200
    assert response.json() == {"saved": True, "import_started": True}
    stored = FileCookieStore(path).load()
    assert stored == PlusCookies({SESSION_COOKIE: SESSION, XSRF_COOKIE: XSRF})
    assert path.stat().st_mode & 0o777 == 0o600
    assert started == ["chat_import"]
    assert job(db)["next_run_at"] == NOW
    # And no value appears in the response, a log line, or any later read of the API
    for text in (response.text, caplog.text, client.get("/api/chat-import").text,
                 client.get("/api/jobs/chat_import").text):  # fmt: skip
        assert SESSION not in text
        assert XSRF not in text
        assert "U2Vzc2lvblZhbHVlMTIz" not in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"session": "has space", "xsrf": XSRF}, "session"),
        ({"session": SESSION, "xsrf": "semi;colon"}, "xsrf"),
        ({"session": "", "xsrf": XSRF}, "session"),
        ({"session": SESSION}, "xsrf"),
        ({"session": SESSION, "xsrf": XSRF, "extra": 1}, "extra"),
    ],
)
def test_a_bad_paste_names_the_field_and_echoes_nothing(
    client: TestClient, plus_cookie_file: Path, body: dict[str, Any], field: str
) -> None:
    response = client.put("/api/chat-import/session", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert field in error["message"]
    for value in body.values():
        if isinstance(value, str) and value:
            assert value not in response.text
    assert not plus_cookie_file.exists()


def test_a_server_without_a_session_store_refuses_the_form(db: Database, api_env: None) -> None:
    response = app_with(db, []).put(
        "/api/chat-import/session", json={"session": SESSION, "xsrf": XSRF}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


def test_in_aws_the_form_writes_only_the_two_parameters_without_reading_them() -> None:
    # Given the two SSM parameters and an SSM client that records every call
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        calls: list[str] = []

        class Recording:
            def __getattr__(self, name: str) -> Any:
                calls.append(name)
                return getattr(ssm, name)

        store = SsmCookieStore("/mhc/test/plus-session", "/mhc/test/plus-xsrf", Recording())
        # When the form's cookies are written
        store.replace(PlusCookies.pasted(SESSION, XSRF))
        # Then both parameters hold them, and nothing was read
        assert calls == ["put_parameter", "put_parameter"]
        values = {
            p["Name"]: (p["Value"], p["Type"])
            for p in ssm.get_parameters(
                Names=["/mhc/test/plus-session", "/mhc/test/plus-xsrf"], WithDecryption=True
            )["Parameters"]
        }
        assert values == {
            "/mhc/test/plus-session": (SESSION, "SecureString"),
            "/mhc/test/plus-xsrf": (XSRF, "SecureString"),
        }


def test_import_now_for_the_owner_s_room(db: Database, api_env: None) -> None:
    started: list[str] = []
    client = app_with(db, started)
    response = client.post("/api/owner/chat-import")
    assert response.status_code == 202
    body = response.json()
    assert (body["kind"], body["name"], body["requested_at"]) == (
        "room",
        OWNER,
        "2026-06-01T22:00:00Z",
    )
    assert started == ["chat_import"]
    assert job(db)["next_run_at"] == NOW
    # The queue shows it, and asking again keeps the first request's time
    client.post("/api/owner/chat-import")
    (listed,) = client.get("/api/chat-import").json()["targets"]
    assert (listed["name"], listed["requested_at"]) == (OWNER, "2026-06-01T22:00:00Z")


def test_import_now_for_a_person_uses_their_current_name(
    db: Database, api_env: None, seeded: Seed
) -> None:
    started: list[str] = []
    client = app_with(db, started)
    response = client.post(f"/api/persons/{seeded.alice}/chat-import")
    assert response.status_code == 202
    assert (response.json()["kind"], response.json()["name"]) == ("member", "alice_01")
    assert client.post("/api/persons/999999/chat-import").status_code == 404
    assert started == ["chat_import"]


def test_the_jobs_page_lists_the_chat_import(client: TestClient) -> None:
    views = client.get("/api/jobs").json()
    (chat,) = [v for v in views if v["job"]["name"] == "chat_import"]
    assert chat["job"]["kind"] == "chat_import"
    assert chat["job"]["interval_seconds"] == 3600
    assert chat["effective_config"] == {
        "owner_room": True,
        "live_session": False,
        "request_interval_seconds": None,
    }


def test_an_excluded_person_s_chat_is_not_listed(
    client: TestClient, db: Database, seeded: Seed
) -> None:
    client.post(f"/api/persons/{seeded.excluded}/chat-import")
    client.post(f"/api/persons/{seeded.alice}/chat-import")
    names = [t["name"] for t in client.get("/api/chat-import").json()["targets"]]
    assert names == ["alice_01"]
    assert "smk_lover" not in json.dumps(client.get("/api/chat-import").json())
