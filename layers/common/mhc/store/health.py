"""SQL for the health check."""

from __future__ import annotations

from mhc.db.connection import Conn
from mhc.db.migrate import schema_version


def database_status(conn: Conn) -> dict[str, object]:
    row = conn.execute("SELECT current_setting('server_version') AS v").fetchone()
    assert row is not None
    return {"server_version": row["v"], "schema_version": schema_version(conn)}
