"""A bad DATABASE_URL is a configuration error: one line naming the variable, exit code 2, and
never the value (it holds the password). It printed a raw psycopg error with exit 1."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from mhc import cli
from mhc.config import get_settings
from moto import mock_aws

SECRET = "s3cretPassw0rd"


def _run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    **env: str,
) -> tuple[int, str]:
    monkeypatch.setenv("MHC_OWNER_USERNAME", "owner_cam")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert "Traceback" not in captured.err
    return code, captured.err


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not-a-url", "DATABASE_URL is not a PostgreSQL URL"),
        (f"mysql://app:{SECRET}@db.example.com/app", "DATABASE_URL has the scheme 'mysql'"),
        (f"postgresql://app:{SECRET}@[::1/app", "DATABASE_URL is not a PostgreSQL URL"),
        (f"host=db.example.com password={SECRET} nonsense=1", "DATABASE_URL is not a PostgreSQL"),
    ],
    ids=["not a URL", "another database", "broken URL", "unknown key=value setting"],
)
@pytest.mark.parametrize("command", [["migrate"], ["db-url"], ["jobs", "list"]])
def test_a_malformed_database_url_is_one_message_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    reason: str,
    command: list[str],
) -> None:
    code, err = _run(monkeypatch, capsys, command, DATABASE_URL=url)
    assert code == 2
    assert err.startswith(f"mhc: configuration error: {reason}"), err
    assert "postgresql://USER@HOST:5432/DBNAME" in err
    assert err.count("\n") == 1


def test_an_unreachable_database_is_one_message_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given a well-formed URL where nothing listens
    url = f"postgresql://app:{SECRET}@127.0.0.1:1/app"
    capture = tmp_path / "capture.jsonl"
    capture.write_text('{"method": "follow", "id": "1767225600000-0", "object": {}}\n')
    for command in (["migrate"], ["replay", str(capture)], ["jobs", "list"], ["rebuild-sessions"]):
        code, err = _run(monkeypatch, capsys, command, DATABASE_URL=url)
        # Then every command that needs the database says so in one line, exit 2
        assert code == 2, command
        assert err.startswith(
            "mhc: configuration error: DATABASE_URL: cannot connect to the database ("
        ), err
        assert "127.0.0.1" in err
        assert err.count("\n") == 1


@mock_aws
def test_a_bad_url_in_the_ssm_parameter_names_that_parameter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/mhc/test/db", Value=f"oops {SECRET}", Type="SecureString")
    code, err = _run(monkeypatch, capsys, ["migrate"], DATABASE_URL_PARAM="/mhc/test/db")
    assert code == 2
    assert err.startswith("mhc: configuration error: DATABASE_URL_PARAM (/mhc/test/db) holds")
