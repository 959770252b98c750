"""The owner's token-history export: the import, the capture audit, and private/spy shows.

The import (rules in `mhc.domain.token_history` and docs/analysis.md) runs in ONE transaction:
- **all or nothing**: a file with any bad row is refused and nothing of it is written, unless
  the owner explicitly accepts importing the good rows (the lines left out are recorded with
  the import). Rows stream through in batches, so memory stays flat on a 100k-row file; once a
  problem is met (and not accepted) writing stops, parsing goes on to name every bad line, and
  the transaction is rolled back.
- **idempotent**: raw rows are keyed by their stable id; a re-import or an overlapping export
  stores, creates and links nothing new for rows already there. A row already stored whose
  time now reads differently (the timezone setting changed) keeps its stored time and is
  counted in `times_differ`.
- each new row is a typed interaction in the owner's room (source `token_history`), persons
  found or created through `persons.resolve_sightings` (exclusion, renames and merges as
  everywhere);
- **linked, not doubled**: imported tips and media purchases are matched one to one with the
  ones live capture delivered (same person after renames, same tokens, at most 2 minutes
  apart, nearest first) over the file's whole period, previously imported unlinked rows
  included; a live payment stored after an export covering it was imported is linked as it
  is ingested (`link_live`). A link leaves the imported twin out of every figure
  (`counted_interactions`, the per-person summaries).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.analysis.hours import zone
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput
from mhc.domain.models import InteractionSource, InteractionType
from mhc.domain.roles import Role
from mhc.domain.statistics import Estimate
from mhc.domain.token_history import (
    MATCH_WINDOW,
    PaymentRecord,
    Period,
    RowProblem,
    TokenHistoryReader,
    TokenRow,
    TransactionType,
    capture_audit,
    group_shows,
    match_live,
)
from mhc.observability import logger, redact
from mhc.services import capture, interactions, persons
from mhc.services.interactions import InteractionRow
from mhc.services.second_process import forked_stream
from mhc.store import token_history as store
from mhc.store.token_history import ImportRecord, Payment

#: Rows written per batch (memory stays flat; one transaction for the whole file).
BATCH = 10_000
#: Problems kept with an import and shown in a report (the count is always exact).
MAX_PROBLEMS_SHOWN = 1000
INTERACTION_TYPE = {
    TransactionType.TIP: InteractionType.TIP_EVENT,
    TransactionType.PRIVATE_SHOW: InteractionType.PRIVATE_SHOW,
    TransactionType.SPY_SHOW: InteractionType.SPY_SHOW,
    TransactionType.MEDIA_PURCHASE: InteractionType.MEDIA_PURCHASE,
    TransactionType.OTHER: InteractionType.OTHER_PAYMENT,
}
SHOW_KIND = {
    InteractionType.PRIVATE_SHOW: TransactionType.PRIVATE_SHOW,
    InteractionType.SPY_SHOW: TransactionType.SPY_SHOW,
}


class _Frozen(BaseModel):
    # Built on first use: the events poller imports these modules and never builds a view.
    model_config = ConfigDict(frozen=True, defer_build=True)


class Problem(_Frozen):
    line: int
    kind: str
    message: str


class TypeTotal(_Frozen):
    rows: int = 0
    tokens: int = 0


class ImportReport(_Frozen):
    #: False: refused (the file has bad rows and they were not accepted); nothing was written.
    imported: bool
    import_id: int | None
    file_name: str | None
    timezone: str
    #: Physical lines read, header included.
    lines: int
    good_rows: int
    #: Rows stored by this import; the rest were already stored (same or overlapping export).
    new_rows: int
    already_stored: int
    #: Imported payments linked to the same payment captured live (counted once).
    linked: int
    #: Rows already stored whose time now reads differently: the stored time was kept.
    times_differ: int
    problem_count: int
    problems: list[Problem]
    accepted_problems: bool
    first_at: datetime | None
    last_at: datetime | None
    #: The new rows by interaction type.
    by_type: dict[str, TypeTotal]
    #: Distinct persons in the new rows.
    persons: int


@dataclass(frozen=True)
class ImportProgress:
    phase: Literal["reading", "linking", "done"]
    lines: int
    rows: int
    problems: int


Progress = Callable[[ImportProgress], None]


def _no_progress(_progress: ImportProgress) -> None:
    return None


#: The largest export read from an upload, uncompressed (about 800,000 rows).
MAX_EXPORT_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class _Capped(io.RawIOBase):
    """A stream that refuses to yield more than `limit` bytes (a gzip bomb stops here)."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self._inner = inner
        self._limit = self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(min(len(buffer), self._left + 1))
        if len(chunk) > self._left:
            raise InvalidInput("file", f"is larger than {self._limit:,} bytes uncompressed")
        self._left -= len(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)


def upload_lines(body: bytes, *, max_bytes: int | None = None) -> Iterator[str]:
    """The text lines of an uploaded export: CSV as UTF-8 (a byte-order mark is dropped), or
    gzip-compressed CSV (told by its magic bytes, whatever the content type says). Errors
    surface while reading, inside the import's transaction, as InvalidInput."""
    raw: io.BufferedIOBase = io.BytesIO(body)
    if body.startswith(_GZIP_MAGIC):
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    text = io.TextIOWrapper(
        io.BufferedReader(_Capped(raw, max_bytes or MAX_EXPORT_BYTES)),
        encoding="utf-8-sig",
        newline="",
    )
    try:
        yield from text
    except UnicodeDecodeError:
        raise InvalidInput("file", "is not UTF-8 text (save the export as CSV UTF-8)") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise InvalidInput("file", "is not a complete gzip file") from None


class _Refused(Exception):
    """Rolls the import's transaction back (nothing of a refused file is kept)."""


class _Hashed:
    """The file's lines, hashed as they are read (the import records the file's digest)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.digest.update(line.encode("utf-8", "surrogatepass"))
            yield line


@dataclass
class _Tally:
    lines: int = 0
    good: int = 0
    new: int = 0
    times_differ: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def __post_init__(self) -> None:
        self.by_type: dict[str, tuple[int, int]] = {}
        self.persons: set[int] = set()
        self.problems: list[RowProblem] = []

    def read(self, batch: _Batch) -> None:
        """What a batch read, written or not."""
        self.lines = batch.lines
        self.good += batch.good
        self.problems += batch.problems
        if batch.first_at is not None and (self.first_at is None or batch.first_at < self.first_at):
            self.first_at = batch.first_at
        if batch.last_at is not None and (self.last_at is None or batch.last_at > self.last_at):
            self.last_at = batch.last_at

    def wrote(self, batch: _Batch, person_ids: Sequence[int]) -> None:
        """The batch's rows were new and are stored."""
        self.new += len(batch.row_ids)
        self.persons.update(person_ids)
        for kind, (rows, tokens) in batch.by_type.items():
            had_rows, had_tokens = self.by_type.get(kind, (0, 0))
            self.by_type[kind] = (had_rows + rows, had_tokens + tokens)


@dataclass(frozen=True)
class _Batch:
    """Rows of an export read and made ready to store: plain lists, cheap to send between
    processes (the import reads and formats batch N+1 in a second process while batch N is
    stored). The rows to write are empty once a bad row was met and not accepted."""

    #: Physical lines read so far, header included.
    lines: int
    #: Good rows read in this batch (written or not), and their first and last times.
    good: int
    first_at: datetime | None
    last_at: datetime | None
    problems: list[RowProblem]
    #: The rows to write: raw rows as COPY text (`store.copy_text`), then one entry per row.
    raw_text: bytes
    row_ids: list[str]
    usernames: list[str]
    times: list[datetime]
    kinds: list[str]
    tokens: list[int]
    #: Interaction rows as COPY text without their person id (`interactions.copy_tail`).
    tails: list[str]
    #: The rows' distinct names (sorted) as `persons.resolve_names` takes them, and the index
    #: among them of each row's name.
    sighted: persons.Sighted
    name_of: list[int]
    #: Rows and tokens by interaction type.
    by_type: dict[str, tuple[int, int]]
    #: The file's SHA-256, on the last batch only.
    digest: str | None = None

    def only(self, keep: set[str]) -> _Batch:
        """The batch with only the rows whose id is in `keep` (what a re-import finds new)."""
        picked = [n for n, row_id in enumerate(self.row_ids) if row_id in keep]
        return _batch(
            self,
            self.raw_text,
            [self.row_ids[n] for n in picked],
            [self.usernames[n] for n in picked],
            [self.times[n] for n in picked],
            [self.kinds[n] for n in picked],
            [self.tokens[n] for n in picked],
            [self.tails[n] for n in picked],
        )


class _Read(NamedTuple):
    """What a batch read, whatever it writes."""

    lines: int
    good: int
    first_at: datetime | None
    last_at: datetime | None
    problems: list[RowProblem]
    digest: str | None


def _batch(
    read: _Read | _Batch,
    raw_text: bytes,
    row_ids: list[str],
    usernames: list[str],
    times: list[datetime],
    kinds: list[str],
    tokens: list[int],
    tails: list[str],
) -> _Batch:
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    by_type: dict[str, tuple[int, int]] = {}
    for username, at, kind, amount in zip(usernames, times, kinds, tokens, strict=True):
        if username not in first or at < first[username]:
            first[username] = at
        if username not in last or at > last[username]:
            last[username] = at
        rows, total = by_type.get(kind, (0, 0))
        by_type[kind] = (rows + 1, total + amount)
    names = sorted(first)
    index = {name: n for n, name in enumerate(names)}
    return _Batch(
        lines=read.lines,
        good=read.good,
        first_at=read.first_at,
        last_at=read.last_at,
        problems=read.problems,
        raw_text=raw_text,
        row_ids=row_ids,
        usernames=usernames,
        times=times,
        kinds=kinds,
        tokens=tokens,
        tails=tails,
        sighted=persons.sighted(
            names,
            [Role.VIEWER.value] * len(names),
            [first[name] for name in names],
            [last[name] for name in names],
        ),
        name_of=[index[username] for username in usernames],
        by_type=by_type,
        digest=read.digest,
    )


def _prepare(read: _Read, rows: list[TokenRow], owner: str, import_id: int) -> _Batch:
    """A batch of good rows made ready to store (pure)."""
    source = InteractionSource.TOKEN_HISTORY.value
    kinds = [INTERACTION_TYPE[row.type].value for row in rows]
    return _batch(
        read,
        store.copy_text(import_id, rows),
        [row.row_id for row in rows],
        [row.username for row in rows],
        [row.occurred_at for row in rows],
        kinds,
        [row.tokens for row in rows],
        [
            interactions.copy_tail(
                kind,
                source,
                row.row_id,
                row.occurred_at,
                owner,
                row.note or None,
                {"tokens": row.tokens, "transaction_type": row.type_text},
            )
            for kind, row in zip(kinds, rows, strict=True)
        ],
    )


def _read_batches(
    reader: TokenHistoryReader,
    hashed: _Hashed,
    *,
    owner: str,
    import_id: int,
    accept_problems: bool,
    batch_rows: int,
) -> Iterator[_Batch]:
    """The export in batches of `batch_rows` records (good or bad; the first one at most
    `FORK_AFTER`), the last one carrying the file's digest (pure: runs in the import's second
    process). Once a bad row is met and not
    accepted, nothing more is prepared for writing (the import is refused): rows are only
    counted, and every bad line named."""
    writing = True
    rows: list[TokenRow] = []
    problems: list[RowProblem] = []
    good = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    size = min(batch_rows, FORK_AFTER)
    for item in reader:
        if isinstance(item, RowProblem):
            problems.append(item)
            if not accept_problems:
                writing = False
                rows = []
        else:
            good += 1
            at = item.occurred_at
            if first_at is None or at < first_at:
                first_at = at
            if last_at is None or at > last_at:
                last_at = at
            if writing:
                rows.append(item)
        if good + len(problems) >= size:
            read = _Read(reader.lines, good, first_at, last_at, problems, None)
            yield _prepare(read, rows, owner, import_id)
            rows, problems, good, first_at, last_at = [], [], 0, None, None
            size = batch_rows
    read = _Read(reader.lines, good, first_at, last_at, problems, hashed.digest.hexdigest())
    yield _prepare(read, rows, owner, import_id)


#: Records read in place before the rest of a file is read in a second process: a small file
#: never forks, a large one starts its pipeline within milliseconds.
FORK_AFTER = 1_000
#: Longest wait for the import's second process to read one batch (a batch takes a fraction
#: of a second; anything this slow is a stuck child).
READER_REPLY_SECONDS = 60.0


def _batches(reader: TokenHistoryReader, hashed: _Hashed, **options: Any) -> Generator[_Batch]:
    """`_read_batches`: the first batch in place (a file of up to `FORK_AFTER` records never
    forks), the rest read in a second process while the caller stores the batch before."""
    batches = _read_batches(reader, hashed, **options)
    first = next(batches)
    yield first
    if first.digest is None:
        yield from forked_stream(batches, reply_seconds=READER_REPLY_SECONDS)


def import_export(
    db: TransactionSource,
    lines: Iterable[str],
    *,
    owner: str,
    timezone: str = "UTC",
    file_name: str | None = None,
    accept_problems: bool = False,
    clock: Clock = utc_now,
    progress: Progress = _no_progress,
    batch_rows: int | None = None,
) -> ImportReport:
    """Import a token-history export (`lines`: the file's text lines with their line endings,
    e.g. a file opened with `newline=""`). Refused (nothing written, `imported=False`) when a
    row is bad and `accept_problems` is false; `InvalidTokenHistory` when the file is not an
    export at all (header). See the module docstring for the rules.

    After its first `FORK_AFTER` records, the file is read and formatted in a second process,
    a batch of `batch_rows` (default `BATCH`) records ahead of the one being stored; should that process die,
    the import fails with `ChildGone` and nothing of it is kept.
    """
    hashed = _Hashed(lines)
    tally = _Tally()
    report: ImportReport | None = None
    digest = ""
    try:
        with db.transaction() as conn:
            store.lock(conn)
            import_id = store.next_import_id(conn)
            reader = TokenHistoryReader(hashed, timezone=zone(timezone))
            batches = _batches(
                reader,
                hashed,
                owner=owner,
                import_id=import_id,
                accept_problems=accept_problems,
                batch_rows=batch_rows or BATCH,
            )
            with contextlib.closing(batches):
                for batch in batches:
                    tally.read(batch)
                    if accept_problems or not tally.problems:
                        _write(conn, batch, tally)
                    progress(
                        ImportProgress("reading", tally.lines, tally.good, len(tally.problems))
                    )
                    digest = batch.digest or digest
            refused = bool(tally.problems) and not accept_problems
            linked = 0
            if not refused and tally.first_at is not None and tally.last_at is not None:
                progress(ImportProgress("linking", tally.lines, tally.good, len(tally.problems)))
                linked = _link(conn, owner, tally.first_at, tally.last_at)
            report = _report(tally, import_id, file_name, timezone, accept_problems, linked)
            if refused:
                raise _Refused
            store.record_import(
                conn,
                ImportRecord(
                    id=import_id,
                    imported_at=clock(),
                    file_name=file_name,
                    file_sha256=digest,
                    timezone=timezone,
                    lines=tally.lines,
                    good_rows=tally.good,
                    new_rows=tally.new,
                    linked=linked,
                    times_differ=tally.times_differ,
                    problems=[p.model_dump() for p in report.problems],
                    problem_count=len(tally.problems),
                    first_at=tally.first_at,
                    last_at=tally.last_at,
                ),
            )
    except _Refused:
        assert report is not None
        progress(ImportProgress("done", tally.lines, tally.good, len(tally.problems)))
        # Whatever was written before the first bad row was rolled back: report nothing new.
        return report.model_copy(
            update={
                "imported": False,
                "import_id": None,
                "new_rows": 0,
                "already_stored": 0,
                "linked": 0,
                "times_differ": 0,
                "by_type": {},
                "persons": 0,
            }
        )
    progress(ImportProgress("done", tally.lines, tally.good, len(tally.problems)))
    assert report is not None
    return report


def _write(conn: Conn, batch: _Batch, tally: _Tally) -> None:
    """Store a batch: raw rows first; persons and interactions for the rows that were new."""
    if not batch.row_ids:
        return
    new_ids = store.insert_new(conn, batch.raw_text)
    if new_ids is not None:  # some were stored already (a re-import, an overlapping export)
        old = [n for n, row_id in enumerate(batch.row_ids) if row_id not in new_ids]
        stored = store.stored_times(conn, [batch.row_ids[n] for n in old])
        tally.times_differ += sum(1 for n in old if stored.get(batch.row_ids[n]) != batch.times[n])
        batch = batch.only(new_ids)
        if not batch.row_ids:
            return
    ids = persons.resolve_names(conn, batch.sighted)
    interactions.append_formatted(conn, [ids[n] for n in batch.name_of], batch.tails)
    tally.wrote(batch, ids)


def _link(conn: Conn, owner: str, first_at: datetime, last_at: datetime) -> int:
    """Link imported payments in [first_at, last_at] to their live twins (decision 43)."""
    imported, live = store.unlinked_payments(
        conn,
        owner,
        since=first_at - MATCH_WINDOW,
        until=last_at + MATCH_WINDOW,
        window=MATCH_WINDOW,
    )
    if not imported or not live:
        return 0
    matching = match_live(_records(imported), _records(live))
    return store.insert_links(conn, [(int(e), int(lv)) for e, lv in matching.pairs])


_LINKABLE = frozenset({InteractionType.TIP_EVENT, InteractionType.MEDIA_PURCHASE})


def link_live(conn: Conn, rows: Sequence[InteractionRow], *, owner: str) -> int:
    """A step of ingest: live payments stored after an export that covers their time (capture
    resumed after a downtime, a replayed capture file) are linked to their imported twins now,
    so they never count twice. Free for a page without payments; one small query for a page
    whose payments are newer than every import (the usual case)."""
    paid = [r.occurred_at for r in rows if r.broadcaster == owner and r.type in _LINKABLE]
    if not paid:
        return 0
    covered = store.covered_until(conn)
    if covered is None or min(paid) > covered + MATCH_WINDOW:
        return 0
    try:
        with conn.transaction():  # a savepoint: a failure here never fails (so blocks) ingest
            return _link(conn, owner, min(paid), max(paid))
    except Exception as exc:
        # Not linked now: the next import of an export covering it links it.
        logger.warning("linking live payments failed", extra={"error": redact(exc)})
        return 0


def _records(payments: Sequence[Payment]) -> list[PaymentRecord]:
    # A tip is never the twin of a media purchase: the kind is part of who paid what.
    return [PaymentRecord(str(p.interaction_id), (p.who, p.type), p.tokens, p.at) for p in payments]


def _report(
    tally: _Tally,
    import_id: int,
    file_name: str | None,
    timezone: str,
    accepted: bool,
    linked: int,
) -> ImportReport:
    return ImportReport(
        imported=True,
        import_id=import_id,
        file_name=file_name,
        timezone=timezone,
        lines=tally.lines,
        good_rows=tally.good,
        new_rows=tally.new,
        already_stored=tally.good - tally.new,
        linked=linked,
        times_differ=tally.times_differ,
        problem_count=len(tally.problems),
        problems=[
            Problem(line=p.line, kind=p.kind.value, message=p.message)
            for p in tally.problems[:MAX_PROBLEMS_SHOWN]
        ],
        accepted_problems=accepted,
        first_at=tally.first_at,
        last_at=tally.last_at,
        by_type={k: TypeTotal(rows=r, tokens=t) for k, (r, t) in sorted(tally.by_type.items())},
        persons=len(tally.persons),
    )


class ImportSummary(_Frozen):
    id: int
    imported_at: datetime
    file_name: str | None
    timezone: str
    lines: int
    good_rows: int
    new_rows: int
    linked: int
    times_differ: int
    problem_count: int
    first_at: datetime | None
    last_at: datetime | None


def recent_imports(db: TransactionSource, *, limit: int = 20) -> list[ImportSummary]:
    with db.transaction() as conn:
        records = store.imports(conn, limit=limit)
    return [
        ImportSummary(
            id=r.id,
            imported_at=r.imported_at,
            file_name=r.file_name,
            timezone=r.timezone,
            lines=r.lines,
            good_rows=r.good_rows,
            new_rows=r.new_rows,
            linked=r.linked,
            times_differ=r.times_differ,
            problem_count=r.problem_count,
            first_at=r.first_at,
            last_at=r.last_at,
        )
        for r in records
    ]


# -- capture audit -----------------------------------------------------------------------------
class MissedTip(_Frozen):
    #: The export row's id.
    row_id: str
    person_id: int
    username: str
    tokens: int
    at: datetime
    #: Inside a recorded gap of live capture (± 2 minutes): an explained loss.
    explained: bool
    gap_start: datetime | None
    gap_end: datetime | None


class CaptureAuditView(_Frozen):
    """How much of the export's tips live capture also delivered while it ran."""

    #: Why there is nothing to compare yet (None when there is).
    unavailable: str | None = None
    #: When live capture ran (first to newest stored event).
    period_start: datetime | None = None
    period_end: datetime | None = None
    #: What the imported exports cover.
    export_first_at: datetime | None = None
    export_last_at: datetime | None = None
    #: Export tips in the period, and how many live capture delivered.
    exported: int = 0
    seen_live: int = 0
    share_seen: Estimate | None = None
    explained: int = 0
    missed: list[MissedTip] = []


def audit_capture(db: TransactionSource, *, owner: str) -> CaptureAuditView:
    """The capture audit (decision 43): for the time live capture ran, the share of the
    export's tips it also delivered, and each missed tip, explained when in a recorded gap.
    Every tip counts here, excluded persons' too: it measures capture, not the audience."""
    with db.transaction() as conn:
        span = capture.span(conn)
        export_first, export_last = store.exported_span(conn)
        if export_first is None or export_last is None:
            return CaptureAuditView(unavailable="no token-history export imported yet")
        if span is None:
            return CaptureAuditView(
                unavailable="live capture has not stored any event yet",
                export_first_at=export_first,
                export_last_at=export_last,
            )
        period = Period(start=span[0], end=span[1])
        exported, live = store.tips(
            conn, owner, since=period.start - MATCH_WINDOW, until=period.end + MATCH_WINDOW
        )
        gaps = [
            Period(start=gap.last_event_at or period.start, end=gap.detected_at)
            for gap in capture.gaps_since(conn, period.start)
        ]
    audit = capture_audit(
        [PaymentRecord(p.external_id, p.who, p.tokens, p.at) for p in exported],
        [PaymentRecord(str(p.interaction_id), p.who, p.tokens, p.at) for p in live],
        period=period,
        gaps=gaps,
    )
    by_row = {p.external_id: p for p in exported}
    return CaptureAuditView(
        period_start=period.start,
        period_end=period.end,
        export_first_at=export_first,
        export_last_at=export_last,
        exported=audit.exported,
        seen_live=audit.seen_live,
        share_seen=audit.share_seen,
        explained=audit.explained,
        missed=[
            MissedTip(
                row_id=m.id,
                person_id=by_row[m.id].who,
                username=by_row[m.id].username,
                tokens=m.tokens,
                at=m.at,
                explained=m.explained,
                gap_start=m.gap_start,
                gap_end=m.gap_end,
            )
            for m in audit.missed
        ],
    )


# -- shows ------------------------------------------------------------------------------------
class ShowView(_Frozen):
    person_id: int
    username: str
    type: InteractionType
    started_at: datetime
    #: One billing minute after the last row (the export has no end time).
    ended_at: datetime
    duration_seconds: int
    minutes_billed: int
    tokens: int


#: Rows read to derive the newest shows (a show is a run of per-minute rows).
SHOW_ROWS = 20_000


def shows(
    db: TransactionSource, *, owner: str, person_id: int | None = None, limit: int = 50
) -> list[ShowView]:
    """The newest private and spy shows (of one person, all their rows, when given), derived
    from the per-minute rows (rows < 3 minutes apart are one show), newest first."""
    with db.transaction() as conn:
        ids = None
        if person_id is not None:
            ids = persons.group_ids(conn, persons.get(conn, person_id).id)
        rows = store.show_rows(conn, owner, person_ids=ids, since=None, limit=SHOW_ROWS)
    names = {p.who: p.username for p in rows}
    token_rows = [
        TokenRow(
            line=0,
            row_id=p.external_id,
            username=str(p.who),  # grouped by person (after renames), not by name
            tokens=p.tokens,
            occurred_at=p.at,
            type=SHOW_KIND[p.type],
            type_text="",
            note="",
            raw={},
        )
        for p in rows
    ]
    grouped = sorted(group_shows(token_rows), key=lambda s: s.started_at, reverse=True)
    if len(rows) >= SHOW_ROWS and grouped:
        grouped = grouped[:-1]  # the oldest may be cut by the row limit
    kind = {v: k for k, v in SHOW_KIND.items()}
    return [
        ShowView(
            person_id=int(show.username),
            username=names[int(show.username)],
            type=kind[show.type],
            started_at=show.started_at,
            ended_at=show.ended_at,
            duration_seconds=int(show.duration / timedelta(seconds=1)),
            minutes_billed=show.minutes_billed,
            tokens=show.tokens,
        )
        for show in grouped[:limit]
    ]
