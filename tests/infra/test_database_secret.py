"""The functions build their database URL from the RDS-managed secret (Secrets Manager, JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from mhc.config import ConfigError, load_settings
from mhc.db.resolve import database_url
from mhc.observability import redact
from moto import mock_aws

PASSWORD = "p@ss:w/rd%#?with&symbols"


@pytest.fixture
def secret_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="rds!db-0123456789abcdef",
            SecretString=json.dumps({"username": "mhc_admin", "password": PASSWORD}),
        )["ARN"]
        yield arn
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()


def test_url_is_built_from_the_managed_secret(
    secret_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the template's environment: the secret ARN and where the database listens
    monkeypatch.setenv("MHC_DB_SECRET_ARN", secret_arn)
    monkeypatch.setenv("MHC_DB_HOST", "mhc.abc.us-east-1.rds.amazonaws.com")
    monkeypatch.setenv("MHC_DB_PORT", "5432")
    monkeypatch.setenv("MHC_DB_NAME", "mhc")

    # When the function resolves its database URL (the embedded server is not allowed in AWS)
    url = database_url(load_settings(), allow_embedded=False)

    # Then it is a TLS URL whose password is percent-encoded and registered for redaction
    assert url == (
        "postgresql://mhc_admin:p%40ss%3Aw%2Frd%25%23%3Fwith%26symbols"
        "@mhc.abc.us-east-1.rds.amazonaws.com:5432/mhc?sslmode=require"
    )
    assert PASSWORD not in redact(f"connect failed for password {PASSWORD}")


def test_database_url_wins_over_the_managed_secret(
    secret_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given both a direct DATABASE_URL and the managed secret
    monkeypatch.setenv("DATABASE_URL", "postgresql://me@localhost/mine")
    monkeypatch.setenv("MHC_DB_SECRET_ARN", secret_arn)
    monkeypatch.setenv("MHC_DB_HOST", "db.internal")

    # Then the explicit URL is used
    assert database_url(load_settings(), allow_embedded=False) == "postgresql://me@localhost/mine"


def test_missing_secret_is_a_config_error_without_details(
    secret_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ARN of a secret that does not exist
    monkeypatch.setenv("MHC_DB_SECRET_ARN", secret_arn.replace("rds!db", "rds!gone"))
    monkeypatch.setenv("MHC_DB_HOST", "db.internal")

    # Then a ConfigError names the variable, not the secret's content
    with pytest.raises(ConfigError, match="MHC_DB_SECRET_ARN"):
        database_url(load_settings(), allow_embedded=False)


def test_secret_without_host_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:x")
    with pytest.raises(ConfigError, match="MHC_DB_HOST"):
        database_url(load_settings(), allow_embedded=False)


def test_nothing_configured_names_every_option(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="MHC_DB_SECRET_ARN"):
        database_url(load_settings(), allow_embedded=False)


# ------------------------------------------------------------------ DatabaseCredentials=ssm


@pytest.fixture
def ssm_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An SSM SecureString holding a password, as the owner or the migrate function stores it."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/mhc/dev/db-app-password", Value=PASSWORD, Type="SecureString"
        )
        yield "/mhc/dev/db-app-password"
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()


def test_url_is_built_from_an_ssm_password_and_the_username(
    ssm_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the template's environment in DatabaseCredentials=ssm
    monkeypatch.setenv("MHC_DB_PASSWORD_PARAM", ssm_password)
    monkeypatch.setenv("MHC_DB_USERNAME", "mhc_app")
    monkeypatch.setenv("MHC_DB_HOST", "mhc.abc.us-east-1.rds.amazonaws.com")

    # When the function resolves its database URL
    url = database_url(load_settings(), allow_embedded=False)

    # Then it is the same TLS URL the Secrets Manager form gives, the password redacted in logs
    assert url == (
        "postgresql://mhc_app:p%40ss%3Aw%2Frd%25%23%3Fwith%26symbols"
        "@mhc.abc.us-east-1.rds.amazonaws.com:5432/mhc?sslmode=require"
    )
    assert PASSWORD not in redact(f"connect failed for password {PASSWORD}")


def test_a_missing_password_parameter_is_a_config_error_naming_the_variable(
    ssm_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MHC_DB_PASSWORD_PARAM", ssm_password + "-gone")
    monkeypatch.setenv("MHC_DB_USERNAME", "mhc_app")
    monkeypatch.setenv("MHC_DB_HOST", "db.internal")
    with pytest.raises(ConfigError, match="MHC_DB_PASSWORD_PARAM") as raised:
        database_url(load_settings(), allow_embedded=False)
    assert PASSWORD not in str(raised.value)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MHC_DB_PASSWORD_PARAM": "/mhc/dev/p"}, "MHC_DB_PASSWORD_PARAM needs MHC_DB_USERNAME"),
        (
            {
                "MHC_DB_PASSWORD_PARAM": "/mhc/dev/p",
                "MHC_DB_USERNAME": "mhc_app",
                "MHC_DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
            },
            "either MHC_DB_SECRET_ARN or MHC_DB_PASSWORD_PARAM",
        ),
        (
            {"MHC_APP_DB_PASSWORD_PARAM": "/mhc/dev/p"},
            "MHC_APP_DB_PASSWORD_PARAM needs MHC_APP_DB_USERNAME",
        ),
        ({"MHC_DB_USERNAME": "mhc-app; drop"}, "MHC_DB_USERNAME"),
    ],
)
def test_credential_settings_that_cannot_work_are_refused(
    variables: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
