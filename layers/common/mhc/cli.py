"""The `mhc` command: run the local server, migrate, print the database URL.

Exit codes: 0 success, 1 operational failure, 2 configuration or usage error, 3 the Statbate
Plus session has expired (`mhc chat-import`: sign in again).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mhc.config import ConfigError, Settings, get_settings
from mhc.observability import redact

if TYPE_CHECKING:
    from datetime import datetime

    from mhc.db.connection import Database
    from mhc.domain.clock import Clock
    from mhc.services.chat_import import PageProgress as ChatProgress
    from mhc.services.collect import RunReport
    from mhc.services.data_export import Progress
    from mhc.services.events_poller import PollOutcome


def _say(message: str) -> None:
    print(message, flush=True)


def _database_url(settings: Settings) -> str:
    """The database's URL, once a connection to it opened (else one ConfigError naming the
    setting, exit 2)."""
    from mhc.db.resolve import reachable_database_url

    return reachable_database_url(settings)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


# --- first run ------------------------------------------------------------------------------
def _ask_owner(default: str | None) -> str | None:
    """Ask for the owner's username until it is valid; empty keeps `default` (None: set later)."""
    from mhc.domain.usernames import InvalidUsername, normalize_username

    hint = f" [{default}]" if default else " (empty: set MHC_OWNER_USERNAME later)"
    while True:
        try:
            answer = input(f"Your Chaturbate username (the broadcaster MHC works for){hint}: ")
        except EOFError:
            _say("")
            return default
        if not answer.strip():
            return default
        try:
            return normalize_username(answer)
        except InvalidUsername as exc:
            _say(f"  {exc}; try again")


def cmd_init(args: argparse.Namespace) -> int:
    """Write `.env` with the owner and a new API token (interactive on a terminal)."""
    from mhc import envfile
    from mhc.domain.usernames import InvalidUsername, normalize_username

    path = Path(args.env_file).absolute()
    previous = path.read_text("utf-8") if path.is_file() else None
    if previous is not None and not args.force:
        raise ConfigError(
            f"{path} already exists; `mhc init --force` replaces its owner and API token "
            "(its other settings are kept)"
        )
    owner = envfile.previous_owner(previous) if previous else None
    if args.owner is not None:
        try:
            owner = normalize_username(args.owner)
        except InvalidUsername as exc:
            raise ConfigError(f"--owner: {exc}") from None
    elif sys.stdin.isatty():
        owner = _ask_owner(owner)
    token = envfile.new_api_token()
    try:
        envfile.write(path, envfile.render(owner, token, previous), force=args.force)
    except envfile.EnvFileExists:
        raise ConfigError(f"{path} already exists (use --force)") from None
    _say(f"Wrote {path} (mode 0600).")
    if owner is None:
        _warn("no owner set: add MHC_OWNER_USERNAME=<your username> to .env")
    else:
        _say(f"Owner: {owner}")
    _say(
        "Your API token (sign in to the web UI with it). It is shown only now and kept only "
        f"in {path.name}:\n\n    {token}\n"
    )
    _say("`make run` serves the UI at http://127.0.0.1:8080 (MHC_PORT): sign in there with it.")
    _say('Collector credentials: README.md, "Where each token comes from".')
    return 0


def setup_warnings(settings: Settings) -> list[str]:
    """What a first run is missing, said before the server starts (it runs without them)."""
    problems = []
    if settings.mhc_owner_username is None:
        problems.append(
            "MHC_OWNER_USERNAME is not set: the events poller stays off and the dashboard has "
            "no owner (run `mhc init`, or set it in .env)"
        )
    if settings.secret("MHC_API_TOKEN") is None:
        problems.append(
            "MHC_API_TOKEN is not set: the API and the web UI refuse every request until it is "
            "(run `mhc init`, or set it in .env)"
        )
    return problems


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
    from mhc.db.resolve import database_url

    _say(database_url(settings))
    return 0


def cmd_db_stop(settings: Settings, _args: argparse.Namespace) -> int:
    """Stop every embedded server the project started: the app's and the test suite's."""
    from mhc.db.embedded import project_data_dirs, stop_embedded
    from mhc.db.resolve import embedded_data_dir, uses_embedded

    if not uses_embedded(settings):
        _say("a database is configured (DATABASE_URL): MHC's own data is not in an embedded server")
    for data_dir in project_data_dirs(embedded_data_dir(settings)):
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
    from mhc.runtime.cookie_store import cookie_store
    from mhc.runtime.heap import freeze_startup
    from mhc.services.jobs import at_next_tick

    for problem in setup_warnings(settings):
        _warn(problem)
    url = _database_url(settings)
    with connect(url) as conn:
        migrate(conn, settings.mhc_migrations_dir, progress=_say)
    db = PooledDatabase(url)
    pollers = None
    if not args.no_pollers:
        from mhc.runtime.local import LocalPollers

        pollers = LocalPollers(settings, url)
    # "Run now" on a job wakes the local collector (without pollers: the job waits for one).
    api = create_app(
        lambda: db,
        start_job=pollers.wake if pollers else at_next_tick,
        plus_session=lambda: cookie_store(settings),
    )
    # The built UI is served next to the API only here (in AWS, CloudFront serves it from S3).
    frontend = Path(args.frontend_dir) if args.frontend_dir else default_frontend_dir()
    app = with_frontend(api, frontend)
    if not (frontend / "index.html").is_file():
        _say(f"warning: no built UI in {frontend} (run `make frontend`); serving the API only")
    freeze_startup()  # after the app is built: full collections never walk it again
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


def poll_events(settings: Settings, max_seconds: int, *, clock: Clock | None = None) -> PollOutcome:
    """Long-poll for `max_seconds`, through the Lambda's code path.

    The budget starts with the first long-poll: connecting, taking the lock and recording the
    run do not eat into it. Counted from the command's start, 9 s (the documented minimum)
    left less than one long-poll needs by the time the loop began, and nothing was polled."""
    from datetime import timedelta

    from mhc.domain.clock import utc_now
    from mhc.domain.polling import Trigger, TriggerKind
    from mhc.runtime.poller import build_events_poller

    now = clock or utc_now
    budget = timedelta(seconds=max_seconds)
    started: datetime | None = None

    def remaining() -> timedelta:
        nonlocal started
        moment = now()
        if started is None:
            started = moment
        return budget - (moment - started)

    db = _single_connection(settings)
    try:
        poller = build_events_poller(settings, db, clock=now)
        return poller.run(Trigger(TriggerKind.MANUAL), remaining)
    finally:
        db.close()


def cmd_poll_events(settings: Settings, args: argparse.Namespace) -> int:
    import math

    from mhc.runtime.poller import poller_config

    shortest = math.ceil(poller_config(settings).shortest_budget.total_seconds())
    if args.max_seconds < shortest:
        raise ConfigError(f"--max-seconds must be at least {shortest} (one long-poll must fit)")
    _say(f"polling the Events API for up to {args.max_seconds} s ...")
    outcome = poll_events(settings, args.max_seconds)
    summary = outcome.summary()
    for problem in outcome.counts.problem_events:
        _say(f"event {_printable(problem.event_id)}: {_printable(problem.reason)}")
    _say(", ".join(f"{k}={v}" for k, v in summary.items() if k != "problem_events"))
    return 0 if outcome.status.value in ("succeeded", "skipped") else 1


def _printable(text: str) -> str:
    """Text from a capture, safe to print on one line (control characters escaped)."""
    return text if text.isprintable() else repr(text)[1:-1]


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from mhc.domain.clock import utc_now
    from mhc.services.ingest import CaptureFileError, read_capture, replay

    owner = settings.require_owner()
    try:
        captured = read_capture(Path(args.file))
    except CaptureFileError as exc:
        print(f"mhc: replay error: {_printable(str(exc))}", file=sys.stderr)
        return 2
    db = _single_connection(settings)
    try:
        counts = replay(db, captured, owner=owner, received_at=utc_now(), progress=_say)
    finally:
        db.close()
    for problem in counts.problem_events:
        _say(
            f"{args.file}:{problem.line}: event {_printable(problem.event_id)}: "
            f"{_printable(problem.reason)}"
        )
    _say(", ".join(f"{key}={value}" for key, value in counts.totals().items()))
    return 0


def cmd_rebuild_sessions(settings: Settings, _args: argparse.Namespace) -> int:
    from datetime import timedelta

    from mhc.services.ingest import rebuild_sessions

    owner = settings.require_owner()
    db = _single_connection(settings)
    report = rebuild_sessions(
        db, owner=owner, merge_gap=timedelta(minutes=settings.mhc_session_merge_gap_minutes)
    )
    db.close()
    _say(report.summary())
    return 0


# --- Lambda handlers, locally -----------------------------------------------------------------
def _event_path(name: str, given: str | None) -> Path:
    from mhc.runtime.local_invoke import EVENTS_DIR, sample_events

    if given is None:
        samples = sample_events(name)
        if not samples:
            raise ConfigError(f"no sample event for {name} in {EVENTS_DIR}: give EVENT.json")
        return samples[0]
    path = Path(given)
    for candidate in (path, EVENTS_DIR / given, EVENTS_DIR / f"{given}.json"):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"event file {given} not found (nor in {EVENTS_DIR})")


def cmd_invoke(settings: Settings, args: argparse.Namespace) -> int:
    """Run functions/<name>/app.py's handler once, as Lambda would; its result on stdout."""
    import json
    import os

    from mhc.db.resolve import uses_embedded
    from mhc.runtime.local_invoke import UnknownFunction, function_spec, invoke, with_api_token

    try:
        name = function_spec(args.function).name
        event_path = _event_path(name, args.event)
    except UnknownFunction as exc:
        raise ConfigError(str(exc)) from None
    try:
        event = json.loads(event_path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{event_path}: not JSON ({exc.msg})") from None
    if uses_embedded(settings):
        # Handlers never start a database (Lambda has none to start): hand them the local one,
        # as env.json hands `sam local invoke` its settings.
        os.environ["DATABASE_URL"] = _database_url(settings)
        get_settings.cache_clear()
    event = with_api_token(event, settings.secret("MHC_API_TOKEN"))
    outcome = invoke(name, event, timeout_seconds=args.timeout)
    spec = outcome.spec
    print(
        f"{spec.function_name} ({spec.memory_mb} MB, timeout {spec.timeout_seconds:g} s) "
        f"with {event_path.name}: request {outcome.request_id}, {outcome.seconds:.2f} s",
        file=sys.stderr,
    )
    for call in outcome.invokes:
        print(
            f"not sent (local): {call['InvocationType']} invoke of {call['FunctionName']} "
            f"with {json.dumps(call['Payload'])}",
            file=sys.stderr,
        )
    if outcome.error is not None:
        error = {"errorType": type(outcome.error).__name__, "errorMessage": redact(outcome.error)}
        _say(json.dumps(error, indent=2))
        return 1
    _say(json.dumps(outcome.result, indent=2, default=str))
    if outcome.timed_out:
        _warn(
            f"the handler ran {outcome.seconds:.1f} s, past its {spec.timeout_seconds:g} s "
            "timeout: Lambda would have stopped it"
        )
        return 1
    return 0


# --- owning the data ------------------------------------------------------------------------
def _print_progress(progress: Progress) -> None:
    """One line per 50k rows and per finished table (stdout may be a log, so no \\r)."""
    _say(f"{progress.step:<8} {progress.table:<28} {progress.rows:>12,} / {progress.total:,} rows")


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from mhc.db.connection import connect
    from mhc.services.data_export import ExportError, export

    directory = Path(args.directory)
    try:
        with connect(_database_url(settings)) as conn:
            manifest = export(conn, directory, progress=_print_progress)
    except ExportError as exc:
        print(f"mhc: {exc}", file=sys.stderr)
        return 2
    rows = sum(table.rows for table in manifest.tables)
    _say(
        f"exported {len(manifest.tables)} tables, {rows:,} rows, schema version "
        f"{manifest.schema_version}, into {directory} (manifest.json has the checksums)"
    )
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from mhc.db.connection import connect
    from mhc.services.data_export import RestoreError, RestoreRefused, restore

    try:
        with connect(_database_url(settings)) as conn:
            report = restore(conn, Path(args.directory), progress=_print_progress)
    except RestoreRefused as exc:
        print(f"mhc: restore refused, nothing was written: {exc}", file=sys.stderr)
        return 2
    except RestoreError as exc:
        print(f"mhc: restore failed: {exc}", file=sys.stderr)
        return 1
    for table in report:
        _say(f"{table.name:<28} {table.rows:>12,} rows  {table.action}")
    _say(f"restored {sum(t.rows for t in report):,} rows; every table matches the export")
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

    from mhc.runtime.collector import build_collector, local_jobs

    seconds = args.max_seconds or settings.mhc_jobs_local_budget_seconds
    db = _single_connection(settings)
    try:
        collector = build_collector(settings, db, jobs=local_jobs())
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


# --- Statbate Plus chat import ---------------------------------------------------------------
#: `mhc chat-import` exits with this when the Plus session has expired (sign in again).
EXIT_SESSION_EXPIRED = 3


def _chat_progress(progress: ChatProgress) -> None:
    page, total = progress.page, progress.total
    of = f"/{progress.last_page}" if progress.last_page else ""
    _say(
        f"{progress.what}: page {progress.pages}{of}: {page.messages} messages "
        f"({page.new} new, {page.already_stored} already stored, {page.unmapped} unmapped, "
        f"{page.twins} live twins); {total.new:,} new so far"
    )


def _chat_walk(settings: Settings, args: argparse.Namespace, kind: str) -> int:
    from zoneinfo import ZoneInfo

    from mhc.clients.errors import SessionExpired
    from mhc.clients.http import Timeouts, new_http_client
    from mhc.domain.chat_import_runs import TargetKind, parse_window, summary
    from mhc.domain.errors import InvalidInput
    from mhc.runtime.chat_import import plus_client
    from mhc.services import chat_import

    try:
        window = parse_window(
            getattr(args, "since", None),
            getattr(args, "until", None),
            ZoneInfo(settings.mhc_owner_timezone),
        )
    except InvalidInput as exc:
        print(f"mhc: invalid value: {exc}", file=sys.stderr)
        return 2
    db = _single_connection(settings)
    http = new_http_client(timeouts=Timeouts.from_settings(settings))
    try:
        client = plus_client(settings, http)
        outcome = chat_import.import_chat(
            db,
            client,
            TargetKind(kind),
            args.name,
            owner=settings.mhc_owner_username,
            field_map=settings.statbate_plus_field_map(),
            window=window,
            progress=_chat_progress,
        )
    except SessionExpired as exc:
        print(f"mhc: {exc}", file=sys.stderr)
        print(f"mhc: {chat_import.SIGN_IN_AGAIN}", file=sys.stderr)
        return EXIT_SESSION_EXPIRED
    finally:
        http.close()
        db.close()
    if outcome is None:
        print(
            f"mhc: {kind} {args.name} is being imported by another run; try later", file=sys.stderr
        )
        return 1
    _say(f"{kind} {outcome.target.name}: {outcome.status}; {summary(outcome.counts.as_dict())}")
    if outcome.error:
        print(f"mhc: {outcome.error}", file=sys.stderr)
    if not outcome.ended:
        _say("the walk stopped before the end: run the same command again to resume")
    return 0 if outcome.status == "succeeded" else 1


def cmd_chat_room(settings: Settings, args: argparse.Namespace) -> int:
    return _chat_walk(settings, args, "live" if args.live else "room")


def cmd_chat_member(settings: Settings, args: argparse.Namespace) -> int:
    return _chat_walk(settings, args, "member")


def cmd_chat_file(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from mhc.domain.chat_capture import CaptureError
    from mhc.domain.chat_import_runs import summary
    from mhc.services import chat_import

    try:
        data = Path(args.path).read_bytes()
    except OSError as exc:
        print(f"mhc: cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 2
    db = _single_connection(settings)
    try:
        result = chat_import.import_capture(
            db,
            data,
            owner=settings.mhc_owner_username,
            field_map=settings.statbate_plus_field_map(),
            progress=_chat_progress,
        )
    except CaptureError as exc:
        print(f"mhc: {args.path}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    for problem in result.problems:
        _say(f"warning: {problem}")
    _say(
        f"{args.path} ({result.format}): {result.responses} chat responses, "
        f"{result.skipped} other entries skipped; {summary(result.counts)}"
    )
    if result.counts.get("unmapped") or result.counts.get("unreadable_pages"):
        _say(
            "some items could not be read: they are stored raw and shown on the Chat import "
            "page; map them with MHC_STATBATE_PLUS_FIELD_MAP and import the file again"
        )
    return 0


def cmd_chat_login(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from mhc.clients.http import Timeouts, new_http_client
    from mhc.runtime.chat_import import accepted_by_plus
    from mhc.runtime.cookie_store import FileCookieStore, cookie_store
    from mhc.runtime.plus_login import SignInFailed, sign_in

    store = cookie_store(settings)
    _say(
        "a Chromium window opens on the Statbate Plus sign-in page: sign in there "
        f"(waiting up to {args.timeout_minutes} minutes)"
    )
    http = new_http_client(timeouts=Timeouts.from_settings(settings))
    try:
        cookies = sign_in(
            settings.mhc_statbate_plus_url,
            accepted=accepted_by_plus(settings, http),
            timeout=timedelta(minutes=args.timeout_minutes),
            executable=args.browser,
        )
    except SignInFailed as exc:
        print(f"mhc: {redact(exc)}", file=sys.stderr)
        return 1
    finally:
        http.close()
    store.replace(cookies)
    where = store.path if isinstance(store, FileCookieStore) else "the two SSM parameters"
    _say(
        f"signed in: the Statbate Plus session is saved ({where}); now `mhc chat-import room NAME`"
    )
    return 0


def add_chat_import_commands(commands: Any) -> None:
    chat = commands.add_parser(
        "chat-import", help="Statbate Plus chat history: walk a room or member, a file, sign in"
    )
    sub = chat.add_subparsers(dest="chat_command", required=True, metavar="ACTION")
    room = sub.add_parser(
        "room", help="import a room's chat (resumes a walk the same command left unfinished)"
    )
    room.add_argument("name")
    room.add_argument("--since", help="from this date (2026-01-31) or time, owner's timezone")
    room.add_argument("--until", help="up to the end of this date, or this time")
    room.add_argument("--live", action="store_true", help="the live session's chat instead")
    room.set_defaults(handler=cmd_chat_room)
    member = sub.add_parser("member", help="import what a member said across rooms")
    member.add_argument("name")
    member.set_defaults(handler=cmd_chat_member)
    capture = sub.add_parser(
        "file", help="import a HAR export (DevTools: Save all as HAR) or saved JSON responses"
    )
    capture.add_argument("path")
    capture.set_defaults(handler=cmd_chat_file)
    login = sub.add_parser(
        "login", help="sign in to Statbate Plus in a Chromium window and keep the session"
    )
    login.add_argument("--timeout-minutes", type=int, default=10, help="how long to wait (10)")
    login.add_argument("--browser", default="/usr/bin/chromium", help="Chromium to open")
    login.set_defaults(handler=cmd_chat_login)


# --- the owner's token history and the capture audit ----------------------------------------
_PROBLEMS_PRINTED = 50


def cmd_import_token_history(settings: Settings, args: argparse.Namespace) -> int:
    import gzip
    import time
    from pathlib import Path

    from mhc.domain.errors import InvalidInput
    from mhc.services.second_process import ChildGone
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
    except ChildGone as exc:
        print(
            f"mhc: {path.name}: the process reading the file stopped ({exc}); nothing was "
            "imported, run the import again",
            file=sys.stderr,
        )
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

    init = commands.add_parser(
        "init", help="first run: write .env with the owner and a new API token (mode 0600)"
    )
    init.add_argument("--owner", help="the owner's Chaturbate username (asked on a terminal)")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace the owner and token of an existing .env (its other lines are kept)",
    )
    init.add_argument("--env-file", default=".env", help="where to write (default ./.env)")
    init.set_defaults(standalone=cmd_init)

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
        "db-stop",
        help="stop the local embedded PostgreSQL servers (the app's and the tests'); they keep "
        "running between commands",
    )
    db_stop.set_defaults(handler=cmd_db_stop)

    poll = commands.add_parser(
        "poll-events", help="long-poll the Events API now (same code path as the Lambda)"
    )
    poll.add_argument(
        "--max-seconds",
        type=int,
        default=60,
        help="poll for this long (60; at least 9: one long-poll must fit)",
    )
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

    invoke = commands.add_parser(
        "invoke",
        help="run a Lambda handler locally with a sample event (sam local invoke, no Docker)",
    )
    invoke.add_argument("function", help="functions/<FUNCTION>/app.py: lookup, events_poller, ...")
    invoke.add_argument(
        "event",
        nargs="?",
        metavar="EVENT.json",
        help="the event (a path, or a name in events/; default: the function's first sample)",
    )
    invoke.add_argument(
        "--timeout", type=float, help="seconds until the deadline (default: template.yaml)"
    )
    invoke.set_defaults(handler=cmd_invoke)

    export = commands.add_parser(
        "export", help="write every table (JSON lines) and a manifest with checksums to DIR"
    )
    export.add_argument("directory", metavar="DIR", help="a new or empty directory")
    export.set_defaults(handler=cmd_export)
    restore = commands.add_parser(
        "restore", help="load an export into an empty, migrated database (checksums first)"
    )
    restore.add_argument("directory", metavar="DIR", help="a directory written by `mhc export`")
    restore.set_defaults(handler=cmd_restore)

    add_jobs_commands(commands)
    add_persons_commands(commands)
    add_chat_import_commands(commands)
    add_token_history_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # `mhc init` reads no settings: it is how a missing or broken .env gets written.
        standalone: Callable[[argparse.Namespace], int] | None = getattr(args, "standalone", None)
        code: int = standalone(args) if standalone else args.handler(get_settings(), args)
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
