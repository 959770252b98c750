"""No Statbate Plus cookie in any log line, error, metric, stored row or API response: every
way Plus can fail (table-driven, as for the clients), through the whole import: the job (the
Lambda's path) and `mhc chat-import` (the CLI's), then the API reading what they recorded.

The session starts as one canary pair, Plus rotates it to another on its first answer, then
fails in a way that echoes the cookies it got back (in bodies, headers, URLs, Set-Cookie).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from api.api_support import TOKEN
from chat.support import OWNER, settings_for
from fakes.clock import FakeClock
from fakes.http import SLOW_REPLY_SECONDS, FakeHttpServer, RecordedRequest, Reply, cloudflare_reply
from fakes.statbate_plus import SESSION_COOKIE, XSRF_COOKIE, FakePlus, make_messages, page_html
from fastapi.testclient import TestClient
from mhc.api import create_app
from mhc.cli import main
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.runtime.collector import build_chat_importer

PATH = f"/room/statbate/{OWNER}/chat"


def _echo(url: str, cookie: str) -> dict[str, str]:
    return {
        "message": f"Cookie: {SESSION_COOKIE}={cookie}; {XSRF_COOKIE}={cookie}%3D",
        "exception": f"TokenMismatchException X-XSRF-TOKEN: {cookie}=",
        "headers": json.dumps({"cookie": f"remember_web_59ba={cookie}", "x-xsrf-token": cookie}),
        "at": f"{url}/login?session={cookie}",
    }


def _set_cookies(cookie: str) -> list[tuple[str, str]]:
    return [
        ("Set-Cookie", f"{SESSION_COOKIE}={cookie}; path=/; httponly"),
        ("Set-Cookie", f"{XSRF_COOKIE}={cookie}%3D; path=/"),
        ("Set-Cookie", f"remember_web_59ba={cookie}; path=/; httponly"),
    ]


def _echoing_chat(url: str, cookie: str) -> Reply:
    """A good chat page whose props and one message carry the cookies back."""
    page = FakePlus(origin=url).chat_page("room", OWNER, 2)
    page["props"]["csrf_token"] = cookie
    page["props"]["messages"]["data"] = [
        {"id": 9, "created_at": "2026-01-11 10:00:00", "username": "echo_bot",
         "message": f"your cookie is {cookie}"},
        {"who": "unmapped", "said": f"{SESSION_COOKIE}={cookie}"},
    ]  # fmt: skip
    page["props"]["messages"]["next_page_url"] = None
    return Reply(body=json.dumps(page).encode(), headers={"X-Inertia": "true"},
                 header_list=_set_cookies(cookie))  # fmt: skip


#: Each failure of the second request, given the server's URL and the cookie it echoes.
FAILURES: dict[str, Callable[[str, str], Reply]] = {
    "401": lambda url, c: Reply(status=401, body=_echo(url, c), header_list=_set_cookies(c)),
    "419": lambda url, c: Reply(status=419, body=_echo(url, c), header_list=_set_cookies(c)),
    "302-login": lambda url, c: Reply(
        status=302, headers={"Location": f"{url}/login?session={c}"}, header_list=_set_cookies(c)
    ),
    "login-page": lambda url, c: Reply(
        body=page_html({**FakePlus(origin=url).login_page(), "props": _echo(url, c)}),
        header_list=_set_cookies(c),
    ),
    "409-elsewhere": lambda url, c: Reply(
        status=409,
        headers={"X-Inertia-Location": f"https://evil.example/login?session={c}"},
        header_list=_set_cookies(c),
    ),
    "cloudflare": lambda url, c: Reply(
        status=403,
        body=cloudflare_reply(403).body + f"<!-- Cookie: {SESSION_COOKIE}={c} -->",
        headers=cloudflare_reply(403).headers,
        header_list=_set_cookies(c),
    ),
    "html-without-page": lambda url, c: Reply(
        body=f"<html><body>{json.dumps(_echo(url, c))}</body></html>", header_list=_set_cookies(c)
    ),
    "404": lambda url, c: Reply(status=404, body=_echo(url, c), header_list=_set_cookies(c)),
    "500": lambda url, c: Reply(status=500, body=_echo(url, c), header_list=_set_cookies(c)),
    "not-json": lambda url, c: Reply(
        body=f"Cookie: {SESSION_COOKIE}={c}".encode(),
        headers={"X-Inertia": "true", "Content-Type": "application/json"},
        header_list=_set_cookies(c),
    ),
    "slow": lambda url, c: Reply(body=_echo(url, c), delay=SLOW_REPLY_SECONDS),
    "reset": lambda url, c: Reply(body=_echo(url, c), drop="reset", header_list=_set_cookies(c)),
    "echoing-chat-page": _echoing_chat,
}
#: Failures the client retries with real pauses: run through the job's fake clock only.
RETRIED = {"500", "not-json", "slow", "reset"}


class RecordingMetrics:
    def __init__(self) -> None:
        self.added: list[tuple[str, float, str]] = []

    def add(self, name: str, value: float, unit: str) -> None:
        self.added.append((name, value, unit))


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Every record of the mhc, httpx and httpcore loggers at DEBUG, before any formatter."""
    found: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record)

    handler = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("mhc", "httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield found
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def _server(server: FakeHttpServer, failure: str, rotated: str) -> None:
    """Page 1 answers well (rotating the cookies to `rotated`), everything after fails."""
    fake = FakePlus(origin=server.url, per_page=2)
    fake.add_room(OWNER, make_messages(6, room=OWNER, shape="shape_a"))
    answered = {"first": False}

    def handle(request: RecordedRequest) -> Reply:
        if request.path == PATH and not answered["first"]:
            answered["first"] = True
            return Reply(
                body=page_html(fake.chat_page("room", OWNER, 1)),
                headers={"Content-Type": "text/html"},
                header_list=_set_cookies(rotated),
            )
        return FAILURES[failure](server.url, rotated)

    server.handler = handle


def _stored_texts(db: Database) -> list[str]:
    texts = []
    with db.transaction() as conn:
        for table in ("job_runs", "chat_import_targets", "chat_import_responses", "interactions",
                      "jobs", "api_cool_downs"):  # fmt: skip
            for row in conn.execute(f"SELECT t::text AS row FROM {table} t").fetchall():
                texts.append(row["row"])
    return texts


API_READS = (
    "/api/chat-import",
    "/api/jobs",
    "/api/jobs/chat_import",
    "/api/health/ingest",
    "/api/search?q=cookie",
)


def _api_texts(db: Database) -> list[str]:
    app = create_app(lambda: db, statbate=lambda: None, clock=FakeClock())
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        return [client.get(path).text for path in API_READS]


def _record_texts(records: list[logging.LogRecord]) -> list[str]:
    plain = logging.Formatter("%(message)s %(exc_text)s")
    return [t for r in records for t in (r.getMessage(), repr(r.__dict__), plain.format(r))]


def _leaks(texts: list[str], *cookies: str) -> list[str]:
    variants = {v for c in cookies for v in (c, unquote(c), f"{c}%3D", f"{c}=")}
    return [t for t in texts if any(v in t for v in variants)]


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_the_job_leaks_no_cookie(
    failure: str, db: Database, server: FakeHttpServer, tmp_path: Path, clock: FakeClock,
    http: httpx.Client, records: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Given the owner's session (one canary pair) and Plus failing after a first good page
    monkeypatch.setenv("MHC_API_TOKEN", TOKEN)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()
    session, xsrf = f"SESSION{uuid.uuid4().hex[:12]}", f"XSRF{uuid.uuid4().hex[:12]}%3D"
    rotated = f"ROTATED{uuid.uuid4().hex[:12]}"
    _server(server, failure, rotated)
    settings = settings_for(server, tmp_path / "plus.json", session, xsrf)
    metrics = RecordingMetrics()
    collector = build_chat_importer(
        settings, db, http=http, clock=clock, sleeper=clock.sleep, metrics=metrics
    )
    # When the job runs
    (report,) = collector.run_due(lambda: timedelta(seconds=600))
    # Then no cookie is in its report, the logs, the metrics, the database or the API
    texts = [repr(report), report.model_dump_json(), repr(metrics.added)]
    texts += _record_texts(records) + _stored_texts(db) + _api_texts(db)
    assert not _leaks(texts, session, xsrf, rotated)
    # And the failure really happened (the run is not a success) after the first page
    assert report.status is not None
    assert report.status.value != "succeeded" or failure == "echoing-chat-page"
    assert server.request_count >= 2


@pytest.mark.parametrize("failure", sorted(set(FAILURES) - RETRIED))
def test_the_command_line_leaks_no_cookie(
    failure: str, database_url: str, server: FakeHttpServer, tmp_path: Path,
    records: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # Given `mhc chat-import room` with the session in the environment
    session, xsrf = f"SESSION{uuid.uuid4().hex[:12]}", f"XSRF{uuid.uuid4().hex[:12]}%3D"
    rotated = f"ROTATED{uuid.uuid4().hex[:12]}"
    _server(server, failure, rotated)
    for name, value in {
        "DATABASE_URL": database_url,
        "MHC_OWNER_USERNAME": OWNER,
        "MHC_STATBATE_PLUS_URL": server.url,
        "MHC_STATBATE_PLUS_SESSION": session,
        "MHC_STATBATE_PLUS_XSRF": xsrf,
        "MHC_STATBATE_PLUS_COOKIE_FILE": str(tmp_path / "plus.json"),
        "MHC_STATBATE_PLUS_REQUEST_INTERVAL_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    # When it runs
    code = main(["chat-import", "room", OWNER])
    out = capsys.readouterr()
    # Then it failed (or stored the echoing page), saying so without any cookie
    assert (code == 0) == (failure == "echoing-chat-page")
    db = Database(database_url)
    try:
        texts = [out.out, out.err, *_record_texts(records), *_stored_texts(db)]
    finally:
        db.close()
    assert not _leaks(texts, session, xsrf, rotated)
    assert server.request_count >= 2


def test_the_detector_sees_a_cookie_in_each_form_it_checks() -> None:
    assert _leaks(["x SESSIONabc%3D y"], "SESSIONabc")
    assert _leaks(["decoded XSRFabc= y"], "XSRFabc%3D")
    assert not _leaks(["[REDACTED]"], "SESSIONabc")
