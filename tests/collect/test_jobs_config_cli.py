"""Job configuration (validated, partial, nothing changed on error) and the `mhc jobs` CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from collect.support import OWNER, STATS_TOKEN, count, rows, stats_payload
from fakes.http import FakeHttpServer, json_reply
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database
from mhc.domain.errors import InvalidInput
from mhc.services.jobs import get_job, update_job


def job_row(db: Database, name: str) -> dict[str, object]:
    [row] = rows(db, "SELECT enabled, interval_seconds, config FROM jobs WHERE name = %s", (name,))
    return row


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"limit": "lots"}, "config.limit"),
        ({"limit": 0}, "config.limit"),
        ({"batch_size": 500}, "config.batch_size"),
        ({"roles": ["ADMIN"]}, "config.roles.0"),
        ({"colour": "blue"}, "config.colour"),
        ({"request_interval_seconds": 0.1}, "config.request_interval_seconds"),
    ],
)
def test_a_bad_value_names_the_field_and_changes_nothing(
    db: Database, config: dict[str, object], field: str
) -> None:
    update_job(db, "statbate_refresh", config={"limit": 40})
    before = job_row(db, "statbate_refresh")
    with pytest.raises(InvalidInput) as caught:
        update_job(db, "statbate_refresh", enabled=False, config=config)
    assert caught.value.field == field
    assert job_row(db, "statbate_refresh") == before


def test_a_bad_interval_changes_nothing(db: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        update_job(db, "cb_stats", interval_seconds=5, config={"record_followers": False})
    assert caught.value.field == "interval_seconds"
    assert job_row(db, "cb_stats") == {"enabled": True, "interval_seconds": 300, "config": {}}


def test_partial_updates_never_reset_other_fields(db: Database) -> None:
    update_job(db, "statbate_refresh", config={"limit": 40, "roles": ["MODEL"]})
    update_job(db, "statbate_refresh", config={"batch_size": 10})
    update_job(db, "statbate_refresh", interval_seconds=3600)
    assert job_row(db, "statbate_refresh") == {
        "enabled": True,
        "interval_seconds": 3600,
        "config": {"limit": 40, "roles": ["MODEL"], "batch_size": 10},
    }
    # null resets one key to its default
    update_job(db, "statbate_refresh", config={"roles": None})
    view = get_job(db, "statbate_refresh")
    assert view.job.config == {"limit": 40, "batch_size": 10}
    assert view.effective_config["roles"] == []
    assert view.effective_config["refresh_after_hours"] == 24.0


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_set_enable_disable_and_list(
    db: Database, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # set: JSON values, a duration for the interval
    assert cli.main(["jobs", "set", "statbate_refresh", "limit=25", 'roles=["MODEL"]']) == 0
    assert cli.main(["jobs", "set", "statbate_refresh", "interval=2h"]) == 0
    assert cli.main(["jobs", "disable", "profile_collection"]) == 0
    assert job_row(db, "statbate_refresh") == {
        "enabled": True,
        "interval_seconds": 7200,
        "config": {"limit": 25, "roles": ["MODEL"]},
    }
    assert job_row(db, "profile_collection")["enabled"] is False
    capsys.readouterr()
    assert cli.main(["jobs", "list"]) == 0
    out = capsys.readouterr().out
    assert "statbate_refresh" in out
    assert "limit=25" in out
    assert "profile_collection   no" in out
    assert cli.main(["jobs", "enable", "profile_collection"]) == 0
    assert job_row(db, "profile_collection")["enabled"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jobs", "set", "statbate_refresh", "limit=abc"], "config.limit"),
        (["jobs", "set", "statbate_refresh", "nonsense"], "setting"),
        (["jobs", "set", "affiliate_sweep", 'tags=["a","b","c","d","e","f"]'], "config.tags"),
        (["jobs", "set", "cb_stats", "interval=10s"], "interval_seconds"),
        (["jobs", "set", "cb_stats", "enabled=maybe"], "enabled"),
        (["jobs", "enable", "no_such_job"], "no such job"),
        (["jobs", "run", "no_such_job"], "no such job"),
    ],
)
def test_cli_errors_name_the_field_and_change_nothing(
    db: Database,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    before = rows(db, "SELECT * FROM jobs ORDER BY name")
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err
    assert rows(db, "SELECT * FROM jobs ORDER BY name") == before


def test_cli_run_uses_the_same_path_as_the_lambda(
    db: Database,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeHttpServer() as server:
        server.enqueue(json_reply(stats_payload()), path="/statsapi/")
        monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
        monkeypatch.setenv("MHC_STATS_TOKEN", STATS_TOKEN)
        monkeypatch.setenv("MHC_STATS_API_URL", f"{server.url}/statsapi/")
        get_settings.cache_clear()
        assert cli.main(["jobs", "run", "cb_stats", "--max-seconds", "30"]) == 0
    out = capsys.readouterr().out
    assert "cb_stats" in out
    assert "succeeded" in out
    assert STATS_TOKEN not in out
    assert count(db, "SELECT count(*) FROM snapshots WHERE source = 'cb_stats'") == 1
    # a job without its settings says so with exit code 2
    assert cli.main(["jobs", "run", "affiliate_sweep", "--max-seconds", "30"]) == 2
    assert "MHC_AFFILIATE_CAMPAIGN" in capsys.readouterr().out
