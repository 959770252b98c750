"""Statbate Plus chat import: the history the live feed never saw, as interactions.

A chat response (a Plus page, or one in a file the owner captured) is stored in ONE
transaction: the raw response (`chat_import_responses`, append-only), the persons it names
(`persons.resolve_sightings`: exclusion, renames and merges as everywhere), its messages as
`interactions` (type CHAT_IMPORT, source statbate_plus; idempotent by external id, decision 52;
through the COPY path), the links of copies of live-captured lines (`interaction_twins`), and
for a walk the checkpoint (the next page's URL). A run killed anywhere re-fetches at most one
page, and storing it again adds nothing.

Runs: the `chat_import` job (functions/chat_import: hourly, and at once when the owner asks
through the API), `mhc chat-import room|member` (a walk of one chat) and `mhc chat-import file`.
An expired session stops a run with `auth_expired` and keeps every page stored; the next run
with fresh cookies resumes at the checkpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from mhc.clients.errors import NotFound, SessionExpired
from mhc.config import ConfigError
from mhc.db.connection import Conn, TransactionSource
from mhc.domain.chat_import_runs import (
    ImportCounts,
    ImportTarget,
    StopReason,
    TargetKind,
    WalkPlan,
    Window,
    imported_line,
    kept_messages,
    plan_walk,
    problem_counts,
    response_digest,
    response_text,
    stop_after,
    storable_body,
)
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput
from mhc.domain.jobs import ChatImportConfig, JobKind
from mhc.domain.models import InteractionSource, InteractionType, JobStatus, NewInteraction
from mhc.domain.plus_cookies import InvalidCookie, PlusCookies, SessionWriter
from mhc.domain.roles import Role, merge_role
from mhc.domain.twins import ImportedCopy
from mhc.observability import logger, redact, register_secret, without_known_secrets
from mhc.services import interactions, job_runs, jobs, persons
from mhc.store import chat_import as store

if TYPE_CHECKING:
    # The client and the page reader load with the import paths only: the API's reads and
    # requests (its cold start) need neither.
    from mhc.clients.statbate_plus import StatbatePlusClient
    from mhc.domain.chat_import import ChatPage, FieldMap
    from mhc.services.job_context import JobContext, JobResult

    #: Builds the Plus client for a job run (composition lives in `mhc.runtime.chat_import`).
    PlusConnector = Callable[[JobContext, ChatImportConfig], StatbatePlusClient]

#: The scheduled job (functions/chat_import) and the names runs started elsewhere record under.
JOB = JobKind.CHAT_IMPORT.value
CLI_JOB = "chat_import_cli"
FILE_JOB = "chat_import_file"
#: Runs that talk to Plus: their newest status says whether the session works.
SESSION_JOBS = (JOB, CLI_JOB)
#: A claim not refreshed by a page for this long belonged to a run that died.
CLAIM_STALE = timedelta(minutes=10)
#: A scheduled run starts no new chat with less time than this left.
MIN_TARGET_TIME = timedelta(seconds=30)
SIGN_IN_AGAIN = (
    "sign in to Statbate Plus again (`mhc chat-import login`, or paste the two cookies on the "
    "Chat import page); the import resumes where it stopped"
)


@dataclass(frozen=True)
class PageProgress:
    """Told after each page is stored: what, how far, and the totals so far."""

    what: str
    pages: int
    last_page: int | None
    page: ImportCounts
    total: ImportCounts


Progress = Callable[[PageProgress], None]


def _quiet(_progress: PageProgress) -> None:
    return None


class ClaimLost(Exception):
    """Another run took the target over (this run's claim went stale): stop walking it."""


# -- one response --------------------------------------------------------------------------------
def store_page(
    conn: Conn,
    page: ChatPage,
    *,
    owner: str | None,
    origin: str,
    fetched_at: datetime,
    window: Window | None = None,
) -> ImportCounts:
    """Store one chat response and its messages inside the caller's transaction."""
    window = window or Window()
    counts = ImportCounts(
        pages=1,
        messages=len(page.messages),
        unmapped=len(page.unmapped),
        unreadable_pages=int(not page.items_found),
    )
    # A session cookie Plus might echo in a page is never stored (nor shown back later).
    read = response_text(storable_body(page.raw))
    text = without_known_secrets(read)
    echoed = text != read
    response_id, is_new = store.insert_response(
        conn,
        digest=response_digest(page.url, text),
        origin=origin,
        url=redact(page.url) if page.url else None,
        fetched_at=fetched_at,
        text=text,
        messages=len(page.messages),
        unmapped=len(page.unmapped),
        problems=problem_counts(page),
    )
    counts.responses = int(is_new)
    kept = kept_messages(page, window)
    counts.outside_window = len(page.messages) - len(kept)
    unique, seen = [], set()
    for message in kept:  # an item listed twice in one response is stored once
        if message.external_id not in seen:
            seen.add(message.external_id)
            unique.append(message)
    lines = [imported_line(m, owner=owner) for m in unique]
    roles: dict[str, Role] = {}
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for message, line in zip(unique, lines, strict=True):
        for name, role in line.sightings:
            roles[name] = merge_role(roles.get(name, Role.UNKNOWN), role)
            first[name] = min(first.get(name, message.occurred_at), message.occurred_at)
            last[name] = max(last.get(name, message.occurred_at), message.occurred_at)
    ids = persons.resolve_sightings(conn, roles, first, last)
    rows = [
        # Built from the map's own typed reading: no validation on the bulk path.
        NewInteraction.model_construct(
            person_id=ids[line.person],
            type=InteractionType.CHAT_IMPORT,
            source=InteractionSource.STATBATE_PLUS,
            external_id=message.external_id,
            occurred_at=message.occurred_at,
            broadcaster=line.broadcaster,
            content=without_known_secrets(line.content)
            if echoed and line.content
            else line.content,
            metadata={**line.metadata, "response_id": response_id, "item": message.index},
        )
        for message, line in zip(unique, lines, strict=True)
    ]
    counts.new = interactions.append_fresh(conn, rows)
    counts.already_stored = len(kept) - counts.new
    copies = [
        ImportedCopy(m.external_id, line.broadcaster, line.content, m.tokens, m.occurred_at)
        for m, line in zip(unique, lines, strict=True)
        if line.broadcaster is not None
    ]
    counts.twins = interactions.link_twins(conn, InteractionSource.STATBATE_PLUS, copies)
    return counts


# -- captured files ------------------------------------------------------------------------------
class FileImport(BaseModel):
    """What importing a captured file did."""

    model_config = ConfigDict(frozen=True)

    format: str
    responses: int
    #: Entries of the file that are not chat responses, and chat entries without a body.
    skipped: int
    without_body: int
    problems: list[str]
    counts: dict[str, Any]


def import_capture(
    db: TransactionSource,
    data: bytes,
    *,
    owner: str | None,
    field_map: FieldMap,
    clock: Clock = utc_now,
    progress: Progress = _quiet,
) -> FileImport:
    """Import a HAR export or saved JSON through the same path as a walk: each response in
    one transaction, so importing a file again (or after a crash) adds nothing twice.
    A file with nothing to import raises `CaptureError` before anything is written."""
    from mhc.domain.chat_capture import read_capture
    from mhc.domain.chat_import import read_chat_page

    capture = read_capture(data, field_map)
    started = clock()
    with db.transaction() as conn:
        run = job_runs.start(conn, FILE_JOB, started)
    total = ImportCounts()
    try:
        for number, response in enumerate(capture.responses, 1):
            page = read_chat_page(response.body, url=response.url, field_map=field_map)
            with db.transaction() as conn:
                counts = store_page(conn, page, owner=owner, origin="file", fetched_at=started)
            total.add(counts)
            progress(PageProgress("file", number, len(capture.responses), counts, total))
    except Exception as exc:
        with db.transaction() as conn:
            job_runs.finish(
                conn,
                run.id,
                status=JobStatus.FAILED,
                at=clock(),
                counts=total.as_dict(),
                error=f"{type(exc).__name__}: {redact(exc)}",
            )
        raise
    result = FileImport(
        format=capture.format,
        responses=len(capture.responses),
        skipped=capture.skipped,
        without_body=capture.without_body,
        problems=list(capture.problems),
        counts=total.as_dict(),
    )
    with db.transaction() as conn:
        job_runs.finish(
            conn,
            run.id,
            status=JobStatus.SUCCEEDED,
            at=clock(),
            counts={**total.as_dict(), "file_problems": len(capture.problems)},
        )
    return result


# -- walking one chat ----------------------------------------------------------------------------
def _first_url(client: StatbatePlusClient, target: ImportTarget) -> str:
    if target.kind is TargetKind.MEMBER:
        return client.member_chat_url(target.name)
    if target.kind is TargetKind.LIVE:
        return client.live_session_chat_url(target.name)
    return client.room_chat_url(target.name)


def _walk(
    db: TransactionSource,
    client: StatbatePlusClient,
    target: ImportTarget,
    plan: WalkPlan,
    *,
    by: str,
    owner: str | None,
    field_map: FieldMap,
    clock: Clock,
    deadline: datetime | None,
    progress: Progress,
) -> tuple[ImportCounts, bool]:
    """Walk from the checkpoint (or page 1) while pages come and time is left; each page is
    stored with the checkpoint after it. (counts, whether the walk ended)."""
    from mhc.domain.chat_import import read_chat_page

    start = target.checkpoint if plan.resume and target.checkpoint else _first_url(client, target)
    walked = target.pages_walked if plan.resume else 0
    total = ImportCounts()
    what = f"{target.kind.value} {target.name}"
    walk = client.walk(start, deadline=deadline)
    for fetched in walk:
        page = read_chat_page(fetched.body, url=fetched.url, field_map=field_map)
        empty = page.items_found and not page.messages and not page.unmapped
        with db.transaction() as conn:
            counts = store_page(
                conn, page, owner=owner, origin="plus", fetched_at=clock(), window=plan.window
            )
            kept = counts.messages - counts.outside_window
            stop = stop_after(page, mode=plan.mode, window=plan.window, kept=kept, new=counts.new)
            following = None if stop is not None or empty else fetched.next_url
            walked += 1
            complete = (
                following is None
                and plan.window.is_open
                and (stop is StopReason.CAUGHT_UP or stop is None)
            )
            if not store.save_progress(
                conn,
                target.id,
                by=by,
                now=clock(),
                checkpoint=following,
                walk=plan.mode if following else None,
                window=plan.window if following else Window(),
                pages_walked=walked if following else 0,
                completed=complete,
                answered=following is None,
            ):
                raise ClaimLost(f"another run took over the import of {what}")
        total.add(counts)
        progress(PageProgress(what, walked, page.last_page, counts, total))
        if following is None:
            return total, True
    return total, walk.ended


@dataclass(frozen=True)
class TargetOutcome:
    target: ImportTarget
    status: str
    counts: ImportCounts
    #: The walk reached its end (False: stopped early, a checkpoint is stored).
    ended: bool
    error: str | None = None
    #: Set when the session expired (`status` is auth_expired): the pages before are stored.
    expired: SessionExpired | None = None


def _claim(
    db: TransactionSource, kind: TargetKind, name: str, by: str, clock: Clock
) -> ImportTarget | None:
    with db.transaction() as conn:
        target = store.ensure_target(conn, kind, name)
        now = clock()
        return store.claim(conn, target.id, by=by, now=now, stale_before=now - CLAIM_STALE)


def _release(
    db: TransactionSource,
    target: ImportTarget,
    by: str,
    status: str,
    counts: ImportCounts,
    error: str | None,
) -> None:
    with db.transaction() as conn:
        store.release(
            conn,
            target.id,
            by=by,
            status=status,
            counts=counts.as_dict(),
            error=redact(error)[: job_runs.MAX_ERROR_LENGTH] if error else None,
        )


def import_target(
    db: TransactionSource,
    client: StatbatePlusClient,
    kind: TargetKind,
    name: str,
    *,
    owner: str | None,
    field_map: FieldMap,
    window: Window | None = None,
    clock: Clock = utc_now,
    deadline: datetime | None = None,
    label: str = JOB,
    progress: Progress = _quiet,
) -> TargetOutcome | None:
    """Import one chat: claim it, walk it (resuming a stored walk, see `plan_walk`), release
    it with how it went. None when another run is walking it. An expired session is an
    outcome (`auth_expired`, with what was stored); any failure but a missing chat is
    recorded on the target and raised."""
    name = persons.valid_username(name, "name")
    by = f"{label}:{uuid.uuid4().hex[:12]}"
    target = _claim(db, kind, name, by, clock)
    if target is None:
        return None
    plan = plan_walk(target.state, window)
    counts = ImportCounts()

    def told(page: PageProgress) -> None:
        counts.add(page.page)
        progress(page)

    try:
        _, ended = _walk(
            db,
            client,
            target,
            plan,
            by=by,
            owner=owner,
            field_map=field_map,
            clock=clock,
            deadline=deadline,
            progress=told,
        )
    except SessionExpired as exc:
        status = JobStatus.AUTH_EXPIRED.value
        _release(db, target, by, status, counts, str(exc))
        return TargetOutcome(target, status, counts, False, redact(exc), expired=exc)
    except NotFound as exc:
        # No such room or member on Plus (or no live session now): this chat only.
        status = "skipped" if kind is TargetKind.LIVE else JobStatus.FAILED.value
        _release(db, target, by, status, counts, str(exc))
        return TargetOutcome(target, status, counts, True, redact(exc))
    except ClaimLost as exc:
        return TargetOutcome(target, JobStatus.FAILED.value, counts, False, str(exc))
    except BaseException as exc:
        _release(db, target, by, JobStatus.FAILED.value, counts, f"{type(exc).__name__}: {exc}")
        raise
    _release(db, target, by, JobStatus.SUCCEEDED.value, counts, None)
    return TargetOutcome(target, JobStatus.SUCCEEDED.value, counts, ended)


def import_chat(
    db: TransactionSource,
    client: StatbatePlusClient,
    kind: TargetKind,
    name: str,
    *,
    owner: str | None,
    field_map: FieldMap,
    window: Window | None = None,
    clock: Clock = utc_now,
    progress: Progress = _quiet,
) -> TargetOutcome | None:
    """`mhc chat-import room|member NAME`: one chat walked to its end (no time limit), recorded
    as a `chat_import_cli` run. Raises SessionExpired after recording `auth_expired`."""
    with db.transaction() as conn:
        run = job_runs.start(conn, CLI_JOB, clock())
    status, error, outcome = JobStatus.FAILED, None, None
    try:
        outcome = import_target(
            db,
            client,
            kind,
            name,
            owner=owner,
            field_map=field_map,
            window=window,
            clock=clock,
            label=CLI_JOB,
            progress=progress,
        )
        if outcome is None:
            status, error = (
                JobStatus.SKIPPED,
                f"{kind.value} {name} is being imported by another run",
            )
        elif outcome.expired is not None:
            status, error = JobStatus.AUTH_EXPIRED, f"{outcome.error}: {SIGN_IN_AGAIN}"
        else:
            status, error = JobStatus(outcome.status), outcome.error
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        counts = outcome.counts.as_dict() if outcome is not None else {}
        with db.transaction() as conn:
            job_runs.finish(
                conn,
                run.id,
                status=status,
                at=clock(),
                counts={**counts, "target": f"{kind.value} {name}"},
                error=error,
            )
        _save_cookies(client)
    if outcome is not None and outcome.expired is not None:
        raise outcome.expired
    return outcome


# -- the scheduled job ---------------------------------------------------------------------------
def _job_targets(ctx: JobContext, config: ChatImportConfig) -> list[tuple[TargetKind, str]]:
    """The owner's room first (and its live session), then what was asked for, then walks a
    run left unfinished."""
    owner = ctx.deps.settings.mhc_owner_username
    wanted: list[tuple[TargetKind, str]] = []
    if config.owner_room or config.live_session:
        if owner is None:
            raise ConfigError("MHC_OWNER_USERNAME is not set (the owner's room is imported)")
        if config.owner_room:
            wanted.append((TargetKind.ROOM, owner))
        if config.live_session:
            wanted.append((TargetKind.LIVE, owner))
    with ctx.db.transaction() as conn:
        wanted += [(t.kind, t.name) for t in store.pending(conn)]
    return list(dict.fromkeys(wanted))


def import_job(ctx: JobContext, *, connect: PlusConnector) -> JobResult:
    """The `chat_import` job: every target in order while time is left; an expired session
    ends the run as `auth_expired` (what is stored stays, the checkpoint waits)."""
    from mhc.services.job_context import JobResult

    config: ChatImportConfig = ctx.config
    settings = ctx.deps.settings
    clock = ctx.deps.clock
    targets = _job_targets(ctx, config)
    client = connect(ctx, config)
    total = ImportCounts()
    done = unfinished = failed = 0
    errors: list[str] = []

    def result(status: JobStatus, error: str | None = None) -> JobResult:
        counts = {
            **total.as_dict(),
            "targets": done,
            "unfinished": unfinished + (len(targets) - done),
            "failed_targets": failed,
        }
        return JobResult(status=status, counts=counts, error=error)

    try:
        for kind, name in targets:
            if ctx.deadline - clock() < MIN_TARGET_TIME:
                break
            outcome = import_target(
                ctx.db,
                client,
                kind,
                name,
                owner=settings.mhc_owner_username,
                field_map=settings.statbate_plus_field_map(),
                clock=clock,
                deadline=ctx.deadline,
                label=JOB,
            )
            done += 1
            if outcome is None:
                unfinished += 1
                continue
            total.add(outcome.counts)
            if outcome.expired is not None:
                unfinished += 1
                if outcome.expired.reason == "missing":
                    return result(JobStatus.NOT_CONFIGURED, str(outcome.expired))
                return result(JobStatus.AUTH_EXPIRED, f"{outcome.expired}: {SIGN_IN_AGAIN}")
            unfinished += not outcome.ended
            if outcome.status == JobStatus.FAILED.value:
                failed += 1
                errors.append(f"{kind.value} {name}: {outcome.error}")
    finally:
        _save_cookies(client)
    if failed:
        return result(JobStatus.FAILED, "; ".join(errors))
    return result(JobStatus.SUCCEEDED)


def _save_cookies(client: StatbatePlusClient) -> None:
    try:
        client.save_cookies()
    except Exception as exc:  # the import is stored; the rotation is saved next time
        logger.warning("could not save the rotated Plus cookies", extra={"error": redact(exc)})


# -- asking for an import (API) ------------------------------------------------------------------
def request_import(
    db: TransactionSource,
    kind: TargetKind,
    name: str,
    *,
    start: jobs.JobStarter = jobs.at_next_tick,
    clock: Clock = utc_now,
) -> ImportTarget:
    """Queue an import of one chat and start the `chat_import` job now (as "run now" does)."""
    name = persons.valid_username(name, "name")
    with db.transaction() as conn:
        target = store.request(conn, kind, name, clock())
    jobs.request_run(db, JOB, start=start, clock=clock)
    return target


def request_person_import(
    db: TransactionSource,
    person_id: int,
    *,
    start: jobs.JobStarter = jobs.at_next_tick,
    clock: Clock = utc_now,
) -> ImportTarget:
    """What the person said across rooms (`member/…/chat`), under their current name."""
    with db.transaction() as conn:
        person = persons.get(conn, person_id)
    return request_import(db, TargetKind.MEMBER, person.username, start=start, clock=clock)


# -- the owner's view ----------------------------------------------------------------------------
class SessionState(StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    NOT_CONFIGURED = "not_configured"
    FAILING = "failing"
    UNKNOWN = "unknown"


class SessionStatus(BaseModel):
    """Whether the Plus session works, from the newest run that talked to Plus."""

    model_config = ConfigDict(frozen=True)

    state: SessionState
    #: When that run started (None: no run yet).
    checked_at: datetime | None
    message: str | None
    #: What the owner should do (None when nothing is needed).
    action: str | None


class UnreadResponse(BaseModel):
    """A stored response with items (or a page) the map could not read: what to map next."""

    model_config = ConfigDict(frozen=True)

    id: int
    origin: str
    url: str | None
    fetched_at: datetime
    messages: int
    unmapped: int
    problems: dict[str, int]
    #: The first item the map could not read, as Plus sent it (JSON, cut at 2,000 characters).
    example: str | None


class ChatImportStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    session: SessionStatus
    targets: list[ImportTarget]
    unread: list[UnreadResponse]
    #: All time: responses stored, messages read in them, items not read.
    totals: dict[str, int]
    #: The field map in force (the override's format: key -> candidate paths).
    field_map: dict[str, list[str]]


#: Run statuses that say something about the session (a skipped run, or one still running,
#: does not).
_SESSION_EVIDENCE = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.AUTH_EXPIRED, JobStatus.NOT_CONFIGURED}
)


def session_status(conn: Conn) -> SessionStatus:
    runs = [run for job in SESSION_JOBS for run in job_runs.recent(conn, job=job, limit=10)]
    finished = [run for run in runs if run.status in _SESSION_EVIDENCE]
    if not finished:
        return SessionStatus(state=SessionState.UNKNOWN, checked_at=None, message=None, action=None)
    run = max(finished, key=lambda r: (r.started_at, r.id))
    if run.status is JobStatus.AUTH_EXPIRED:
        state, action = SessionState.EXPIRED, SIGN_IN_AGAIN
    elif run.status is JobStatus.NOT_CONFIGURED:
        state = SessionState.NOT_CONFIGURED
        action = (
            "sign in (`mhc chat-import login`) or paste the two cookies on the Chat import page"
        )
    elif run.status is JobStatus.FAILED:
        state, action = SessionState.FAILING, None
    else:
        state, action = SessionState.OK, None
    return SessionStatus(state=state, checked_at=run.started_at, message=run.error, action=action)


def _example(body: Any, url: str | None, field_map: FieldMap) -> str | None:
    from mhc.domain.chat_import import read_chat_page

    page = read_chat_page(body, url=url, field_map=field_map)
    if not page.unmapped:
        return None
    return response_text(page.unmapped[0].raw)[:2000]


def status(db: TransactionSource, *, field_map: FieldMap, limit: int = 50) -> ChatImportStatus:
    """The Chat import page: the session, each chat's import, what the map could not read."""
    with db.transaction() as conn:
        session = session_status(conn)
        targets = store.list_targets(conn, limit=limit)
        unread = store.unread_responses(conn, limit=10)
        totals = store.response_totals(conn)
    return ChatImportStatus(
        session=session,
        targets=targets,
        unread=[
            UnreadResponse(
                id=r.id,
                origin=r.origin,
                url=r.url,
                fetched_at=r.fetched_at,
                messages=r.messages,
                unmapped=r.unmapped,
                problems=r.problems,
                example=_example(r.body, r.url, field_map),
            )
            for r in unread
        ],
        totals=totals,
        field_map=field_map.as_json(),
    )


def save_session(
    db: TransactionSource,
    writer: SessionWriter,
    *,
    session: str,
    xsrf: str,
    start: jobs.JobStarter = jobs.at_next_tick,
    clock: Clock = utc_now,
) -> bool:
    """The owner's pasted cookies: kept (never shown back), then the import started so the
    new session is tried at once. Whether a run was asked for."""
    for value in (session, xsrf):
        if value.strip():
            register_secret(value.strip())
    try:
        cookies = PlusCookies.pasted(session, xsrf)
    except InvalidCookie as exc:
        field = "xsrf" if "XSRF" in str(exc) else "session"
        raise InvalidInput(field, str(exc)) from None
    if cookies.xsrf is None:
        raise InvalidInput("xsrf", "the XSRF-TOKEN cookie is needed too")
    for value in cookies.secret_values():
        register_secret(value)
    writer.replace(cookies)
    logger.info("statbate_plus: a new session was saved")
    jobs.request_run(db, JOB, start=start, clock=clock)
    return True
