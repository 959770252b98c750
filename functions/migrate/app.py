"""Migration Lambda: applies the forward-only SQL migrations to the RDS database.

The package ships `migrations/*.sql` next to this file (copied from the repository by this
directory's Makefile during `sam build`; `MHC_MIGRATIONS_DIR` points at them). `make deploy`
invokes it synchronously after every deploy (`make migrate-aws`); the runner is advisory-locked,
checksummed and idempotent, so invoking it again is always safe.

After migrating it creates or updates the application's least-privilege role (`mhc.db.roles`)
with the password in `MHC_APP_DB_SECRET_ARN` (Secrets Manager) or `MHC_APP_DB_PASSWORD_PARAM`
(an SSM SecureString it generates when absent), and grants it what the app needs on every table,
those of the migrations just applied included. This function alone connects as the RDS master
user; the others connect as that role.

Event: `{"action": "migrate"}` (the default) or `{"action": "status"}` (read-only).
"""

from __future__ import annotations

from typing import Any

from mhc.config import get_settings
from mhc.db.connection import connect
from mhc.db.migrate import migrate, schema_version, status
from mhc.db.resolve import app_role_credentials, database_url
from mhc.db.roles import ensure_app_role
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
        result: dict[str, Any] = {
            "action": action,
            "applied": [m.path.name for m in applied],
            "schema_version": version,
        }
        credentials = app_role_credentials(settings)
        if credentials is not None:
            grants = ensure_app_role(conn, *credentials)
            result["app_role"] = {
                "role": grants.role,
                "created": grants.created,
                "read_write": len(grants.read_write),
                "append_only": list(grants.append_only),
                "read_only": list(grants.read_only),
            }
    logger.info("migrations done", extra={"applied": len(applied), "schema_version": version})
    return result
