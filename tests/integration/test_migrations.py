import shutil
import threading
from pathlib import Path

import psycopg
import pytest
from mhc.db.connection import connect
from mhc.db.migrate import MigrationError, migrate, schema_version, status

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Versions need not be contiguous (branches take numbers ahead of merging).
VERSIONS = sorted(int(path.name[:4]) for path in MIGRATIONS.glob("*.sql"))
COUNT = len(VERSIONS)


def test_migrate_is_idempotent(empty_database_url: str) -> None:
    with connect(empty_database_url) as conn:
        first = migrate(conn, MIGRATIONS)
        second = migrate(conn, MIGRATIONS)
        assert [m.version for m in first] == VERSIONS
        assert second == []
        assert schema_version(conn) == VERSIONS[-1]
        assert {s.state for s in status(conn, MIGRATIONS)} == {"applied"}


def test_two_runners_at_once_apply_each_file_once(empty_database_url: str) -> None:
    # Given two runners that start together on separate connections
    results: list[object] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with connect(empty_database_url) as conn:
            barrier.wait()
            try:
                results.append(len(migrate(conn, MIGRATIONS)))
            except Exception as exc:  # recorded so the assertion shows it
                results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Then exactly one applied the migration and the other found nothing to do
    assert sorted(results) == [0, COUNT]  # type: ignore[type-var]
    with connect(empty_database_url) as conn:
        row = conn.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()
        assert row is not None
        assert row["n"] == COUNT


def test_edited_applied_file_is_refused(empty_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder)
    with connect(empty_database_url) as conn:
        migrate(conn, folder)
        edited = folder / "0001_initial.sql"
        edited.write_text(edited.read_text() + "\n-- an innocent-looking edit\n")
        with pytest.raises(MigrationError, match="edited"):
            migrate(conn, folder)
        assert status(conn, folder)[0].state == "edited"


def test_failed_migration_leaves_nothing_behind(empty_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("CREATE TABLE a (id int);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE b (id int); SELECT 1/0;")
    with connect(empty_database_url) as conn:
        with pytest.raises(MigrationError, match=r"0002_bad\.sql"):
            migrate(conn, folder)
        assert schema_version(conn) == 1
        row = conn.execute("SELECT to_regclass('b') AS t").fetchone()
        assert row is not None
        assert row["t"] is None


def test_bad_file_names_are_refused(empty_database_url: str, tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with connect(empty_database_url) as conn, pytest.raises(MigrationError, match=r"1_oops\.sql"):
        migrate(conn, tmp_path)


def test_pending_migrations_are_listed(empty_database_url: str) -> None:
    with connect(empty_database_url) as conn:
        assert {s.state for s in status(conn, MIGRATIONS)} == {"pending"}
        assert schema_version(conn) is None


def test_migrate_needs_autocommit(empty_database_url: str) -> None:
    with psycopg.connect(empty_database_url) as conn, pytest.raises(MigrationError):
        migrate(conn, MIGRATIONS)  # type: ignore[arg-type]
