"""The migrate Lambda applies the migrations once, reports status, and is safe to re-invoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.aws_lambda import FakeLambdaContext, load_function
from infra.sam_tools import REPO_ROOT

pytestmark = pytest.mark.integration

MIGRATIONS = sorted(p.name for p in (REPO_ROOT / "migrations").glob("*.sql"))


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    context = FakeLambdaContext(
        lambda: datetime.now(UTC),
        300,
        arn="arn:aws:lambda:us-east-1:123456789012:function:mhc-dev-migrate",
    )
    result: dict[str, Any] = load_function("migrate").handler(event, context)
    return result


def test_migrate_applies_everything_once(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an empty database (a fresh RDS instance)
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))

    # When the function is invoked as `make migrate-aws` does, twice
    first = invoke({"action": "migrate"})
    second = invoke({"action": "migrate"})

    # Then the first run applies every file in order and the second is a no-op
    assert first["applied"] == MIGRATIONS
    assert second["applied"] == []
    assert first["schema_version"] == second["schema_version"] == int(MIGRATIONS[-1][:4])


def test_status_reports_pending_then_applied(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))

    before = invoke({"action": "status"})
    invoke({})  # an empty event means "migrate"
    after = invoke({"action": "status"})

    assert {m["state"] for m in before["migrations"]} == {"pending"}
    assert before["schema_version"] is None
    assert {m["state"] for m in after["migrations"]} == {"applied"}


def test_unknown_action_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="unknown action"):
        invoke({"action": "drop-everything"})
