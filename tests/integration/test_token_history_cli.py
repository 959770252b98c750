"""`mhc import token-history` and `mhc audit capture`: the services production uses, with
progress and the refusal on the command line."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.token_history import TIP, export_bytes, tip_event
from helpers import ingest_events
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import Database

OWNER = "the_owner"
T = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ROWS = [
    ("alice_01", 100, T, TIP, ""),
    ("bob_02", 10, T + timedelta(minutes=5), TIP, ""),
    ("", 10, T, TIP, ""),  # line 4: bad
]


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MHC_OWNER_USERNAME", OWNER)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_import_refuses_bad_lines_then_imports_with_acceptance(
    db: Database, cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an export with one bad line, and alice's tip captured live
    ingest_events(db, [tip_event(OWNER, "alice_01", 100, T)], owner=OWNER, received_at=T)
    export = tmp_path / "tokens.csv"
    export.write_bytes(b"\xef\xbb\xbf" + export_bytes(ROWS))  # with a byte-order mark
    # When imported as is: refused, the line named, nothing imported
    assert cli.main(["import", "token-history", str(export)]) == 1
    out = capsys.readouterr().out
    assert "line 4: User is empty" in out
    assert "refused: 1 bad line(s); nothing was imported" in out
    # When imported accepting the bad line: progress, then the summary
    assert cli.main(["import", "token-history", str(export), "--accept-problems"]) == 0
    out = capsys.readouterr().out
    assert "4 lines read, 2 rows" in out
    assert "2 new, 0 already stored, 1 linked to tips captured live, 1 bad line(s) left out" in out
    # When the same export is imported again, compressed: nothing new
    packed = tmp_path / "tokens.csv.gz"
    packed.write_bytes(gzip.compress(export_bytes(ROWS[:2])))
    assert cli.main(["import", "token-history", str(packed)]) == 0
    assert "0 new, 2 already stored" in capsys.readouterr().out


def test_import_of_a_file_that_is_not_an_export(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "other.csv"
    export.write_text("name,amount\nalice,5\n")
    assert cli.main(["import", "token-history", str(export)]) == 1
    assert "missing column(s) 'User'" in capsys.readouterr().err
    assert cli.main(["import", "token-history", str(tmp_path / "none.csv")]) == 2


def test_audit_capture_prints_the_share_and_each_missed_tip(
    db: Database, cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "capture"]) == 1
    assert "no token-history export imported yet" in capsys.readouterr().out
    ingest_events(
        db,
        [
            tip_event(OWNER, "alice_01", 100, T),
            tip_event(OWNER, "carol_03", 5, T + timedelta(minutes=10)),
        ],
        owner=OWNER,
        received_at=T,
    )
    export = tmp_path / "tokens.csv"
    export.write_bytes(
        export_bytes([*ROWS[:2], ("carol_03", 5, T + timedelta(minutes=10), TIP, "")])
    )
    assert cli.main(["import", "token-history", str(export)]) == 0
    capsys.readouterr()
    assert cli.main(["audit", "capture"]) == 0
    out = capsys.readouterr().out
    assert "export tips in that time: 3; delivered live: 2 = 66.7%" in out
    assert "missed: 1 (0 inside a recorded gap)" in out
    assert "bob_02" in out
    assert "NOT explained" in out


@pytest.fixture
def big_rows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Twenty rows, past the first batch read in place: the rest are read by a forked child
    from the file it inherited."""
    from mhc.services import token_history

    monkeypatch.setattr(token_history, "FORK_AFTER", 2)
    monkeypatch.setattr(token_history, "BATCH", 3)
    return [(f"fan_{n:02d}", 5 + n, T + timedelta(minutes=n), TIP, "") for n in range(20)]


def test_a_large_file_is_read_from_disk_by_a_second_process(
    db: Database,
    cli_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    big_rows: list[tuple[object, ...]],
) -> None:
    # Plain and compressed
    (tmp_path / "big.csv").write_bytes(export_bytes(big_rows))
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress(export_bytes(big_rows)))
    assert cli.main(["import", "token-history", str(tmp_path / "big.csv")]) == 0
    assert "20 new, 0 already stored" in capsys.readouterr().out
    assert cli.main(["import", "token-history", str(tmp_path / "big.csv.gz")]) == 0
    assert "0 new, 20 already stored" in capsys.readouterr().out


def test_a_reader_process_that_dies_is_reported_and_nothing_imported(
    db: Database,
    cli_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    big_rows: list[tuple[object, ...]],
) -> None:
    import os
    import signal

    from mhc.services import token_history

    parent, real = os.getpid(), token_history._prepare

    def dying(*args: object) -> object:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(token_history, "_prepare", dying)
    (tmp_path / "big.csv").write_bytes(export_bytes(big_rows))
    assert cli.main(["import", "token-history", str(tmp_path / "big.csv")]) == 1
    assert "the process reading the file stopped" in capsys.readouterr().err
    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n FROM token_history_rows").fetchone()
    assert row is not None
    assert row["n"] == 0
