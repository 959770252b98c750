"""`mhc invoke`: every function run with each of its sample events, through the CLI.

Each function's settings point at the test database and at loopback fakes (the Events API
feed, the Stats API); what has no fake (Statbate, the affiliate feed) answers "not configured".
stdout must hold the handler's result as JSON and nothing else (logs go to stderr).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api.api_support import TOKEN, seed
from collect.support import STATS_TOKEN, stats_payload
from fakes.events_feed import TOKEN as FEED_TOKEN
from fakes.events_feed import FakeEventsFeed, make_events
from fakes.http import FakeHttpServer, json_reply
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.db.migrate import discover
from mhc.runtime.local_invoke import (
    EVENTS_DIR,
    FunctionSpec,
    function_names,
    function_spec,
    sample_events,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [(name, path) for name in function_names() for path in sample_events(name)]
FEED_OWNER = "owner_cam"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = cli.main(["invoke", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    get_settings.cache_clear()


def test_every_function_has_sample_events_and_every_sample_a_function() -> None:
    assert function_names() == ["chat_import", "events_poller", "lookup", "migrate", "stats_poller"]
    assert all(sample_events(name) for name in function_names())
    assert sorted(p for _, p in SAMPLES) == sorted(EVENTS_DIR.glob("*.json"))


def test_function_settings_come_from_the_template() -> None:
    assert function_spec("lookup") == FunctionSpec("lookup", "mhc-local-lookup", 28.0, 1024)
    assert function_spec("events-poller") == FunctionSpec(
        "events_poller", "mhc-local-events-poller", 90.0, 160
    )


@pytest.mark.parametrize(("name", "event"), SAMPLES, ids=[p.stem for _, p in SAMPLES])
def test_each_sample_event(
    name: str,
    event: Path,
    database_url: str,
    empty_database_url: str,
    settings_env: pytest.MonkeyPatch,
    server: FakeHttpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = settings_env
    env.setenv("DATABASE_URL", database_url)
    env.setenv("MHC_API_TOKEN", TOKEN)
    env.setenv("MHC_OWNER_USERNAME", "the_owner")
    if name == "lookup":
        world = Database(database_url)
        seed(world)
        world.close()
        get_settings.cache_clear()
        code, response, _ = _run(capsys, name, str(event))
        # The sample's placeholder token is replaced by the configured one
        expected = 401 if event.stem == "lookup_unauthorized" else 200
        assert (code, response["statusCode"]) == (0, expected), response
        sample = json.loads(event.read_text())
        assert response["headers"]["x-request-id"] == sample["requestContext"]["requestId"]
    elif name == "migrate":
        env.setenv("DATABASE_URL", empty_database_url)
        get_settings.cache_clear()
        code, result, _ = _run(capsys, name, event.name)
        versions = [m.version for m in discover(ROOT / "migrations")]
        assert code == 0
        if event.stem == "migrate_apply":
            assert result["schema_version"] == versions[-1]
            assert len(result["applied"]) == len(versions)
        else:
            assert result["schema_version"] is None
            assert {m["state"] for m in result["migrations"]} == {"pending"}
    elif name == "events_poller":
        with FakeEventsFeed(make_events(30), page_size=20, hold_when_caught_up=True) as feed:
            env.setenv("MHC_OWNER_USERNAME", FEED_OWNER)
            env.setenv("MHC_EVENTS_URL", feed.base_url)
            env.setenv("MHC_EVENTS_CURSOR_FILE", str(tmp_path / "cursor.json"))
            get_settings.cache_clear()
            # 10 s: a 1 s long-poll fits (the feed holds it in real time once caught up)
            code, result, err = _run(capsys, name, str(event), "--timeout", "10")
        assert code == 0, err
        assert (result["status"], result["inserted"]) == ("succeeded", 30)
        # The next link is asked for, and reported, not sent to AWS
        chain = json.dumps({"trigger": "chain", "chain_id": result["chain_id"]})
        assert f"not sent (local): Event invoke of {_arn('mhc-local-events-poller')}" in err
        assert chain in err
        # The handler's log lines and metrics went to stderr, without the token
        assert '"message":"events poll finished"' in err
        assert '"EventsIngested":[30.0]' in err
        assert FEED_TOKEN not in err
    elif name == "chat_import":
        # No Statbate Plus session anywhere: the job says so (and what to do), it never fails
        env.setenv("MHC_STATBATE_PLUS_URL", server.url)
        env.setenv("MHC_STATBATE_PLUS_COOKIE_FILE", str(tmp_path / "plus-cookies.json"))
        get_settings.cache_clear()
        code, result, err = _run(capsys, name, str(event))
        assert code == 0, err
        [job] = result["jobs"]
        assert (job["job"], job["status"]) == ("chat_import", "not_configured"), job
        assert "Statbate Plus" in job["error"], job["error"]  # and what to do about it
        assert server.request_count == 0  # nothing is asked of Plus without a session
    else:  # stats_poller: the fake Stats API and profile endpoint; no Statbate, no affiliate
        server.enqueue(json_reply(stats_payload()), path="/statsapi/")
        profile = {"follower_count": 1234, "room_status": "offline"}
        server.enqueue(json_reply(profile), path="/api/biocontext/the_owner/")
        env.setenv("MHC_STATS_TOKEN", STATS_TOKEN)
        env.setenv("MHC_STATS_API_URL", f"{server.url}/statsapi/")
        env.setenv("MHC_CHATURBATE_URL", server.url)
        env.setenv("MHC_STATBATE_API_URL", f"{server.url}/api")
        get_settings.cache_clear()
        code, result, err = _run(capsys, name, str(event))
        assert code == 0, err
        statuses = {job["job"]: job["status"] for job in result["jobs"]}
        assert statuses["cb_stats"] == "succeeded"
        if event.stem == "stats_poller_schedule":
            assert statuses == {
                "cb_stats": "succeeded",
                "profile_collection": "succeeded",
                "statbate_refresh": "not_configured",
                "affiliate_sweep": "not_configured",
            }
        else:
            assert list(statuses) == ["cb_stats"]
        assert STATS_TOKEN not in err


def _arn(function_name: str) -> str:
    return f"arn:aws:lambda:local:000000000000:function:{function_name}"


def test_the_default_event_is_the_first_sample(
    database_url: str, settings_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_env.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    code, response, err = _run(capsys, "lookup")
    assert code == 0
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["database"] == "up"  # lookup_health.json
    assert "with lookup_health.json" in err


def test_a_handler_error_is_reported_as_lambda_does_with_exit_1(
    database_url: str,
    settings_env: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings_env.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    event = tmp_path / "bad.json"
    event.write_text('{"action": "drop everything"}')
    code, error, _ = _run(capsys, "migrate", str(event))
    assert code == 1
    assert error["errorType"] == "ValueError"
    assert "unknown action" in error["errorMessage"]


def test_unknown_function_or_event_is_a_usage_error(
    database_url: str, settings_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_env.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    assert cli.main(["invoke", "nope"]) == 2
    assert "lookup" in capsys.readouterr().err
    assert cli.main(["invoke", "lookup", "no_such_event"]) == 2
    assert "not found" in capsys.readouterr().err


def test_a_handler_past_its_timeout_is_flagged(
    database_url: str, settings_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_env.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    assert cli.main(["invoke", "lookup", "--timeout", "0.000001"]) == 1
    assert "Lambda would have stopped it" in capsys.readouterr().err
