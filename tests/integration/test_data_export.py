"""`mhc export` / `mhc restore`: every table out to JSON lines and back, byte for byte.

The source database is seeded with rows in every table (the test fails when a migration adds a
table the seed does not fill), including awkward values: backslashes, tabs, newlines, quotes,
emoji, NUL-free unicode escapes, jsonb with big and fractional numbers, arrays, microseconds.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mhc import cli
from mhc.config import get_settings
from mhc.db.connection import connect
from mhc.db.migrate import migrate
from mhc.services import data_export
from mhc.store import data_export as store

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
AWKWARD = 'back\\slash, tab\there, new\nline, "quotes", emoji 🎉, \u2028 and é'
T0 = "2026-03-01 20:15:30.123456+00"
PointAt = Callable[[str], None]


def seed(url: str) -> None:
    """Rows in every table, through the same statements the application uses where it matters
    (interactions go through the statement trigger that keeps person_interaction_counts)."""
    with connect(url) as conn, conn.transaction():
        conn.execute(
            """INSERT INTO persons (username, role, rid, did, is_excluded, first_seen_at,
                                   last_seen_at, username_since)
               VALUES ('viewer_one', 'VIEWER', 9007199254740993, 42, false, %(t)s, %(t)s, %(t)s),
                      ('model_two', 'MODEL', NULL, NULL, false, %(t)s, %(t)s, %(t)s),
                      ('smk_lover', 'BOTH', NULL, 7, true, %(t)s, %(t)s, %(t)s)""",
            {"t": T0},
        )
        conn.execute(
            """INSERT INTO person_aliases (person_id, username, valid_from, valid_to, source)
               VALUES (1, 'viewer_old', '2025-01-01', %s, 'statbate_did')""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO snapshots (person_id, source, captured_at, raw_payload,
                                      normalized_metrics)
               VALUES (1, 'statbate_member', %s, %s, '{"all_time_tokens": 640, "rank": 0.1}'),
                      (2, 'cb_stats', %s, '{"num_followers": 1e100, "list": [1, [2, {"k": null}]]}',
                       '{}')""",
            (T0, json.dumps({"text": AWKWARD, "nested": {"n": -0.0}}), T0),
        )
        conn.execute(
            """INSERT INTO raw_events (event_id, method, occurred_at, payload)
               VALUES ('1767225600000-0', 'chatMessage', %s, %s)""",
            (T0, json.dumps({"object": {"message": {"message": AWKWARD}}})),
        )
        conn.execute(
            """INSERT INTO stream_sessions (started_at, ended_at, source)
               VALUES (%s, %s::timestamptz + interval '2 hours', 'cb_events'),
                      (now(), NULL, 'manual')""",
            (T0, T0),
        )
        conn.execute(
            """INSERT INTO interactions (person_id, type, source, external_id, occurred_at,
                                         broadcaster, content, metadata)
               VALUES (1, 'CHAT_MESSAGE', 'cb_events', 'e-1', %(t)s, 'model_two', %(a)s, '{}'),
                      (1, 'TIP_EVENT', 'cb_events', 'e-2', %(t)s, 'model_two', 'for the song',
                       '{"tokens": 50, "isAnon": false}'),
                      (2, 'MANUAL_NOTE', 'manual', 'n-1', %(t)s, NULL, NULL, '{}')""",
            {"t": T0, "a": AWKWARD},
        )
        conn.execute(  # a second statement: the counts trigger adds to existing rows
            """INSERT INTO interactions (person_id, type, source, external_id, occurred_at,
                                         content)
               VALUES (1, 'CHAT_MESSAGE', 'statbate_plus', 'imp-1', %s, 'imported line')""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO attributes (person_id, key, value, confidence, evidence_kind,
                                       interaction_id, evidence_note)
               VALUES (1, 'timezone', 'Europe/Berlin', 'high', 'interaction', 1, %s),
                      (2, 'likes', 'songs', 'low', 'manual', NULL, NULL)""",
            (AWKWARD,),
        )
        conn.execute("INSERT INTO watchlists (name) VALUES ('My own list')")
        conn.execute("UPDATE watchlists SET name = 'Friends (renamed)' WHERE name = 'Friends'")
        conn.execute(
            "INSERT INTO watchlist_members (watchlist_id, person_id) VALUES (1, 1), (6, 2)"
        )
        conn.execute(
            """INSERT INTO job_runs (job, started_at, finished_at, status, counts, error)
               VALUES ('cb_stats', %s, %s, 'failed', '{"fetched": 0}', 'HTTP 503'),
                      ('events_poller', %s, NULL, 'running', '{}', NULL)""",
            (T0, T0, T0),
        )
        conn.execute(
            """UPDATE jobs SET config = '{"limit": 25, "roles": ["MODEL"]}', enabled = false,
                              last_run_at = %s, last_status = 'failed'
               WHERE name = 'statbate_refresh'""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO event_gaps (detected_at, last_event_id, last_event_at, reason)
               VALUES (%s, '1767225600000-0', %s, 'cursor expired')""",
            (T0, T0),
        )
        conn.execute(
            """INSERT INTO api_cool_downs (api, until, reason)
               VALUES ('stats_api', %s, 'HTTP 429')""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO profiles (person_id, display_name, age, tags, about_me_html,
                                     profile_raw, profile_status, followers)
               VALUES (2, 'Model Two', 25, ARRAY['a,b', 'quote"d', 'ü'], '<p>hi</p>',
                       '{"x": [true, false, null]}', 'ok', 1012)"""
        )
        conn.execute(
            """INSERT INTO follower_counts (person_id, observed_at, followers, source)
               VALUES (2, %s, 1000, 'affiliate'), (2, %s::timestamptz + interval '1 day',
                       1012, 'cb_profile')""",
            (T0, T0),
        )
        conn.execute(
            """INSERT INTO broadcasts (person_id, started_at, last_seen_at, max_viewers,
                                       sightings)
               VALUES (2, %s, %s::timestamptz + interval '1 hour', 77, 3)""",
            (T0, T0),
        )
        conn.execute(
            """INSERT INTO statbate_absences (person_id, source, checked_at)
               VALUES (3, 'statbate_model', %s)""",
            (T0,),
        )
        # an imported line linked to a live one, and a person merged into another (and logged)
        conn.execute(
            """INSERT INTO interaction_twins (interaction_id, twin_of, reason)
               VALUES (4, 1, 'same sender and text within 2 minutes')"""
        )
        conn.execute(
            """INSERT INTO persons (username, merged_into, first_seen_at, last_seen_at)
               VALUES ('viewer_alt', 1, %(t)s, %(t)s)""",
            {"t": T0},
        )
        conn.execute(
            """INSERT INTO deletions (kind, row_key, deleted_row, deleted_by, deleted_at)
               VALUES ('stream_sessions', '9', '{"id": 9, "source": "manual"}', 'owner', %s)""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO chat_import_responses (digest, origin, url, fetched_at, body,
                                                  messages, unmapped, problems)
               VALUES (repeat('ab', 32), 'file', NULL, %s, %s, 1, 0, '{}')""",
            (T0, json.dumps({"data": [{"id": 1, "message": AWKWARD}]})),
        )
        conn.execute(
            """INSERT INTO chat_import_targets (kind, name, checkpoint, walk, completed_at)
               VALUES ('room', 'model_two', 'https://plus.example/room?page=3', 'full', %s)""",
            (T0,),
        )
        conn.execute(
            "INSERT INTO paste_mentions (interaction_id, person_id, line) VALUES (3, 2, 1), (3, 1, NULL)"
        )
        # the owner's token-history export (an import, one raw row) and alerts
        conn.execute(
            """INSERT INTO token_history_imports (id, imported_at, file_name, file_sha256,
                                                  timezone, lines, good_rows, new_rows, linked)
               VALUES (1, %s, 'tokens.csv', repeat('0f', 32), 'UTC', 2, 1, 1, 0)""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO token_history_rows (row_id, import_id, line, occurred_at, raw)
               VALUES (repeat('ab', 16) || '-2', 1, 2, %s, %s)""",
            (T0, json.dumps({"User": "viewer_one", "Note": AWKWARD})),
        )
        conn.execute(
            """INSERT INTO alert_rule_sets (rules, saved_at)
               VALUES ('[{"id": "whale", "kind": "lifetime_tokens", "min_tokens": 500}]', %s)""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO alerts (key, rule_set_id, rule_id, kind, person_id, trigger, event_id,
                                   at, reason, sound)
               VALUES ('whale:1767225600000-0', 1, 'whale', 'lifetime_tokens', 1, 'arrival',
                       '1767225600000-0', %s, 'gave 640 tokens in all', true)""",
            (T0,),
        )
        conn.execute(
            """INSERT INTO person_merges (action, person_id, merged_id, reason, at, changes)
               VALUES ('merge', 1, 4, 'manual', %s, '{"alias_ids": []}')""",
            (T0,),
        )


def table_state(url: str) -> dict[str, tuple[str, int]]:
    """Each table's (SHA-256 of its export rendering, row count)."""
    state = {}
    with connect(url) as conn, conn.transaction():
        store.pin_rendering(conn)
        for table in store.tables(conn):
            digest = hashlib.sha256()
            rows = 0
            for line in store.rows_as_json(conn, table):
                digest.update((line + "\n").encode())
                rows += 1
            state[table.name] = (digest.hexdigest(), rows)
    return state


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[PointAt]:
    def point_at(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()

    yield point_at
    get_settings.cache_clear()


@pytest.fixture
def target_url(empty_database_url: str) -> str:
    """A new database, migrated as the owner would before a restore."""
    with connect(empty_database_url) as conn:
        migrate(conn, MIGRATIONS)
    return empty_database_url


@pytest.fixture
def exported(
    database_url: str, tmp_path: Path, use_database: PointAt, capsys: pytest.CaptureFixture[str]
) -> Path:
    seed(database_url)
    directory = tmp_path / "export"
    use_database(database_url)
    assert cli.main(["export", str(directory)]) == 0
    capsys.readouterr()
    return directory


def test_the_seed_fills_every_table(database_url: str) -> None:
    seed(database_url)
    empty = [name for name, (_, rows) in table_state(database_url).items() if rows == 0]
    assert empty == [], f"seed rows into {empty}: the round trip must cover every table"


def test_export_then_restore_gives_identical_tables(
    database_url: str,
    target_url: str,
    tmp_path: Path,
    use_database: PointAt,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a seeded database exported with `mhc export`
    seed(database_url)
    directory = tmp_path / "export"
    use_database(database_url)
    assert cli.main(["export", str(directory)]) == 0
    out = capsys.readouterr().out
    source = table_state(database_url)
    assert f"exported {len(source)} tables" in out
    # Then the manifest records the schema, and each file's rows and checksum
    manifest = json.loads((directory / "manifest.json").read_text())
    versions = sorted(int(path.name[:4]) for path in MIGRATIONS.glob("*.sql"))
    assert manifest["schema_version"] == versions[-1]
    assert [m["version"] for m in manifest["migrations"]] == versions
    for entry in manifest["tables"]:
        data = (directory / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] == source[entry["name"]][0]
        assert data.count(b"\n") == entry["rows"] == source[entry["name"]][1]
    assert {e["name"] for e in manifest["tables"]} == set(source)
    order = [e["name"] for e in manifest["tables"]]
    assert order.index("persons") < order.index("interactions") < order.index("attributes")
    # And the files are private
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()} == {0o600}
    # When it is restored into a new, migrated database
    use_database(target_url)
    assert cli.main(["restore", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "every table matches the export" in out
    assert re.search(r"person_interaction_counts +\d+ rows  rebuilt by the database", out)
    # Then every table holds exactly the same rows: counts not doubled, seeds replaced
    assert table_state(target_url) == source
    with connect(target_url) as conn:
        counts = conn.execute(
            "SELECT type, count FROM person_interaction_counts WHERE person_id = 1 ORDER BY type"
        ).fetchall()
        # two chat lines, one an imported twin of the other: counted once (decision 49)
        assert counts == [{"type": "CHAT_MESSAGE", "count": 1}, {"type": "TIP_EVENT", "count": 1}]
        # And the sequences continue after the restored ids
        new = conn.execute("INSERT INTO persons (username) VALUES ('after') RETURNING id")
        assert new.fetchone() == {"id": 5}  # after the four restored persons (one merged)
        watchlist = conn.execute("INSERT INTO watchlists (name) VALUES ('x') RETURNING id")
        assert watchlist.fetchone() == {"id": 7}


def test_restore_into_a_database_with_data_is_refused_with_nothing_written(
    exported: Path, target_url: str, use_database: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a migrated database that already holds one person
    with connect(target_url) as conn:
        conn.execute("INSERT INTO persons (username) VALUES ('already_here')")
    before = table_state(target_url)
    # When the export is restored into it, Then it is refused and nothing changed
    use_database(target_url)
    assert cli.main(["restore", str(exported)]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert "persons (1 rows)" in err
    assert table_state(target_url) == before


def test_restore_into_the_exported_database_itself_changes_nothing(
    exported: Path, database_url: str, use_database: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    before = table_state(database_url)
    use_database(database_url)
    assert cli.main(["restore", str(exported)]) == 0
    assert "already restored" in capsys.readouterr().out
    assert table_state(database_url) == before


@pytest.mark.parametrize(
    "damage",
    ["change a byte", "drop a line", "remove the file", "remove the manifest", "edit manifest"],
)
def test_a_damaged_export_is_refused_before_anything_is_written(
    exported: Path,
    target_url: str,
    use_database: PointAt,
    capsys: pytest.CaptureFixture[str],
    damage: str,
) -> None:
    interactions = exported / "interactions.jsonl"
    if damage == "change a byte":
        data = interactions.read_bytes()
        interactions.write_bytes(data.replace(b"for the song", b"for the sonG"))
    elif damage == "drop a line":
        interactions.write_bytes(b"".join(interactions.read_bytes().splitlines(True)[1:]))
    elif damage == "remove the file":
        interactions.unlink()
    elif damage == "remove the manifest":
        (exported / "manifest.json").unlink()
    else:
        manifest = json.loads((exported / "manifest.json").read_text())
        manifest["tables"][0]["file"] = "../../etc/passwd"
        (exported / "manifest.json").write_text(json.dumps(manifest))
    before = table_state(target_url)
    use_database(target_url)
    assert cli.main(["restore", str(exported)]) == 2
    assert "restore refused, nothing was written" in capsys.readouterr().err
    assert table_state(target_url) == before


def test_a_restore_stopped_half_way_completes_when_run_again(
    exported: Path, database_url: str, target_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = table_state(database_url)
    # Given a restore that dies while loading snapshots (after interactions were committed)
    real_reset = store.reset_sequences

    def crash_on_snapshots(conn: object, table: store.TableInfo) -> None:
        if table.name == "snapshots":
            raise RuntimeError("power cut")
        real_reset(conn, table)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "reset_sequences", crash_on_snapshots)
    with connect(target_url) as conn, pytest.raises(RuntimeError, match="power cut"):
        data_export.restore(conn, exported)
    half = table_state(target_url)
    assert half["interactions"] == source["interactions"]
    # (the counts match once interaction_twins is loaded too: a linked twin is taken back out
    # of them, decision 49)
    assert half["snapshots"][1] == 0  # its transaction was rolled back
    # When it is run again, Then it finishes, skipping what was done, doubling nothing
    monkeypatch.setattr(store, "reset_sequences", real_reset)
    with connect(target_url) as conn:
        report = data_export.restore(conn, exported)
    actions = {table.name: table.action for table in report}
    assert actions["interactions"] == "already restored"
    assert actions["snapshots"] == "restored"
    assert table_state(target_url) == source


def test_restore_needs_the_same_migrations(
    exported: Path,
    empty_database_url: str,
    tmp_path: Path,
    use_database: PointAt,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_database(empty_database_url)
    # An unmigrated database is refused with what to do
    assert cli.main(["restore", str(exported)]) == 2
    assert "run `mhc migrate` first" in capsys.readouterr().err
    # And so is one migrated to an older version
    older = tmp_path / "older"
    older.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql"))[:-1]:
        shutil.copy(path, older)
    with connect(empty_database_url) as conn:
        migrate(conn, older)
    assert cli.main(["restore", str(exported)]) == 2
    assert "schema version" in capsys.readouterr().err


def test_export_refuses_a_directory_that_is_not_empty(
    database_url: str, tmp_path: Path, use_database: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "something").write_text("mine")
    use_database(database_url)
    assert cli.main(["export", str(tmp_path)]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["something"]


def test_export_reports_progress_per_table(database_url: str, tmp_path: Path) -> None:
    seed(database_url)
    seen: list[data_export.Progress] = []
    with connect(database_url) as conn:
        manifest = data_export.export(conn, tmp_path / "out", progress=seen.append)
    finished = {p.table: p.rows for p in seen if p.rows == p.total}
    assert finished == {t.name: t.rows for t in manifest.tables}
