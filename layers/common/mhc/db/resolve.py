"""Which database to use: DATABASE_URL (or its SSM parameter), else the embedded local server."""

from __future__ import annotations

from mhc.config import Settings


def database_url(settings: Settings, *, allow_embedded: bool = True) -> str:
    url = settings.secret("DATABASE_URL")
    if url:
        return url
    if not allow_embedded:
        from mhc.config import ConfigError

        raise ConfigError("DATABASE_URL is not set (set DATABASE_URL, or DATABASE_URL_PARAM)")
    from mhc.db.embedded import start_embedded

    return start_embedded(settings.mhc_data_dir / "pgdata")
