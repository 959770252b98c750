"""Migration Lambda: applies the forward-only SQL migrations to the RDS database.

The package ships `migrations/*.sql` next to this file (copied from the repository by this
directory's Makefile during `sam build`; `MHC_MIGRATIONS_DIR` points at them). `make deploy`
invokes it synchronously after every deploy (`make migrate-aws`); the runner is advisory-locked,
checksummed and idempotent, so invoking it again is always safe.

Event: `{"action": "migrate"}` (the default) or `{"action": "status"}` (read-only).
"""

from __future__ import annotations

from typing import Any

from mhc.config import get_settings
from mhc.db.connection import connect
from mhc.db.migrate import migrate, schema_version, status
from mhc.db.resolve import database_url
from mhc.observability import logger

ACTIONS = ("migrate", "status")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    action = (event or {}).get("action", "migrate")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    settings = get_settings()
    directory = settings.mhc_migrations_dir
    with connect(database_url(settings, allow_embedded=False)) as conn:
        if action == "status":
            return {
                "action": action,
                "schema_version": schema_version(conn),
                "migrations": [
                    {"version": m.version, "name": m.name, "state": m.state}
                    for m in status(conn, directory)
                ],
            }
        applied = migrate(conn, directory, progress=logger.info)
        version = schema_version(conn)
    logger.info("migrations done", extra={"applied": len(applied), "schema_version": version})
    return {
        "action": action,
        "applied": [m.path.name for m in applied],
        "schema_version": version,
    }
