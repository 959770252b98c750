"""The migrate Lambda applies the migrations once, reports status, is safe to re-invoke, and
keeps the application's database role in step."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import psycopg
import pytest
from aws_lambda_powertools.utilities import parameters
from fakes.aws_lambda import FakeLambdaContext, load_function
from infra.sam_tools import REPO_ROOT
from infra.test_app_role import as_user, drop_role, scram_matches
from mhc.db.connection import connect
from moto import mock_aws

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


@pytest.fixture
def app_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, str]]:
    """(ARN, username, password) of the application role's secret, as CloudFormation makes it."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()
    username, password = f"mhc_app_{secrets.token_hex(4)}", secrets.token_urlsafe(30)
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="mhc-dev-app-database",
            SecretString=json.dumps({"username": username, "password": password}),
        )["ARN"]
        yield arn, username, password
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()


def test_migrate_creates_the_application_role(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, app_secret: tuple[str, str, str]
) -> None:
    # Given a fresh database and the application role's secret
    arn, username, password = app_secret
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))
    monkeypatch.setenv("MHC_APP_DB_SECRET_ARN", arn)
    try:
        # When the function runs after a deploy, then again
        first = invoke({"action": "migrate"})
        second = invoke({"action": "migrate"})

        # Then the role exists once, with grants on every table, and its password stays out of
        # the result
        assert first["app_role"]["role"] == username
        assert (first["app_role"]["created"], second["app_role"]["created"]) == (True, False)
        assert "interactions" in first["app_role"]["append_only"]
        assert first["app_role"] == {**second["app_role"], "created": True}
        assert password not in json.dumps(first)
        # And the application can connect as it and read what migrate wrote
        with connect(as_user(empty_database_url, username, password)) as app:
            row = app.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()
            assert row is not None
            assert row["n"] == len(MIGRATIONS)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("DROP TABLE raw_events")
    finally:
        drop_role(empty_database_url, username)


def test_without_an_application_secret_migrate_leaves_roles_alone(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `mhc migrate` locally and stacks without the secret: no role is made
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))
    result = invoke({"action": "migrate"})
    assert "app_role" not in result


# ------------------------------------------------------------------ DatabaseCredentials=ssm


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()


APP_PARAM = "/mhc/dev/db-app-password"


def function_url(username: str) -> str:
    """The URL another function builds in DatabaseCredentials=ssm (password from SSM)."""
    from mhc.config import load_settings
    from mhc.db.resolve import managed_database_url

    parameters.clear_caches()
    settings = load_settings(
        mhc_db_password_param=APP_PARAM, mhc_db_username=username, mhc_db_host="db.internal"
    )
    url = managed_database_url(settings)
    assert url is not None
    return url


def role_verifier(database_url: str, username: str) -> str:
    """The SCRAM verifier the server holds for the role (the test server trusts local
    connections, so the password itself is checked here, as PostgreSQL would check it)."""
    with connect(database_url) as owner:
        row = owner.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (username,)
        ).fetchone()
    assert row is not None
    return str(row["rolpassword"])


def test_migrate_generates_the_roles_password_in_ssm_and_the_functions_connect_with_it(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, ssm: Any
) -> None:
    # Given a fresh database, and the application role's password parameter not created yet
    username = f"mhc_app_{secrets.token_hex(4)}"
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))
    monkeypatch.setenv("MHC_APP_DB_PASSWORD_PARAM", APP_PARAM)
    monkeypatch.setenv("MHC_APP_DB_USERNAME", username)
    try:
        # When the function runs after the first deploy, then again after the next one
        first = invoke({"action": "migrate"})
        stored = ssm.get_parameter(Name=APP_PARAM, WithDecryption=True)["Parameter"]
        second = invoke({"action": "migrate"})

        # Then it stored a generated password as a SecureString once and kept it
        assert stored["Type"] == "SecureString"
        assert re.fullmatch(r"[0-9a-f]{40}", stored["Value"])
        again = ssm.get_parameter(Name=APP_PARAM, WithDecryption=True)["Parameter"]
        assert (again["Value"], again["Version"]) == (stored["Value"], stored["Version"])
        assert (first["app_role"]["created"], second["app_role"]["created"]) == (True, False)
        assert stored["Value"] not in json.dumps(first)
        # And a function reading the same parameter builds its URL with that password, which
        # is the role's
        url = psycopg.conninfo.conninfo_to_dict(function_url(username))
        assert (url["user"], url["password"]) == (username, stored["Value"])
        assert scram_matches(role_verifier(empty_database_url, username), stored["Value"])
        with connect(as_user(empty_database_url, username, stored["Value"])) as app:
            row = app.execute("SELECT current_user AS who").fetchone()
            assert row is not None
            assert row["who"] == username
    finally:
        drop_role(empty_database_url, username)


def test_a_password_put_by_hand_is_set_on_the_role_by_the_next_run(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, ssm: Any
) -> None:
    # Given the role set up, then its password rotated by hand (docs/operations.md)
    username = f"mhc_app_{secrets.token_hex(4)}"
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MHC_MIGRATIONS_DIR", str(REPO_ROOT / "migrations"))
    monkeypatch.setenv("MHC_APP_DB_PASSWORD_PARAM", APP_PARAM)
    monkeypatch.setenv("MHC_APP_DB_USERNAME", username)
    try:
        invoke({"action": "migrate"})
        old = ssm.get_parameter(Name=APP_PARAM, WithDecryption=True)["Parameter"]["Value"]
        new = secrets.token_hex(20)
        ssm.put_parameter(Name=APP_PARAM, Value=new, Type="SecureString", Overwrite=True)

        # When the migrate function runs again
        invoke({"action": "migrate"})

        # Then the role's password is the new one, no longer the old one
        verifier = role_verifier(empty_database_url, username)
        assert scram_matches(verifier, new)
        assert not scram_matches(verifier, old)
    finally:
        drop_role(empty_database_url, username)


def test_two_runs_creating_the_password_at_once_agree_on_one(ssm: Any) -> None:
    from mhc.db.resolve import ensure_password_parameter

    class RacingSsm:
        """SSM as a run sees it when another run stores the password between its read and its
        write."""

        def __init__(self) -> None:
            self.exceptions = ssm.exceptions
            self.raced = False

        def get_parameter(self, **kwargs: Any) -> Any:
            return ssm.get_parameter(**kwargs)

        def put_parameter(self, **kwargs: Any) -> Any:
            if not self.raced:
                self.raced = True
                ssm.put_parameter(Name=APP_PARAM, Value="f" * 40, Type="SecureString")
            return ssm.put_parameter(**kwargs)

    # When a run finds no parameter, and another stores one before this one can
    password = ensure_password_parameter(APP_PARAM, RacingSsm())

    # Then it uses the other run's password and overwrote nothing
    assert password == "f" * 40
    assert ssm.get_parameter(Name=APP_PARAM, WithDecryption=True)["Parameter"]["Version"] == 1
