"""Which database to use: DATABASE_URL (or its SSM parameter), the RDS-managed secret, else the
embedded local server.

In AWS, RDS keeps the master password in Secrets Manager (`ManageMasterUserPassword`) as JSON
with `username` and `password`; the template passes the secret's ARN and where to connect in
`MHC_DB_SECRET_ARN`, `MHC_DB_HOST`, `MHC_DB_PORT`, `MHC_DB_NAME`, and the URL is built here.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from mhc.config import ConfigError, Settings
from mhc.db.connection import Database

_SECRET_CACHE_SECONDS = 300


def managed_database_url(settings: Settings) -> str | None:
    """The URL of the RDS database from its managed secret, or None when no secret is configured.

    Read on every (re)connect, cached 5 minutes: after a password rotation the next reconnect
    picks up the new password.
    """
    if settings.mhc_db_secret_arn is None:
        return None
    if settings.mhc_db_host is None:
        raise ConfigError("MHC_DB_HOST is not set (needed with MHC_DB_SECRET_ARN)")
    # Imported lazily: Powertools parameters pulls in boto3.
    from aws_lambda_powertools.utilities import parameters

    try:
        secret = parameters.get_secret(
            settings.mhc_db_secret_arn, transform="json", max_age=_SECRET_CACHE_SECONDS
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
        f"@{settings.mhc_db_host}:{settings.mhc_db_port}/{quote(settings.mhc_db_name, safe='')}"
        "?sslmode=require"
    )


def database_url(settings: Settings, *, allow_embedded: bool = True) -> str:
    url = settings.secret("DATABASE_URL") or managed_database_url(settings)
    if url:
        return url
    if not allow_embedded:
        raise ConfigError(
            "DATABASE_URL is not set (set DATABASE_URL, DATABASE_URL_PARAM, or MHC_DB_SECRET_ARN "
            "with MHC_DB_HOST)"
        )
    from mhc.db.embedded import start_embedded

    return start_embedded(embedded_data_dir(settings))


def uses_embedded(settings: Settings) -> bool:
    """True when no database is configured, so `database_url` starts the embedded server
    (decided from the settings alone: no secret is fetched)."""
    configured = (settings.database_url, settings.database_url_param, settings.mhc_db_secret_arn)
    return all(value is None for value in configured)


def embedded_data_dir(settings: Settings) -> Path:
    """Where the local embedded PostgreSQL keeps its data (used when no database is set)."""
    return settings.mhc_data_dir / "pgdata"


def lambda_database(settings: Settings) -> Database:
    """The execution environment's connection: the URL is resolved again on every reconnect
    (rotated passwords), and RDS Proxy mode follows MHC_DB_PROXY."""
    return Database(
        lambda: database_url(settings, allow_embedded=False), proxy=settings.mhc_db_proxy
    )
