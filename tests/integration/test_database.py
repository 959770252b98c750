import psycopg
import pytest
from mhc.db.connection import IDLE_CHECK_SECONDS, Database, connect


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _kill_backend(url: str, db: Database) -> None:
    pid = db.connection().info.backend_pid
    with connect(url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_connection_is_lazy_and_reused(database_url: str) -> None:
    db = Database(database_url)
    assert db._conn is None
    first = db.connection()
    assert db.connection() is first
    db.close()


def test_idle_connection_that_died_is_replaced_before_use(database_url: str) -> None:
    ticker = Ticker()
    db = Database(database_url, clock=ticker)
    before = db.connection()
    _kill_backend(database_url, db)
    ticker.now += IDLE_CHECK_SECONDS + 1  # idle long enough to be checked
    after = db.connection()
    assert after is not before
    assert after.execute("SELECT 1 AS one").fetchone() == {"one": 1}
    db.close()


def test_run_reconnects_once_when_the_server_dropped_the_connection(database_url: str) -> None:
    db = Database(database_url)
    _kill_backend(database_url, db)  # fresh enough that it is not pinged first
    row = db.run(lambda conn: conn.execute("SELECT 2 AS two").fetchone())
    assert row == {"two": 2}
    db.close()


def test_failed_use_case_writes_nothing(db: Database) -> None:
    # Given a use case that writes and then fails
    def use_case() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO persons (username) VALUES ('half_written')")
            raise RuntimeError("crash mid-way")

    with pytest.raises(RuntimeError):
        use_case()
    # Then nothing of it is stored
    with db.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM persons").fetchone() == {"n": 0}


def test_connection_errors_do_not_leak_passwords() -> None:
    db = Database("postgresql://mhc:hunter2secret@127.0.0.1:1/mhc")
    with pytest.raises(psycopg.OperationalError) as info:
        db.connection()
    assert "hunter2secret" not in str(info.value)


def test_url_is_resolved_again_on_reconnect(database_url: str) -> None:
    # Given a URL provider (a rotated password changes what it returns)
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return database_url

    db = Database(provider)
    _kill_backend(database_url, db)
    db.run(lambda conn: conn.execute("SELECT 1").fetchone())
    # Then each new connection asked for the URL again
    assert len(calls) == 2
    db.close()
