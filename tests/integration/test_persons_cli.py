"""`mhc persons merge` / `unmerge`: the same service as the API, by id or name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import seen
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_merge_by_name_then_unmerge_by_id(
    db: Database, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two rows for one human
    keep, _ = seen(db, "keep_me")
    other, _ = seen(db, "other_me")
    # When merged from the command line by name
    assert cli.main(["persons", "merge", "keep_me", "other_me"]) == 0
    assert f"person {other.id} merged into person {keep.id}" in capsys.readouterr().out
    # Then the other name now resolves to the survivor
    assert cli.main(["persons", "merge", "keep_me", "other_me"]) == 0  # idempotent
    # When unmerged by the merged row's id
    assert cli.main(["persons", "unmerge", "keep_me", str(other.id)]) == 0
    assert "other_me" in capsys.readouterr().out
    with db.transaction() as conn:
        row = conn.execute("SELECT merged_into FROM persons WHERE id = %s", (other.id,)).fetchone()
    assert row == {"merged_into": None}


def test_bad_references_exit_2_naming_the_problem(
    db: Database, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    seen(db, "only_one")
    assert cli.main(["persons", "merge", "only_one", "nobody_at_all"]) == 2
    assert "no person is or was called nobody_at_all" in capsys.readouterr().err
    assert cli.main(["persons", "merge", "only_one", "only_one"]) == 2
