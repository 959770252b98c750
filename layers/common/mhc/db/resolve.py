"""Which database to use: DATABASE_URL (or its SSM parameter), the RDS-managed secret, else the
embedded local server.

In AWS, RDS keeps the master password in Secrets Manager (`ManageMasterUserPassword`) as JSON
with `username` and `password`; the template passes the secret's ARN and where to connect in
`MHC_DB_SECRET_ARN`, `MHC_DB_HOST`, `MHC_DB_PORT`, `MHC_DB_NAME`, and the URL is built here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from mhc.config import ConfigError, Settings
from mhc.db.connection import Database, connect
from mhc.observability import redact

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


_EXPECTED = (
    "expected a URL like postgresql://USER@HOST:5432/DBNAME (with USER:PASSWORD when needed)"
    " or libpq settings like 'host=HOST dbname=DBNAME'"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def database_source(settings: Settings) -> str:
    """The setting the database URL comes from, as the owner would name it in a message."""
    if settings.database_url is not None:
        return "DATABASE_URL"
    if settings.database_url_param is not None:
        return f"DATABASE_URL_PARAM ({settings.database_url_param})"
    if settings.mhc_db_secret_arn is not None:
        return "MHC_DB_SECRET_ARN with MHC_DB_HOST"
    return "the embedded PostgreSQL"


def check_url(url: str, source: str) -> str:
    """`url` when libpq can read it; else ConfigError naming `source`, never the value (it
    holds the password)."""
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(1).lower() not in ("postgresql", "postgres"):
        raise ConfigError(f"{source} has the scheme '{scheme.group(1)[:20]}': {_EXPECTED}")
    try:
        conninfo_to_dict(url)
    except psycopg.Error:
        holds = "holds" if source.startswith("DATABASE_URL_PARAM") else "is"
        raise ConfigError(f"{source} {holds} not a PostgreSQL URL: {_EXPECTED}") from None
    return url


def database_url(settings: Settings, *, allow_embedded: bool = True) -> str:
    url = settings.secret("DATABASE_URL") or managed_database_url(settings)
    if url:
        return check_url(url, database_source(settings))
    if not allow_embedded:
        raise ConfigError(
            "DATABASE_URL is not set (set DATABASE_URL, DATABASE_URL_PARAM, or MHC_DB_SECRET_ARN "
            "with MHC_DB_HOST)"
        )
    from mhc.db.embedded import start_embedded

    return start_embedded(embedded_data_dir(settings))


def reachable_database_url(settings: Settings) -> str:
    """`database_url`, checked by opening one connection: a database that cannot be reached
    is a configuration error naming the setting (the command cannot do anything without it)."""
    url = database_url(settings)
    try:
        connect(url).close()
    except psycopg.Error as exc:
        reason = " ".join(redact(exc).split("\n", 1)[0].split())[:200]
        raise ConfigError(
            f"{database_source(settings)}: cannot connect to the database ({reason})"
        ) from None
    return url


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
