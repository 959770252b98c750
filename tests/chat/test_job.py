"""The `chat_import` job: hourly in its own function (the owner's room first, then what was
asked for, then unfinished walks), `auth_expired` as its own status, "not configured" without a
session; the Lambda handler; the stats poller leaving the job alone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from chat.support import OWNER, as_rows, expected_rows, imported, settings_for, target
from fakes.aws_lambda import FakeLambdaContext, load_function
from fakes.clock import FakeClock
from fakes.http import FakeHttpServer
from fakes.statbate_plus import FakePlus, make_messages
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.chat_import_runs import TargetKind
from mhc.domain.models import JobRun, JobStatus
from mhc.runtime.collector import build_chat_importer, build_collector
from mhc.services import chat_import, job_runs
from mhc.services.chat_import import SessionState
from mhc.services.collect import Collector

ROOT = Path(__file__).resolve().parents[2]
MEMBER = "big_fan"


def importer(db: Database, settings: Settings, http: httpx.Client, clock: FakeClock) -> Collector:
    return build_chat_importer(settings, db, http=http, clock=clock, sleeper=clock.sleep)


def budget(seconds: float = 600) -> Any:
    return lambda: timedelta(seconds=seconds)


def runs(db: Database) -> list[JobRun]:
    with db.transaction() as conn:
        return job_runs.recent(conn, job=chat_import.JOB)


def session_state(db: Database) -> SessionState:
    with db.transaction() as conn:
        return chat_import.session_status(conn).state


def test_the_job_imports_the_owner_s_room_then_what_was_asked_for(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a member's chat the owner asked for (from the person page)
    fake.add_member(MEMBER, make_messages(250, room="some_room", shape="member", member=MEMBER))
    started: list[str] = []
    chat_import.request_import(db, TargetKind.MEMBER, MEMBER, start=started.append, clock=clock)
    assert started == ["chat_import"]
    # When the job runs (it is due: never run)
    (report,) = importer(db, settings, http, clock).run_due(budget())
    # Then the owner's room and the member's chat are imported, and the run says so
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["new"] == 5_450
    assert (report.counts["targets"], report.counts["unfinished"]) == (2, 0)
    assert as_rows(imported(db, broadcaster=OWNER)) == expected_rows(fake.rooms[OWNER])
    assert as_rows(imported(db, broadcaster="some_room")) == expected_rows(fake.members[MEMBER])
    # And the request is answered, the job next runs in an hour, the session works
    assert target(db, TargetKind.MEMBER, MEMBER)["requested_at"] is None
    with db.transaction() as conn:
        job = conn.execute("SELECT next_run_at FROM jobs WHERE name = 'chat_import'").fetchone()
    assert job is not None
    assert job["next_run_at"] == report_start(db) + timedelta(hours=1)
    assert session_state(db) is SessionState.OK

    # When it runs an hour later, it only catches up: one page of the room
    clock.advance(3600)
    (again,) = importer(db, settings, http, clock).run_due(budget())
    assert again.status is JobStatus.SUCCEEDED
    assert (again.counts["new"], again.counts["pages"], again.counts["targets"]) == (0, 1, 1)


def report_start(db: Database) -> Any:
    return runs(db)[0].started_at


def test_a_run_out_of_time_keeps_its_checkpoint_and_the_next_run_resumes(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given 100 s for a run (2 s between requests: some 40 pages fit, the room has 52)
    (report,) = importer(db, settings, http, clock).run_due(budget(100))
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["unfinished"] == 1
    stored = len(imported(db))
    assert 0 < stored < 5_200
    checkpoint = target(db, TargetKind.ROOM, OWNER)["checkpoint"]
    assert checkpoint.endswith(f"?page={stored // 100 + 1}")
    # When the next run has time, it resumes there and finishes
    clock.advance(3600)
    (resumed,) = importer(db, settings, http, clock).run_due(budget())
    assert resumed.counts["new"] == 5_200 - stored
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])


def test_an_expired_session_is_auth_expired_and_fresh_cookies_resume(
    db: Database, http: httpx.Client, clock: FakeClock, fake: FakePlus, server: FakeHttpServer,
    cookie_file: Path,
) -> None:  # fmt: skip
    # Given a session that expires after 10 chat pages
    session, xsrf = fake.sign_in()
    settings = settings_for(server, cookie_file, session, xsrf)
    fake.expire_after = 10
    # When the job runs
    (report,) = importer(db, settings, http, clock).run_due(budget())
    # Then it is auth_expired (not failed), with what to do, and what was read is kept
    assert report.status is JobStatus.AUTH_EXPIRED
    assert report.error is not None
    assert "mhc chat-import login" in report.error
    assert report.counts["new"] == 1_000
    assert len(imported(db)) == 1_000
    assert session_state(db) is SessionState.EXPIRED
    # When the owner pastes fresh cookies and the job is started again
    session, xsrf = fake.sign_in()
    fresh = settings_for(server, cookie_file, session, xsrf)
    (report,) = importer(db, fresh, http, clock).run_due(budget(), only=["chat_import"])
    # Then it resumed at page 11 and every message is stored once
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["new"] == 4_200
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])
    assert session_state(db) is SessionState.OK


def test_without_a_session_the_job_is_not_configured(
    db: Database, http: httpx.Client, clock: FakeClock, fake: FakePlus, server: FakeHttpServer,
    cookie_file: Path,
) -> None:  # fmt: skip
    settings = settings_for(server, cookie_file, None, None)
    (report,) = importer(db, settings, http, clock).run_due(budget())
    assert report.status is JobStatus.NOT_CONFIGURED
    assert "sign in" in (report.error or "")
    assert server.request_count == 0
    assert session_state(db) is SessionState.NOT_CONFIGURED


def test_a_chat_plus_does_not_know_fails_that_chat_only(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    # Given a member Plus answers 404 for, asked for before one it knows
    fake.add_member(MEMBER, make_messages(50, room="some_room", shape="member", member=MEMBER))
    handler = server.handler
    assert handler is not None
    server.handler = lambda r: (
        httpx_404() if r.path.startswith("/member/statbate/nobody_here") else handler(r)
    )
    chat_import.request_import(db, TargetKind.MEMBER, "nobody_here", clock=clock)
    clock.advance(1)
    chat_import.request_import(db, TargetKind.MEMBER, MEMBER, clock=clock)
    # When the job runs
    (report,) = importer(db, settings, http, clock).run_due(budget())
    # Then the others are imported, and the run fails naming the chat at fault
    assert report.status is JobStatus.FAILED
    assert "member nobody_here" in (report.error or "")
    assert len(imported(db, broadcaster="some_room")) == 50
    assert target(db, TargetKind.MEMBER, "nobody_here")["last_status"] == "failed"


def httpx_404() -> Any:
    from fakes.http import Reply

    return Reply(status=404, body="<html><title>Not Found</title></html>")


def test_the_stats_poller_leaves_the_chat_import_alone(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE jobs SET enabled = (name = 'chat_import'), next_run_at = NULL")
    reports = build_collector(settings, db, http=http, clock=clock).run_due(budget())
    assert reports == []
    assert runs(db) == []


def test_the_lambda_handler_runs_the_job_when_due_or_asked(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    app = load_function("chat_import")
    app._function.collector = importer(db, settings, http, clock)
    context = FakeLambdaContext(clock, 890, arn="arn:aws:lambda:x")
    schedule = json.loads((ROOT / "events" / "chat_import_schedule.json").read_text())
    run_now = json.loads((ROOT / "events" / "chat_import_run_now.json").read_text())
    # The hourly schedule runs it when due
    result = app.handler(schedule, context)
    assert [(j["job"], j["status"]) for j in result["jobs"]] == [("chat_import", "succeeded")]
    # and not again within the hour
    assert app.handler(schedule, FakeLambdaContext(clock, 890))["jobs"] == []
    # while "import now" runs it at once
    result = app.handler(run_now, FakeLambdaContext(clock, 890))
    assert [(j["job"], j["status"]) for j in result["jobs"]] == [("chat_import", "succeeded")]
    assert len(imported(db)) == 5_200


@pytest.mark.parametrize("owner_room", [True, False])
def test_the_owner_s_room_can_be_left_to_requests(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    owner_room: bool,
) -> None:  # fmt: skip
    with db.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET config = %s WHERE name = 'chat_import'",
            (json.dumps({"owner_room": owner_room}),),
        )
    (report,) = importer(db, settings, http, clock).run_due(budget())
    assert report.counts["targets"] == (1 if owner_room else 0)


def test_the_live_session_chat_where_plus_answers_it(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given the owner asking for the live session's chat too, and Plus answering its JSON
    fake.add_live(OWNER, make_messages(230, room=OWNER, shape="shape_b", seed=9))
    with db.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET config = %s WHERE name = 'chat_import'",
            (json.dumps({"owner_room": False, "live_session": True}),),
        )
    # When the job runs, the live session's messages are imported as the room's
    (report,) = importer(db, settings, http, clock).run_due(budget())
    assert report.status is JobStatus.SUCCEEDED
    assert report.counts["new"] == 230
    assert as_rows(imported(db, broadcaster=OWNER)) == expected_rows(fake.live[OWNER])
    assert target(db, TargetKind.LIVE, OWNER)["last_status"] == "succeeded"


def test_no_live_session_is_skipped_not_failed(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    handler = server.handler
    assert handler is not None
    server.handler = lambda r: (
        httpx_404() if r.path.startswith("/api/live-sessions/") else handler(r)
    )
    with db.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET config = %s WHERE name = 'chat_import'",
            (json.dumps({"live_session": True}),),
        )
    (report,) = importer(db, settings, http, clock).run_due(budget())
    assert report.status is JobStatus.SUCCEEDED
    assert target(db, TargetKind.LIVE, OWNER)["last_status"] == "skipped"
    assert len(imported(db)) == 5_200
