"""A room's chat walked through the fake Plus into PostgreSQL: every message exactly once, a
second run adds nothing, a run killed mid-way and restarted loses and doubles nothing, an
expired session keeps what was stored and the next run resumes; the protocol's detours (409,
5xx, 429, resets, slow replies, Cloudflare) on the way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from chat.support import (
    OWNER,
    as_rows,
    count,
    expected_rows,
    imported,
    make_client,
    target,
    walk,
)
from fakes.clock import FakeClock
from fakes.http import SLOW_REPLY_SECONDS, FakeHttpServer, Reply, cloudflare_reply
from fakes.statbate_plus import Expiry, FakePlus
from mhc.clients.errors import Blocked, SessionExpired
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.chat_import_runs import TargetKind
from mhc.domain.models import JobStatus
from mhc.services import chat_import, job_runs
from mhc.store import chat_import as chat_store

ROOM_PATH = f"/room/statbate/{OWNER}/chat"


def chat_requests(server: FakeHttpServer) -> list[str]:
    return [r.target for r in server.requests if r.path == ROOM_PATH]


def runs(db: Database, job: str = chat_import.CLI_JOB) -> list[Any]:
    with db.transaction() as conn:
        return job_runs.recent(conn, job=job)


def test_a_room_of_5200_messages_is_stored_once_and_a_second_run_adds_nothing(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    # Given a room of 5,200 messages over 52 pages, and Plus deploying new assets mid-walk
    fake.version_change_after = 25
    progress: list[chat_import.PageProgress] = []
    # When the room is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER, progress=progress.append)
    # Then every message is stored exactly once, as imported chat of its sender in the room
    assert outcome is not None
    assert (outcome.status, outcome.ended) == ("succeeded", True)
    rows = imported(db)
    assert as_rows(rows) == expected_rows(fake.rooms[OWNER])
    assert len({r["external_id"] for r in rows}) == 5_200
    assert outcome.counts.new == 5_200
    assert outcome.counts.pages == 52
    # And each raw response is kept, and each row points at its response and item
    assert count(db, "SELECT count(*) FROM chat_import_responses WHERE origin = 'plus'") == 52
    assert {r["metadata"]["plus_id"] for r in rows} == {m.message_id for m in fake.rooms[OWNER]}
    first = rows[-1]
    with db.transaction() as conn:
        body = conn.execute(
            "SELECT body FROM chat_import_responses WHERE id = %s",
            (first["metadata"]["response_id"],),
        ).fetchone()
    assert body is not None
    item = body["body"]["props"]["messages"]["data"][first["metadata"]["item"]]
    assert item == fake.rooms[OWNER][0].raw
    # And the walk ended: no checkpoint, the whole history is known, the run recorded
    state = target(db, TargetKind.ROOM, OWNER)
    assert (state["checkpoint"], state["completed_at"] is not None) == (None, True)
    assert (state["last_status"], state["claimed_at"]) == ("succeeded", None)
    (run,) = runs(db)
    assert run.status is JobStatus.SUCCEEDED
    assert run.counts["new"] == 5_200
    assert fake.conflicts == 1
    # And progress was told page by page, with the paginator's last page
    assert [p.pages for p in progress] == list(range(1, 53))
    assert {p.last_page for p in progress} == {52}
    assert progress[-1].total.new == 5_200

    # When the room is imported again
    before = len(server.requests)
    again = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then nothing is added, and the walk only caught up: one page, nothing new on it
    assert again is not None
    assert (again.counts.new, again.counts.pages) == (0, 1)
    assert len(imported(db)) == 5_200
    assert chat_requests(server)[before - len(server.requests) :] == [ROOM_PATH]


def test_new_messages_are_caught_up_from_the_first_page(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    from fakes.statbate_plus import make_messages

    # Given the room imported once
    walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # When 250 new messages arrive (newest first, in front of the old ones) and it runs again
    newer = make_messages(250, room=OWNER, shape="shape_a", start=clock.now, first_id=10_000)
    fake.add_room(OWNER, newer + fake.rooms[OWNER])
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then the new ones are stored, and the walk stopped at the first page with nothing new
    assert outcome is not None
    assert outcome.counts.new == 250
    assert outcome.counts.pages == 4
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])


class Killed(Exception):
    """The process dies here."""


@pytest.mark.parametrize("where", ["inside the page's transaction", "after the commit"])
def test_a_run_killed_mid_way_and_restarted_loses_and_doubles_nothing(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer, monkeypatch: pytest.MonkeyPatch, where: str,
) -> None:  # fmt: skip
    # Given a run that dies at page 20 (while writing it, or right after it committed)
    calls = {"pages": 0}
    if where == "after the commit":

        def die(progress: chat_import.PageProgress) -> None:
            if progress.pages == 20:
                raise Killed

        kwargs: dict[str, Any] = {"progress": die}
    else:
        real = chat_store.save_progress

        def save_then_die(*args: Any, **kw: Any) -> bool:
            calls["pages"] += 1
            saved = real(*args, **kw)
            if calls["pages"] == 20:
                raise Killed  # the page's rows are written: the rollback takes them back
            return saved

        monkeypatch.setattr(chat_store, "save_progress", save_then_die)
        kwargs = {}
    with pytest.raises(Killed):
        walk(db, settings, http, clock, TargetKind.ROOM, OWNER, **kwargs)
    monkeypatch.undo()
    stored = 2_000 if where == "after the commit" else 1_900
    assert len(imported(db)) == stored
    checkpoint = target(db, TargetKind.ROOM, OWNER)["checkpoint"]
    assert checkpoint.endswith(f"?page={stored // 100 + 1}")
    # When it runs again
    before = len(server.requests)
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then it resumed at the checkpoint and every message is stored exactly once
    assert outcome is not None
    assert chat_requests(server)[before - len(server.requests)] == checkpoint.removeprefix(
        server.url
    )
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])
    assert count(db, "SELECT count(*) FROM interactions WHERE type = 'CHAT_IMPORT'") == 5_200
    # And the dead run is on record as failed
    assert [r.status for r in runs(db)] == [JobStatus.SUCCEEDED, JobStatus.FAILED]


@pytest.mark.parametrize("how", ["redirect", "401", "login_page"])
def test_expiry_mid_import_keeps_what_was_stored_and_the_next_run_resumes(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer, cookie_file: Any, how: Expiry,
) -> None:  # fmt: skip
    from chat.support import settings_for

    # Given a session that expires after 30 chat pages
    fake.expiry = how
    fake.expire_after = 30
    # When the room is imported
    with pytest.raises(SessionExpired):
        walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then the 30 pages are stored, the run and the chat say auth_expired, the checkpoint waits
    assert len(imported(db)) == 3_000
    state = target(db, TargetKind.ROOM, OWNER)
    assert state["checkpoint"].endswith("?page=31")
    assert (state["last_status"], state["claimed_at"]) == ("auth_expired", None)
    (run,) = runs(db)
    assert run.status is JobStatus.AUTH_EXPIRED
    assert run.error is not None
    assert "sign in" in run.error
    # When the owner signs in again and the import runs with the fresh cookies
    session, xsrf = fake.sign_in()
    fresh = settings_for(server, cookie_file, session, xsrf)
    before = len(server.requests)
    outcome = walk(db, fresh, http, clock, TargetKind.ROOM, OWNER)
    # Then it resumes at page 31, and every message is stored exactly once
    assert outcome is not None
    assert chat_requests(server)[before - len(server.requests)].endswith("?page=31")
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])


def test_the_rotated_session_is_kept_for_the_next_run(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    cookie_file: Any,
) -> None:  # fmt: skip
    import json

    # Given Plus rotating its cookies on every answer
    walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then the cookie file holds the last rotation (0600), not the pasted cookies
    saved = json.loads(cookie_file.read_text())["cookies"]
    pasted = settings.secret("MHC_STATBATE_PLUS_SESSION")
    assert saved["statbate_plus_session"] != pasted
    assert cookie_file.stat().st_mode & 0o777 == 0o600
    # And a run after the pasted session expired still works on the kept one
    fake.add_room("other_room", fake.rooms[OWNER][:150])
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, "other_room")
    assert outcome is not None
    assert outcome.status == "succeeded"


def test_transient_failures_are_retried_and_nothing_is_doubled(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    # Given page 3 failing with a 503, page 5 with a 429, page 7 reset mid-body, page 9 slow
    faults = {3: Reply(status=503), 5: Reply(status=429, headers={"Retry-After": "3"}),
              7: Reply(drop="reset", body=b"x" * 4000), 9: Reply(delay=SLOW_REPLY_SECONDS)}  # fmt: skip
    handler = server.handler
    assert handler is not None

    def flaky(request: Any) -> Reply:
        page = int(request.param("page") or 1)
        fault = faults.pop(page, None) if request.path == ROOM_PATH else None
        return fault if fault is not None else handler(request)

    server.handler = flaky
    # When the room is imported
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then every fault was retried and every message stored once
    assert outcome is not None
    assert outcome.status == "succeeded"
    assert faults == {}
    assert as_rows(imported(db)) == expected_rows(fake.rooms[OWNER])


def test_a_cloudflare_challenge_stops_the_walk_at_its_checkpoint(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus,
    server: FakeHttpServer,
) -> None:  # fmt: skip
    # Given Cloudflare challenging the fifth chat request
    handler = server.handler
    assert handler is not None
    seen = {"n": 0}

    def challenge(request: Any) -> Reply:
        seen["n"] += request.path == ROOM_PATH
        return cloudflare_reply(403) if seen["n"] == 5 else handler(request)

    server.handler = challenge
    # When the room is imported
    with pytest.raises(Blocked):
        walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    # Then four pages are stored, the walk waits at page 5, the failure is on record
    assert len(imported(db)) == 400
    state = target(db, TargetKind.ROOM, OWNER)
    assert state["checkpoint"].endswith("?page=5")
    assert state["last_status"] == "failed"
    assert "Blocked" in (state["last_error"] or "")


def test_a_second_run_while_one_walks_the_chat_leaves_it_alone(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given another run holding the room (a claim refreshed a minute ago)
    with db.transaction() as conn:
        room = chat_store.ensure_target(conn, TargetKind.ROOM, OWNER)
        chat_store.claim(conn, room.id, by="other", now=clock(), stale_before=clock())
    clock.advance(60)
    # When the room is imported now, nothing is walked
    assert walk(db, settings, http, clock, TargetKind.ROOM, OWNER) is None
    assert imported(db) == []
    assert runs(db)[0].status is JobStatus.SKIPPED
    # When that run died (its claim is more than 10 minutes old), the next run takes over
    clock.advance(10 * 60)
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER)
    assert outcome is not None
    assert len(imported(db)) == 5_200


def test_a_run_whose_claim_was_taken_over_stops_without_writing_the_page(
    db: Database, settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # Given a run that was taken over after its third page (its claim went stale meanwhile)
    def take_over(progress: chat_import.PageProgress) -> None:
        if progress.pages == 3:
            with db.transaction() as conn:
                room = chat_store.get_target(conn, TargetKind.ROOM, OWNER)
                assert room is not None
                conn.execute(
                    "UPDATE chat_import_targets SET claimed_by = 'newer' WHERE id = %s", (room.id,)
                )

    # When it goes on, it stops at its next page, which is not stored
    outcome = walk(db, settings, http, clock, TargetKind.ROOM, OWNER, progress=take_over)
    assert outcome is not None
    assert outcome.status == "failed"
    assert "another run" in (outcome.error or "")
    assert len(imported(db)) == 300


def test_the_client_is_the_one_the_cli_builds(
    settings: Settings, http: httpx.Client, clock: FakeClock, fake: FakePlus
) -> None:
    # The Plus client comes from the settings: base URL, site, pacing, the cookie file
    client = make_client(settings, http, clock)
    assert client.room_chat_url(OWNER).startswith(settings.mhc_statbate_plus_url)
    page = client.room_chat(OWNER)
    assert page.body["component"] == "Room/Chat"
