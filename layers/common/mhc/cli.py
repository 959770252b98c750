"""The `mhc` command: run the local server, migrate, print the database URL.

Exit codes: 0 success, 1 operational failure, 2 configuration or usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mhc.config import ConfigError, Settings, get_settings
from mhc.observability import redact

if TYPE_CHECKING:
    from mhc.db.connection import Database


def _say(message: str) -> None:
    print(message, flush=True)


def _database_url(settings: Settings) -> str:
    from mhc.db.resolve import database_url

    return database_url(settings)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from mhc.db.connection import connect
    from mhc.db.migrate import migrate, status

    with connect(_database_url(settings)) as conn:
        if args.status:
            rows = status(conn, settings.mhc_migrations_dir)
            for row in rows:
                when = row.applied_at.isoformat(timespec="seconds") if row.applied_at else "-"
                _say(f"{row.version:04d}_{row.name:<40} {row.state:<8} {when}")
            bad = [row for row in rows if row.state in ("edited", "missing")]
            return 1 if bad else 0
        applied = migrate(conn, settings.mhc_migrations_dir, progress=_say)
    _say(f"{len(applied)} migration(s) applied; database is up to date")
    return 0


def cmd_db_url(settings: Settings, _args: argparse.Namespace) -> int:
    _say(_database_url(settings))
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from mhc.api import create_app
    from mhc.db.connection import connect
    from mhc.db.migrate import migrate
    from mhc.db.pool import PooledDatabase

    url = _database_url(settings)
    with connect(url) as conn:
        migrate(conn, settings.mhc_migrations_dir, progress=_say)
    db = PooledDatabase(url)
    app = create_app(lambda: db)
    host, port = args.host or settings.mhc_host, args.port or settings.mhc_port
    _say(f"MHC is serving on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, log_level=settings.mhc_log_level.lower())
    finally:
        db.close()
    return 0


def _single_connection(settings: Settings) -> Database:
    from mhc.db.connection import Database

    return Database(_database_url(settings))


def cmd_poll_events(settings: Settings, args: argparse.Namespace) -> int:
    import time
    from datetime import timedelta

    from mhc.domain.polling import Trigger, TriggerKind
    from mhc.runtime.poller import build_events_poller

    if args.max_seconds < 5:
        raise ConfigError("--max-seconds must be at least 5")
    db = _single_connection(settings)
    poller = build_events_poller(settings, db)
    deadline = time.monotonic() + args.max_seconds
    _say(f"polling the Events API for up to {args.max_seconds} s ...")
    outcome = poller.run(
        Trigger(TriggerKind.MANUAL), lambda: timedelta(seconds=deadline - time.monotonic())
    )
    db.close()
    summary = outcome.summary()
    _say(", ".join(f"{key}={value}" for key, value in summary.items()))
    return 0 if outcome.status.value in ("succeeded", "skipped") else 1


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from mhc.domain.clock import utc_now
    from mhc.services.ingest import replay

    documents = []
    with open(args.file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{args.file}:{number}: not JSON ({exc.msg})") from None
    owner = settings.require_owner()
    db = _single_connection(settings)
    counts = replay(db, documents, owner=owner, received_at=utc_now(), progress=_say)
    db.close()
    _say(", ".join(f"{key}={value}" for key, value in counts.as_dict().items()))
    return 0


def cmd_rebuild_sessions(settings: Settings, _args: argparse.Namespace) -> int:
    from datetime import timedelta

    from mhc.services.ingest import rebuild_sessions

    owner = settings.require_owner()
    db = _single_connection(settings)
    count = rebuild_sessions(
        db, owner=owner, merge_gap=timedelta(minutes=settings.mhc_session_merge_gap_minutes)
    )
    db.close()
    _say(f"{count} session(s) rebuilt from broadcast events")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mhc", description="MHC Control Panel")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate and serve the API and UI locally")
    run.add_argument("--host", help="interface to bind (default MHC_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default MHC_PORT or 8080)")
    run.set_defaults(handler=cmd_run)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--status", action="store_true", help="list migrations and their state")
    migrate.set_defaults(handler=cmd_migrate)

    db_url = commands.add_parser("db-url", help="print the URL of the database in use")
    db_url.set_defaults(handler=cmd_db_url)

    poll = commands.add_parser(
        "poll-events", help="long-poll the Events API now (same code path as the Lambda)"
    )
    poll.add_argument("--max-seconds", type=int, default=60, help="stop after this long (60)")
    poll.set_defaults(handler=cmd_poll_events)

    replay = commands.add_parser(
        "replay", help="ingest captured events from a JSON-lines file (idempotent)"
    )
    replay.add_argument("file", help="one envelope or one whole Events API response per line")
    replay.set_defaults(handler=cmd_replay)

    rebuild = commands.add_parser(
        "rebuild-sessions", help="recompute broadcast sessions from stored raw events"
    )
    rebuild.set_defaults(handler=cmd_rebuild_sessions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        code: int = args.handler(settings, args)
        return code
    except ConfigError as exc:
        print(f"mhc: configuration error: {redact(exc)}", file=sys.stderr)
        return ConfigError.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"mhc: {type(exc).__name__}: {redact(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
