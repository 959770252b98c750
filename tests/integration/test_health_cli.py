import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from mhc import cli
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db import embedded
from mhc.db.connection import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_health_reports_database_and_schema_version(db: Database) -> None:
    client = TestClient(create_app(lambda: db))
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
    assert response.json()["schema_version"] == max(
        int(p.name[:4]) for p in MIGRATIONS.glob("*.sql")
    )


def test_health_is_503_when_the_database_is_down() -> None:
    down = Database("postgresql://mhc:pw@127.0.0.1:1/mhc")
    response = TestClient(create_app(lambda: down)).get("/api/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_cli_migrate_status_and_db_url(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    assert cli.main(["migrate", "--status"]) == 0
    assert "pending" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    assert f"{len(list(MIGRATIONS.glob('*.sql')))} migration(s) applied" in capsys.readouterr().out
    assert cli.main(["migrate", "--status"]) == 0
    assert "applied" in capsys.readouterr().out
    assert cli.main(["db-url"]) == 0
    assert capsys.readouterr().out.strip() == empty_database_url


def test_cli_db_stop_stops_the_app_and_test_servers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given fresh embedded servers for the app and for "the tests" (scratch directories under
    # the repository: the servers' own user must reach them; never this run's real test server)
    scratch = Path(__file__).resolve().parents[2] / ".mhc" / f"test-db-stop-{uuid.uuid4().hex}"
    tests_dir = scratch / "test-pgdata"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MHC_DATA_DIR", str(scratch))
    monkeypatch.setattr(embedded, "TEST_DATA_DIR", tests_dir)
    get_settings.cache_clear()
    try:
        assert cli.main(["db-url"]) == 0
        app_url = capsys.readouterr().out.strip()
        tests_url = embedded.start_embedded(tests_dir)
        for url in (app_url, tests_url):
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        # When they are stopped, then nothing answers at either URL; stopping again says so
        assert cli.main(["db-stop"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"embedded PostgreSQL in {scratch / 'pgdata'}: stopped",
            f"embedded PostgreSQL in {tests_dir}: stopped",
        ]
        for url in (app_url, tests_url):
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(url, connect_timeout=2)
        assert cli.main(["db-stop"]) == 0
        assert capsys.readouterr().out.count(": was not running") == 2
        # And with a configured database it says so, and still stops the test server
        monkeypatch.setenv("DATABASE_URL", "postgresql://mhc:pw@127.0.0.1:1/mhc")
        get_settings.cache_clear()
        assert cli.main(["db-stop"]) == 0
        out = capsys.readouterr().out
        assert "a database is configured (DATABASE_URL)" in out
        assert f"embedded PostgreSQL in {tests_dir}: was not running" in out
    finally:
        get_settings.cache_clear()
        for data_dir in (scratch / "pgdata", tests_dir):
            embedded.stop_embedded(data_dir)
        shutil.rmtree(scratch, ignore_errors=True)
