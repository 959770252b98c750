"""`mhc chat-import`: a room or member walked with progress on the terminal, an expired session
exiting non-zero with what to do, captured files, and bad input named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat.support import OWNER, count
from fakes.http import FakeHttpServer
from fakes.statbate_plus import FakePlus, har_for_room, make_messages
from mhc.cli import EXIT_SESSION_EXPIRED, main
from mhc.config import get_settings
from mhc.db.connection import Database


@pytest.fixture
def env(
    database_url: str,
    fake: FakePlus,
    server: FakeHttpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Database:
    session, xsrf = fake.sign_in()
    for name, value in {
        "DATABASE_URL": database_url,
        "MHC_OWNER_USERNAME": OWNER,
        "MHC_OWNER_TIMEZONE": "America/New_York",
        "MHC_STATBATE_PLUS_URL": server.url,
        "MHC_STATBATE_PLUS_SESSION": session,
        "MHC_STATBATE_PLUS_XSRF": xsrf,
        "MHC_STATBATE_PLUS_COOKIE_FILE": str(tmp_path / "plus.json"),
        "MHC_STATBATE_PLUS_REQUEST_INTERVAL_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    db = Database(database_url)
    yield db  # type: ignore[misc]
    db.close()


def test_a_room_is_imported_with_progress_and_again_adds_nothing(
    env: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the owner's room is imported from the command line
    assert main(["chat-import", "room", OWNER]) == 0
    out = capsys.readouterr().out.splitlines()
    # Then each page is reported as it is stored, and the totals at the end
    assert out[0] == (
        f"room {OWNER}: page 1/52: 100 messages (100 new, 0 already stored, 0 unmapped, "
        "0 live twins); 100 new so far"
    )
    assert out[51].startswith(f"room {OWNER}: page 52/52: ")
    assert out[51].endswith("5,200 new so far")
    assert out[52].startswith(
        f"room {OWNER}: succeeded; pages=52, responses=52, messages=5200, new=5200"
    )
    assert count(env, "SELECT count(*) FROM interactions WHERE type = 'CHAT_IMPORT'") == 5_200
    # When it runs again, it catches up on one page and adds nothing
    assert main(["chat-import", "room", OWNER]) == 0
    again = capsys.readouterr().out.splitlines()
    assert len(again) == 2
    assert "(0 new, 100 already stored" in again[0]
    assert count(env, "SELECT count(*) FROM job_runs WHERE job = 'chat_import_cli'") == 2


def test_an_expired_session_exits_non_zero_saying_what_to_do(
    env: Database, fake: FakePlus, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.expire_after = 5
    assert main(["chat-import", "room", OWNER]) == EXIT_SESSION_EXPIRED
    captured = capsys.readouterr()
    assert "the session has expired" in captured.err
    assert "mhc chat-import login" in captured.err
    assert "resumes where it stopped" in captured.err
    assert "page 5/52" in captured.out
    assert count(env, "SELECT count(*) FROM interactions") == 500
    assert count(env, "SELECT count(*) FROM job_runs WHERE status = 'auth_expired'") == 1


def test_a_member_and_a_window(
    env: Database, fake: FakePlus, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_member(
        "big_fan", make_messages(120, room="some_room", shape="member", member="big_fan")
    )
    assert main(["chat-import", "member", "Big_Fan"]) == 0
    assert "member big_fan: succeeded" in capsys.readouterr().out
    assert count(env, "SELECT count(*) FROM interactions WHERE broadcaster = 'some_room'") == 120
    # A window in the owner's zone (New York): the first fake day is 2026-01-09 there
    assert (
        main(["chat-import", "room", OWNER, "--since", "2026-01-10", "--until", "2026-01-10"]) == 0
    )
    stored = count(env, "SELECT count(*) FROM interactions WHERE broadcaster = %s", (OWNER,))
    assert 0 < stored < 5_200
    assert (
        count(
            env,
            """SELECT count(*) FROM interactions WHERE broadcaster = %s AND
           (occurred_at AT TIME ZONE 'America/New_York')::date <> '2026-01-10'""",
            (OWNER,),
        )
        == 0
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["chat-import", "room", OWNER, "--since", "last week"], "since: must be a date"),
        (["chat-import", "room", "not a name!"], "name:"),
        (["chat-import", "file", "/no/such/file.har"], "cannot read /no/such/file.har"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(
    env: Database, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(argv)
    assert code in (1, 2)
    assert message in capsys.readouterr().err
    assert count(env, "SELECT count(*) FROM interactions") == 0


def test_a_har_file_and_a_file_with_no_chat(
    env: Database, fake: FakePlus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = tmp_path / "plus.har"
    har.write_text(json.dumps(har_for_room(fake, OWNER)))
    assert main(["chat-import", "file", str(har)]) == 0
    out = capsys.readouterr().out
    assert f"{har} (har): 52 chat responses, 5 other entries skipped; pages=52" in out
    assert count(env, "SELECT count(*) FROM interactions") == 5_200
    empty = tmp_path / "empty.json"
    empty.write_text('{"hello": "world"}')
    assert main(["chat-import", "file", str(empty)]) == 2
    assert "no chat responses found" in capsys.readouterr().err
