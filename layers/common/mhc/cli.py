"""The `mhc` command: run the local server, migrate, print the database URL.

Exit codes: 0 success, 1 operational failure, 2 configuration or usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mhc.config import ConfigError, Settings, get_settings
from mhc.observability import redact

if TYPE_CHECKING:
    from mhc.db.connection import Database
    from mhc.services.collect import RunReport


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


def cmd_db_stop(settings: Settings, _args: argparse.Namespace) -> int:
    from mhc.db.embedded import stop_embedded
    from mhc.db.resolve import embedded_data_dir, uses_embedded

    if not uses_embedded(settings):
        raise ConfigError("a database is configured (DATABASE_URL): there is no embedded server")
    data_dir = embedded_data_dir(settings)
    stopped = stop_embedded(data_dir)
    _say(f"embedded PostgreSQL in {data_dir}: {'stopped' if stopped else 'was not running'}")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    import uvicorn

    from mhc.api import create_app
    from mhc.api.static import default_frontend_dir, with_frontend
    from mhc.db.connection import connect
    from mhc.db.migrate import migrate
    from mhc.db.pool import PooledDatabase
    from mhc.services.jobs import at_next_tick

    url = _database_url(settings)
    with connect(url) as conn:
        migrate(conn, settings.mhc_migrations_dir, progress=_say)
    db = PooledDatabase(url)
    pollers = None
    if not args.no_pollers:
        from mhc.runtime.local import LocalPollers

        pollers = LocalPollers(settings, url)
    # "Run now" on a job wakes the local collector (without pollers: the job waits for one).
    api = create_app(lambda: db, start_job=pollers.wake if pollers else at_next_tick)
    # The built UI is served next to the API only here (in AWS, CloudFront serves it from S3).
    frontend = Path(args.frontend_dir) if args.frontend_dir else default_frontend_dir()
    app = with_frontend(api, frontend)
    if not (frontend / "index.html").is_file():
        _say(f"warning: no built UI in {frontend} (run `make frontend`); serving the API only")
    host, port = args.host or settings.mhc_host, args.port or settings.mhc_port
    if pollers is not None:
        for line in pollers.start():
            _say(line)
    _say(f"MHC is serving on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        # access_log off: the API middleware already logs one JSON line per request.
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=settings.mhc_log_level.lower(),
            access_log=False,
        )
    finally:
        if pollers is not None:
            pollers.stop()
        db.close()
    return 0


def _single_connection(settings: Settings) -> Database:
    from mhc.db.connection import Database

    return Database(_database_url(settings))


def cmd_poll_events(settings: Settings, args: argparse.Namespace) -> int:
    import math
    import time
    from datetime import timedelta

    from mhc.domain.polling import Trigger, TriggerKind
    from mhc.runtime.poller import build_events_poller, poller_config

    shortest = math.ceil(poller_config(settings).shortest_budget.total_seconds())
    if args.max_seconds < shortest:
        raise ConfigError(f"--max-seconds must be at least {shortest} (one long-poll must fit)")
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


# --- scheduled jobs -------------------------------------------------------------------------
def _jobs_call(action: Callable[[], int]) -> int:
    """Run a jobs command; a bad value or an unknown job is a usage error naming the field."""
    from mhc.domain.errors import InvalidInput, NotFound

    try:
        return action()
    except InvalidInput as exc:
        print(f"mhc: invalid value: {exc}", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"mhc: {exc}", file=sys.stderr)
        return 2


def _print_report(report: RunReport) -> None:
    if not report.ran:
        _say(f"{report.job:<20} not run ({report.reason})")
        return
    status = report.status.value if report.status else "-"
    counts = ", ".join(f"{key}={value}" for key, value in report.counts.items())
    _say(f"{report.job:<20} {status:<15} {counts}")
    if report.error:
        _say(f"{'':<20} error: {report.error}")


def _run_jobs(settings: Settings, args: argparse.Namespace, only: list[str] | None) -> int:
    import time
    from datetime import timedelta

    from mhc.runtime.collector import build_collector

    seconds = args.max_seconds or settings.mhc_jobs_local_budget_seconds
    db = _single_connection(settings)
    try:
        collector = build_collector(settings, db)
        deadline = time.monotonic() + seconds
        reports = collector.run_due(
            lambda: timedelta(seconds=deadline - time.monotonic()), only=only
        )
    finally:
        db.close()
    for report in reports:
        _print_report(report)
    if not reports:
        _say("no job is due")
    if any(r.status is not None and r.status.value == "failed" for r in reports):
        return 1
    if any(r.status is not None and r.status.value == "not_configured" for r in reports):
        return 2
    return 0


def cmd_jobs_list(settings: Settings, _args: argparse.Namespace) -> int:
    from mhc.services.jobs import list_jobs

    db = _single_connection(settings)
    try:
        views = list_jobs(db, runs=1)
    finally:
        db.close()
    _say(f"{'JOB':<20} {'ON':<4} {'EVERY':>8}  {'LAST RUN':<25} {'STATUS':<15} NEXT RUN")
    for view in views:
        job = view.job
        last = view.last_run
        when = last.started_at.isoformat(timespec="seconds") if last else "-"
        status = last.status.value if last else "-"
        upcoming = job.next_run_at.isoformat(timespec="seconds") if job.next_run_at else "due"
        _say(
            f"{job.name:<20} {'yes' if job.enabled else 'no':<4} {job.interval_seconds:>7}s  "
            f"{when:<25} {status:<15} {upcoming}"
        )
        if last and last.error:
            _say(f"{'':<20} last error: {last.error}")
        if view.cool_down_until:
            _say(f"{'':<20} cooling down until {view.cool_down_until.isoformat()}")
        config = ", ".join(f"{k}={v}" for k, v in view.effective_config.items())
        _say(f"{'':<20} config: {config or '-'}")
    return 0


def cmd_jobs_run(settings: Settings, args: argparse.Namespace) -> int:
    return _jobs_call(lambda: _run_jobs(settings, args, [args.name]))


def cmd_jobs_run_due(settings: Settings, args: argparse.Namespace) -> int:
    return _run_jobs(settings, args, None)


def _set_values(settings: Settings, name: str, values: dict[str, Any]) -> int:
    from mhc.services.jobs import set_values

    db = _single_connection(settings)
    try:
        job = set_values(db, name, values)
    finally:
        db.close()
    config = ", ".join(f"{k}={v}" for k, v in job.config.items())
    _say(
        f"{job.name}: enabled={'yes' if job.enabled else 'no'}, every {job.interval_seconds} s,"
        f" config: {config or 'defaults'}"
    )
    return 0


def cmd_jobs_enable(settings: Settings, args: argparse.Namespace) -> int:
    return _jobs_call(lambda: _set_values(settings, args.name, {"enabled": True}))


def cmd_jobs_disable(settings: Settings, args: argparse.Namespace) -> int:
    return _jobs_call(lambda: _set_values(settings, args.name, {"enabled": False}))


def cmd_jobs_set(settings: Settings, args: argparse.Namespace) -> int:
    from mhc.domain.jobs import parse_setting

    def action() -> int:
        values = dict(parse_setting(item) for item in args.settings)
        return _set_values(settings, args.name, values)

    return _jobs_call(action)


def add_jobs_commands(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="scheduled collection jobs (list, run, configure)")
    sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="jobs, their last run and config")
    listing.set_defaults(handler=cmd_jobs_list)
    run = sub.add_parser("run", help="run one job now (same code path as the Lambda)")
    run.add_argument("name")
    run.add_argument("--max-seconds", type=int, help="time budget (MHC_JOBS_LOCAL_BUDGET_SECONDS)")
    run.set_defaults(handler=cmd_jobs_run)
    due = sub.add_parser("run-due", help="run every due job once, as the schedule would")
    due.add_argument("--max-seconds", type=int, help="time budget (MHC_JOBS_LOCAL_BUDGET_SECONDS)")
    due.set_defaults(handler=cmd_jobs_run_due)
    for action, handler in (("enable", cmd_jobs_enable), ("disable", cmd_jobs_disable)):
        toggle = sub.add_parser(action, help=f"{action} a job")
        toggle.add_argument("name")
        toggle.set_defaults(handler=handler)
    setter = sub.add_parser(
        "set", help="change settings: KEY=VALUE (JSON values; interval=5m; enabled=true)"
    )
    setter.add_argument("name")
    setter.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    setter.set_defaults(handler=cmd_jobs_set)


# --- persons --------------------------------------------------------------------------------
def _persons_merge(settings: Settings, args: argparse.Namespace, undo: bool) -> int:
    from mhc.domain.errors import DomainError
    from mhc.services import persons

    db = _single_connection(settings)
    try:
        into = persons.named(db, args.person)
        other = persons.named(db, args.other) if not undo else None
        other_id = other.id if other is not None else _row_id(db, args.other)
        if not undo and other_id == into.id and args.person != args.other:
            _say(f"{args.person} and {args.other} are already one person ({into.id})")
            return 0
        if undo:
            person = persons.unmerge(db, into.id, other_id)
            _say(f"person {person.id} ({person.username}) is a person of its own again")
        else:
            person = persons.merge(db, into.id, other_id)
            _say(f"person {other_id} merged into person {person.id} ({person.username})")
    except DomainError as exc:
        print(f"mhc: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    return 0


def _row_id(db: Database, reference: str) -> int:
    """For unmerge: the merged row itself (an id, or its name, which is now an alias)."""
    from mhc.domain.errors import NotFound

    if reference.isdigit():
        return int(reference)
    raise NotFound(f"give the merged person's id (see `merged` on the person): {reference!r}")


def cmd_persons_merge(settings: Settings, args: argparse.Namespace) -> int:
    return _persons_merge(settings, args, undo=False)


def cmd_persons_unmerge(settings: Settings, args: argparse.Namespace) -> int:
    return _persons_merge(settings, args, undo=True)


def add_persons_commands(commands: Any) -> None:
    persons = commands.add_parser("persons", help="identity: merge and unmerge persons")
    sub = persons.add_subparsers(dest="persons_command", required=True, metavar="ACTION")
    merge = sub.add_parser(
        "merge", help="PERSON and OTHER are one human: merge OTHER into PERSON (id or name)"
    )
    merge.add_argument("person")
    merge.add_argument("other")
    merge.set_defaults(handler=cmd_persons_merge)
    unmerge = sub.add_parser("unmerge", help="undo the merge of OTHER (its id) into PERSON")
    unmerge.add_argument("person")
    unmerge.add_argument("other")
    unmerge.set_defaults(handler=cmd_persons_unmerge)


# --- the owner's token history and the capture audit ----------------------------------------
_PROBLEMS_PRINTED = 50


def cmd_import_token_history(settings: Settings, args: argparse.Namespace) -> int:
    import gzip
    import time
    from pathlib import Path

    from mhc.domain.errors import InvalidInput
    from mhc.services.token_history import ImportProgress, import_export

    owner = settings.require_owner()
    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    started = time.monotonic()

    def progress(step: ImportProgress) -> None:
        rate = step.rows / max(time.monotonic() - started, 1e-6)
        if step.phase == "reading":
            _say(f"  {step.lines:,} lines read, {step.rows:,} rows ({rate:,.0f} rows/s)")
        elif step.phase == "linking":
            _say("  linking imported tips to the ones captured live ...")

    opener = gzip.open if path.suffix == ".gz" else open
    db = _single_connection(settings)
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            report = import_export(
                db,
                handle,
                owner=owner,
                timezone=settings.mhc_token_history_timezone,
                file_name=path.name,
                accept_problems=args.accept_problems,
                progress=progress,
            )
    except InvalidInput as exc:
        print(f"mhc: {path.name}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()
    seconds = time.monotonic() - started
    for problem in report.problems[:_PROBLEMS_PRINTED]:
        _say(f"line {problem.line}: {problem.message}")
    if report.problem_count > _PROBLEMS_PRINTED:
        _say(f"... and {report.problem_count - _PROBLEMS_PRINTED:,} more bad lines")
    if not report.imported:
        _say(
            f"refused: {report.problem_count:,} bad line(s); nothing was imported. Fix them, "
            f"or import the other {report.good_rows:,} rows with --accept-problems."
        )
        return 1
    _say(
        f"imported {path.name}: {report.good_rows:,} rows in {seconds:.1f} s "
        f"({report.good_rows / max(seconds, 1e-6):,.0f} rows/s): {report.new_rows:,} new, "
        f"{report.already_stored:,} already stored, {report.linked:,} linked to tips captured "
        f"live, {report.problem_count:,} bad line(s) left out"
    )
    for kind, total in report.by_type.items():
        _say(f"  {kind:<15} {total.rows:>9,} rows {total.tokens:>12,} tokens")
    if report.times_differ:
        _say(
            f"note: {report.times_differ:,} rows were imported before with other times "
            f"(MHC_TOKEN_HISTORY_TIMEZONE changed?); their first times were kept"
        )
    return 0


def cmd_audit_capture(settings: Settings, _args: argparse.Namespace) -> int:
    from mhc.services.token_history import audit_capture

    owner = settings.require_owner()
    db = _single_connection(settings)
    try:
        audit = audit_capture(db, owner=owner)
    finally:
        db.close()
    if audit.unavailable:
        _say(f"no audit: {audit.unavailable}")
        return 1
    assert audit.period_start is not None
    assert audit.period_end is not None
    _say(
        f"live capture ran {audit.period_start.isoformat(timespec='seconds')} .. "
        f"{audit.period_end.isoformat(timespec='seconds')}"
    )
    share = audit.share_seen
    interval = share.uncertainty.interval if share is not None else None
    value = f"{share.value:.1%}" if share is not None and share.value is not None else "-"
    bounds = f" (95% {interval.low:.1%}-{interval.high:.1%})" if interval else ""
    _say(
        f"export tips in that time: {audit.exported:,}; delivered live: {audit.seen_live:,} "
        f"= {value}{bounds}"
    )
    _say(f"missed: {len(audit.missed):,} ({audit.explained:,} inside a recorded gap)")
    for missed in audit.missed:
        why = "explained: inside a recorded gap" if missed.explained else "NOT explained"
        _say(
            f"  {missed.at.isoformat(timespec='seconds')}  {missed.username:<24} "
            f"{missed.tokens:>7,} tokens  {why}"
        )
    return 0


def add_token_history_commands(commands: Any) -> None:
    imports = commands.add_parser("import", help="import the owner's exports")
    sub = imports.add_subparsers(dest="import_command", required=True, metavar="WHAT")
    history = sub.add_parser(
        "token-history",
        help="the token-history CSV Chaturbate lets you download (idempotent; .csv or .csv.gz)",
    )
    history.add_argument("file")
    history.add_argument(
        "--accept-problems",
        action="store_true",
        help="import the good rows of a file with bad lines (the lines left out are recorded)",
    )
    history.set_defaults(handler=cmd_import_token_history)
    audit = commands.add_parser("audit", help="audits of what MHC captured")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="WHAT")
    capture = audit_sub.add_parser(
        "capture", help="share of the imported export's tips that live capture delivered"
    )
    capture.set_defaults(handler=cmd_audit_capture)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mhc", description="MHC Control Panel")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate and serve the API and UI locally")
    run.add_argument("--host", help="interface to bind (default MHC_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default MHC_PORT or 8080)")
    run.add_argument(
        "--no-pollers",
        action="store_true",
        help="serve only: no events poller, no scheduled jobs (tests, read-only use)",
    )
    run.add_argument("--frontend-dir", help="built web UI to serve at / (default frontend/dist)")
    run.set_defaults(handler=cmd_run)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--status", action="store_true", help="list migrations and their state")
    migrate.set_defaults(handler=cmd_migrate)

    db_url = commands.add_parser("db-url", help="print the URL of the database in use")
    db_url.set_defaults(handler=cmd_db_url)
    db_stop = commands.add_parser(
        "db-stop", help="stop the local embedded PostgreSQL (it keeps running between commands)"
    )
    db_stop.set_defaults(handler=cmd_db_stop)

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

    add_jobs_commands(commands)
    add_persons_commands(commands)
    add_token_history_commands(commands)
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
