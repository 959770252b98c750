"""The application's database role (created by the migrate function) can do the app's work and
nothing that rewrites history or the schema."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from fakes.events_feed import OWNER, make_events
from mhc.db.connection import Conn, Database, connect
from mhc.db.roles import AppRoleError, ensure_app_role
from mhc.services import ingest
from psycopg import errors, sql

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 21, tzinfo=UTC)
APPEND_ONLY = {"snapshots", "raw_events", "interactions", "event_gaps", "follower_counts"}


def as_user(url: str, user: str, password: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.update(user=user, password=password)
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def drop_role(url: str, name: str) -> None:
    with connect(url) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@pytest.fixture
def role_name(database_url: str) -> Iterator[str]:
    """A role name unique to this test (roles are shared by the whole server), dropped after."""
    name = f"mhc_app_{secrets.token_hex(4)}"
    yield name
    with connect(database_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if exists:
        drop_role(database_url, name)


@pytest.fixture
def app_url(database_url: str, role_name: str) -> str:
    """The migrated test database's URL as the application role (created as the migrate
    function does, by the owner of the schema)."""
    password = secrets.token_urlsafe(24)
    with connect(database_url) as owner:
        ensure_app_role(owner, role_name, password)
    return as_user(database_url, role_name, password)


def refused(app: Conn, statement: str) -> type[Exception]:
    """Run `statement` as the app role; return the error class it raised (it must raise)."""
    with pytest.raises(psycopg.Error) as raised:
        app.execute(statement)
    return type(raised.value)


def plain_column(conn: Conn, table: str) -> str:
    """A column an UPDATE may name (not an identity or generated one, which fail earlier)."""
    row = conn.execute(
        """SELECT column_name AS name FROM information_schema.columns
           WHERE table_name = %s AND is_identity = 'NO' AND is_generated = 'NEVER'
           ORDER BY ordinal_position LIMIT 1""",
        (table,),
    ).fetchone()
    assert row is not None, table
    return str(row["name"])


def test_the_role_does_the_apps_work(app_url: str) -> None:
    # Given the application connected as its role
    db = Database(app_url)
    try:
        # When it ingests a page of events (COPY, staging tables, persons upserts, the counts
        # trigger, sessions), replays it, and rebuilds the sessions (DELETE + INSERT)
        events = [ingest.CapturedLine(n, e) for n, e in enumerate(make_events(300), start=1)]
        first = ingest.replay(db, events, owner=OWNER, received_at=NOW)
        again = ingest.replay(db, events, owner=OWNER, received_at=NOW)
        ingest.rebuild_sessions(db, owner=OWNER)

        # Then everything was stored once, as the master user would have stored it
        assert first.inserted == 300
        assert again.duplicates == 300
        with db.transaction() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM interactions) AS interactions,"
                # anonymous tips are not counted under a name (decision 47)
                " (SELECT count(*) FROM interactions"
                "   WHERE NOT mhc_is_anonymous_tip(type, metadata)) AS named,"
                " (SELECT sum(count) FROM person_interaction_counts) AS counted,"
                " (SELECT max(version) FROM schema_migrations) AS version,"
                " current_user AS who"
            ).fetchone()
            assert row is not None
            assert row["interactions"] == first.interactions
            assert row["counted"] == row["named"]
            assert row["version"] is not None
            # And it updates and deletes rows of the tables that are not append-only
            person = conn.execute("SELECT id FROM persons LIMIT 1").fetchone()
            assert person is not None
            conn.execute(
                "UPDATE persons SET is_excluded = is_excluded WHERE id = %s", (person["id"],)
            )
            conn.execute("DELETE FROM stream_sessions WHERE source = 'manual'")
        assert row["who"] == psycopg.conninfo.conninfo_to_dict(app_url)["user"]
    finally:
        db.close()


def test_the_role_cannot_rewrite_history_or_the_schema(app_url: str) -> None:
    with connect(app_url) as app:
        # DDL: it owns nothing
        assert refused(app, "DROP TABLE interactions") is errors.InsufficientPrivilege
        assert refused(app, "ALTER TABLE interactions DISABLE TRIGGER ALL") is (
            errors.InsufficientPrivilege
        )
        assert refused(app, "ALTER TABLE persons ADD COLUMN x int") is errors.InsufficientPrivilege
        assert refused(app, "DROP FUNCTION mhc_reject_change() CASCADE") is (
            errors.InsufficientPrivilege
        )
        assert refused(app, "CREATE TABLE mine (id int)") is errors.InsufficientPrivilege
        # Triggers cannot be switched off for the session either (superuser only)
        assert refused(app, "SET session_replication_role = replica") is (
            errors.InsufficientPrivilege
        )
        # Append-only tables: no TRUNCATE, UPDATE or DELETE privilege at all (not even reaching
        # the triggers)
        for table in sorted(APPEND_ONLY):
            column = plain_column(app, table)
            for statement in (
                f"TRUNCATE {table}",
                f"UPDATE {table} SET {column} = {column}",
                f"DELETE FROM {table}",
            ):
                assert refused(app, statement) is errors.InsufficientPrivilege, statement
        # Other tables: rows yes, TRUNCATE no; the migration history is read-only
        assert refused(app, "TRUNCATE persons") is errors.InsufficientPrivilege
        assert refused(app, "DELETE FROM schema_migrations") is errors.InsufficientPrivilege
        assert refused(app, "INSERT INTO schema_migrations VALUES (9999, 'x', 'y')") is (
            errors.InsufficientPrivilege
        )
        # And it cannot give itself more
        assert refused(app, "ALTER ROLE current_user CREATEROLE") is errors.InsufficientPrivilege


def test_tables_of_later_migrations_get_their_grants_on_the_next_run(
    database_url: str, role_name: str
) -> None:
    # Given the role set up, then a later migration adding a table and an append-only one
    password = secrets.token_urlsafe(24)
    with connect(database_url) as owner:
        ensure_app_role(owner, role_name, password)
        owner.execute("CREATE TABLE later_notes (id bigserial PRIMARY KEY, body text)")
        owner.execute("CREATE TABLE later_log (id bigserial PRIMARY KEY, body text)")
        owner.execute(
            "CREATE TRIGGER later_log_append_only BEFORE UPDATE OR DELETE ON later_log"
            " FOR EACH ROW EXECUTE FUNCTION mhc_reject_change()"
        )
        # When the migrate function runs again
        grants = ensure_app_role(owner, role_name, password)

    # Then the new tables are classified from the catalog and usable as such
    assert "later_notes" in grants.read_write
    assert "later_log" in grants.append_only
    assert set(grants.append_only) >= APPEND_ONLY
    # views are read-only (the aggregates' one definition of what counts, decision 46)
    assert grants.read_only == ("counted_interactions", "schema_migrations", "watchlist_people")
    assert grants.created is False
    with connect(as_user(database_url, role_name, password)) as app:
        app.execute("INSERT INTO later_notes (body) VALUES ('a')")
        app.execute("UPDATE later_notes SET body = 'b'")
        app.execute("INSERT INTO later_log (body) VALUES ('a')")
        assert refused(app, "UPDATE later_log SET body = 'b'") is errors.InsufficientPrivilege


def test_the_stored_password_is_the_secrets_own(database_url: str, role_name: str) -> None:
    # Given the role set up twice, the second time after a rotation of its secret
    with connect(database_url) as owner:
        ensure_app_role(owner, role_name, "first-password-1")
        ensure_app_role(owner, role_name, "rotated-password-2")
        row = owner.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role_name,)
        ).fetchone()
    assert row is not None
    # Then the server holds a SCRAM verifier of the new password (never the password itself)
    verifier: str = row["rolpassword"]
    assert verifier.startswith("SCRAM-SHA-256$")
    assert "rotated-password-2" not in verifier
    assert scram_matches(verifier, "rotated-password-2")
    assert not scram_matches(verifier, "first-password-1")


@pytest.mark.parametrize(
    "prepare",
    [
        lambda conn, name: conn.execute(sql.SQL("CREATE ROLE {} CREATEROLE").format(name)),
        lambda conn, name: conn.execute(sql.SQL("CREATE ROLE {} CREATEDB").format(name)),
        lambda conn, name: conn.execute(
            sql.SQL("CREATE ROLE {n}; GRANT pg_read_all_data TO {n}").format(n=name)
        ),
    ],
    ids=["createrole", "createdb", "member-of-a-role"],
)
def test_an_existing_role_with_powers_is_refused(
    database_url: str, role_name: str, prepare: Callable[[Conn, Any], Any]
) -> None:
    with connect(database_url) as owner:
        prepare(owner, sql.Identifier(role_name))
        with pytest.raises(AppRoleError, match=role_name):
            ensure_app_role(owner, role_name, "pw")


def test_the_migrating_user_and_odd_names_are_refused(database_url: str) -> None:
    with connect(database_url) as owner:
        me = owner.execute("SELECT current_user AS v").fetchone()
        assert me is not None
        with pytest.raises(AppRoleError):
            ensure_app_role(owner, me["v"], "pw")
        for name in ("Mhc_App", "mhc-app", 'x"; DROP TABLE persons; --', "", "a" * 64):
            with pytest.raises(AppRoleError):
                ensure_app_role(owner, name, "pw")


def scram_matches(verifier: str, password: str) -> bool:
    """RFC 5802/7677: does `verifier` (as PostgreSQL stores it) belong to `password`?"""
    _method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored_key))
