from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mhc import cli
from mhc.api import create_app
from mhc.config import get_settings
from mhc.db.connection import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_health_reports_database_and_schema_version(db: Database) -> None:
    client = TestClient(create_app(lambda: db))
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
    assert response.json()["schema_version"] == len(list(MIGRATIONS.glob("*.sql")))


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
