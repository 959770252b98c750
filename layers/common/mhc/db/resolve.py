"""Which database to use: DATABASE_URL (or its SSM parameter), the RDS-managed secret, else the
embedded local server.

In AWS, RDS keeps the master password in Secrets Manager (`ManageMasterUserPassword`) as JSON
with `username` and `password`; the template passes the secret's ARN and where to connect in
`MHC_DB_SECRET_ARN`, `MHC_DB_HOST`, `MHC_DB_PORT`, `MHC_DB_NAME`, and the URL is built here.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from mhc.config import ConfigError, Settings

_SECRET_CACHE_SECONDS = 300


class ManagedDatabase(BaseSettings):
    """Where the RDS database is and which Secrets Manager secret holds its credentials."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    mhc_db_secret_arn: str | None = Field(default=None, min_length=20, max_length=2048)
    mhc_db_host: str | None = Field(default=None, min_length=1, max_length=255)
    mhc_db_port: int = Field(default=5432, ge=1, le=65535)
    mhc_db_name: str = Field(default="mhc", min_length=1, max_length=63)


def managed_database_url(managed: ManagedDatabase | None = None) -> str | None:
    """The URL of the RDS database from its managed secret, or None when no secret is configured."""
    if managed is None:
        try:
            managed = ManagedDatabase()
        except ValidationError as exc:
            names = ", ".join(str(e["loc"][0]).upper() for e in exc.errors() if e["loc"])
            raise ConfigError(f"invalid database location settings: {names}") from None
    if managed.mhc_db_secret_arn is None:
        return None
    if managed.mhc_db_host is None:
        raise ConfigError("MHC_DB_HOST is not set (needed with MHC_DB_SECRET_ARN)")
    # Imported lazily: Powertools parameters pulls in boto3.
    from aws_lambda_powertools.utilities import parameters

    try:
        secret = parameters.get_secret(
            managed.mhc_db_secret_arn, transform="json", max_age=_SECRET_CACHE_SECONDS
        )
        username, password = str(secret["username"]), str(secret["password"])
    except Exception as exc:
        raise ConfigError(
            f"could not read the database secret MHC_DB_SECRET_ARN: {type(exc).__name__}"
        ) from None
    from mhc.observability import register_secret

    register_secret(password)
    return (
        f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}"
        f"@{managed.mhc_db_host}:{managed.mhc_db_port}/{quote(managed.mhc_db_name, safe='')}"
        "?sslmode=require"
    )


def database_url(settings: Settings, *, allow_embedded: bool = True) -> str:
    url = settings.secret("DATABASE_URL") or managed_database_url()
    if url:
        return url
    if not allow_embedded:
        raise ConfigError(
            "DATABASE_URL is not set (set DATABASE_URL, DATABASE_URL_PARAM, or MHC_DB_SECRET_ARN "
            "with MHC_DB_HOST)"
        )
    from mhc.db.embedded import start_embedded

    return start_embedded(settings.mhc_data_dir / "pgdata")
