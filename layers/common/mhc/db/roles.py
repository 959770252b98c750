"""The application's least-privilege database role, kept in step with the schema by the migrate
function.

In AWS every function but migrate connects as this role instead of the RDS master user. It owns
nothing, so it cannot DROP or ALTER a table, nor disable the append-only triggers (both need
ownership); it never gets TRUNCATE; on an append-only table (one guarded by the
`mhc_reject_change` trigger) it may only SELECT and INSERT; on `schema_migrations` only SELECT.
Privileges are derived again from the catalog after every migrate run, so a table added by a later
migration gets them with no extra step, and a table that becomes append-only loses UPDATE/DELETE.

The password is sent as a SCRAM-SHA-256 verifier computed here by libpq, so the plain password
never reaches the server (or a server log of the statement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import sql

from mhc.db.connection import Conn

#: Arbitrary constant serialising concurrent role updates ("MHCROLE" in ASCII).
ROLE_LOCK_KEY = 0x4D4843524F4C45
#: Row triggers calling this function make a table append-only (migrations/0001_initial.sql).
APPEND_ONLY_FUNCTION = "mhc_reject_change"
#: Tables the application reads but never writes.
READ_ONLY_TABLES = frozenset({"schema_migrations"})
SCHEMA = "public"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_TABLES = """
SELECT c.relname AS name,
       c.relkind IN ('v', 'm') AS is_view,
       EXISTS (
           SELECT 1
           FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
           WHERE t.tgrelid = c.oid AND p.proname = %(function)s AND NOT t.tgisinternal
       ) AS append_only
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm')
ORDER BY c.relname
"""


class AppRoleError(Exception):
    """The application role cannot be set up safely (bad name, or an existing role with powers)."""


@dataclass(frozen=True)
class AppRoleGrants:
    """What the role may do after `ensure_app_role`, by table."""

    role: str
    created: bool
    read_write: tuple[str, ...]
    append_only: tuple[str, ...]
    read_only: tuple[str, ...]


def ensure_app_role(conn: Conn, username: str, password: str) -> AppRoleGrants:
    """Create or update the application role and grant it exactly what the app needs.

    Idempotent and atomic: one transaction, serialised by an advisory lock, so a crash or a
    concurrent run leaves either the previous grants or the new ones. Run it as the schema owner
    (the RDS master user) right after migrating.
    """
    if not _ROLE_NAME.match(username):
        raise AppRoleError(f"the application role name {username!r} is not a plain lower-case name")
    role = sql.Identifier(username)
    verifier = conn.pgconn.encrypt_password(password.encode(), username.encode(), b"scram-sha-256")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ROLE_LOCK_KEY,))
        created = _create_or_check(conn, username)
        conn.execute(
            sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                role, sql.Literal(verifier.decode())
            )
        )
        database = sql.Identifier(_one(conn, "SELECT current_database() AS v"))
        schema = sql.Identifier(SCHEMA)
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role)
        )
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
        grants = _grant_tables(conn, username)
        conn.execute(
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, role)
        )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, role)
        )
        conn.execute(
            sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {} TO {}").format(schema, role)
        )
    return AppRoleGrants(role=username, created=created, **grants)


def _one(conn: Conn, query: str) -> str:
    row = conn.execute(query).fetchone()
    assert row is not None
    return str(row["v"])


def _create_or_check(conn: Conn, username: str) -> bool:
    """Create the role (True), or check that the existing one has no power beyond LOGIN."""
    row = conn.execute(
        """SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls
                  OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid)
                  AS powerful,
                  rolname = current_user AS is_me
           FROM pg_roles r WHERE rolname = %s""",
        (username,),
    ).fetchone()
    if row is None:
        # New roles are NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS by default
        # (stating those needs superuser, which the RDS master user is not).
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(username)))
        return True
    if row["is_me"] or row["powerful"]:
        raise AppRoleError(
            f"role {username!r} already exists with powers the application role must not have "
            "(it is the migrating user, is a member of another role, or can create roles or "
            "databases, replicate or bypass row security): choose another name in the "
            "application database secret"
        )
    return False


def _grant_tables(conn: Conn, username: str) -> dict[str, tuple[str, ...]]:
    role = sql.Identifier(username)
    tables = conn.execute(_TABLES, {"function": APPEND_ONLY_FUNCTION, "schema": SCHEMA}).fetchall()
    read_write: list[str] = []
    append_only: list[str] = []
    read_only: list[str] = []
    for table in tables:
        name: str = table["name"]
        target = sql.Identifier(SCHEMA, name)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(target, role))
        if table["is_view"] or name in READ_ONLY_TABLES:
            privileges, bucket = "SELECT", read_only
        elif table["append_only"]:
            privileges, bucket = "SELECT, INSERT", append_only
        else:
            privileges, bucket = "SELECT, INSERT, UPDATE, DELETE", read_write
        conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privileges), target, role))
        bucket.append(name)
    return {
        "read_write": tuple(read_write),
        "append_only": tuple(append_only),
        "read_only": tuple(read_only),
    }
