"""The owner's token-history CSV export: parsing, show grouping, live matching, capture audit.

The export (EXTERNAL_APIS.md §7) is the ground truth of who paid the owner what, including the
private and spy shows the Events API never reports. Rules:

- **Columns**: `User`, `Token change`, `Timestamp`, `Transaction type` are required, `Note`
  is optional, any other column is kept in `raw` and otherwise ignored. Headers match
  case-insensitively, ignoring surrounding spaces, a byte-order mark and `_` for space. The
  delimiter is the most frequent of `,` `;` tab in the header line (spreadsheets re-save
  with `;`). A missing required column or a repeated one refuses the file
  (`InvalidTokenHistory`).
- **Rows**: a row with an empty or invalid user, an unparsable or non-positive amount, or an
  unparsable time is a `RowProblem` naming its line: the physical line where the record
  starts, header = line 1 (a quoted note with line breaks spans several lines; the next record
  starts after it). Blank rows are skipped. Amounts are whole tokens (`25`, `+25`, `1,000`,
  `25.0`).
- **All or nothing**: the parser returns the good rows *and* the problems. A file with any
  problem is refused by default (`TokenHistory.importable`), so nothing of it is half
  imported; the owner may choose to import the good rows knowing exactly which lines were
  left out. That choice belongs to the caller.
- **Times**: ISO 8601 with or without offset (`T` or space, `Z`, fractions), `YYYY-MM-DD
  HH:MM:SS`, a trailing `UTC`/`GMT`, and `MM/DD/YYYY HH:MM[:SS][ AM/PM]`. Times without an
  offset are read in the export's zone (`MHC_TOKEN_HISTORY_TIMEZONE`, default UTC): an
  ambiguous fall-back time is read as its first occurrence. A date without a time is refused
  (it could never be matched to a live tip).
- **Identity**: `row_id` hashes what the row says (user, amount, the time *as written* or its
  instant when it has an offset, type, note) plus the ordinal among identical rows of the
  file, so two identical rows are two payments, and re-importing the same or an overlapping
  export yields the same ids. Changing the timezone setting does not change ids: a re-import
  after fixing the zone is recognised as the same rows (the caller must refuse it rather than
  keep both).
- **Shows**: private and spy shows are billed per minute, one row each. Rows of the same user
  and type less than `SHOW_GAP` apart form one show; each row is assumed to pay one
  `BILLING_INTERVAL`, so a show ends one interval after its last row. Shows are derived, never
  stored: an export can cut a show in two, the rows stay the same.
- **Live matching**: an export row is the same payment as a live one when the person and the
  tokens are equal and the times are at most `MATCH_WINDOW` apart; pairs are taken one-to-one,
  nearest in time first (ties by time order), so the result is deterministic.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from mhc.domain.errors import InvalidInput
from mhc.domain.statistics import Estimate, proportion
from mhc.domain.usernames import InvalidUsername, normalize_username

SHOW_GAP = timedelta(minutes=3)
BILLING_INTERVAL = timedelta(minutes=1)
MATCH_WINDOW = timedelta(minutes=2)


class TransactionType(StrEnum):
    """What the owner was paid for (one name for export rows and live payments alike)."""

    TIP = "tip"
    PRIVATE_SHOW = "private_show"
    SPY_SHOW = "spy_show"
    MEDIA_PURCHASE = "media_purchase"
    OTHER = "other"


#: The export's transaction types (case-folded, spaces collapsed); anything else is OTHER.
TRANSACTION_TYPES = {
    "tip received": TransactionType.TIP,
    "private show": TransactionType.PRIVATE_SHOW,
    "spy on private show": TransactionType.SPY_SHOW,
    "photos/videos purchased": TransactionType.MEDIA_PURCHASE,
}
SHOW_TYPES = frozenset({TransactionType.PRIVATE_SHOW, TransactionType.SPY_SHOW})

USER = "user"
AMOUNT = "token change"
TIMESTAMP = "timestamp"
TRANSACTION_TYPE = "transaction type"
NOTE = "note"
REQUIRED_COLUMNS = (USER, AMOUNT, TIMESTAMP, TRANSACTION_TYPE)
#: How required columns are named in messages (as the export spells them).
COLUMN_TITLES = {
    USER: "User",
    AMOUNT: "Token change",
    TIMESTAMP: "Timestamp",
    TRANSACTION_TYPE: "Transaction type",
    NOTE: "Note",
}
_SHOWN_VALUE_LENGTH = 40


class InvalidTokenHistory(InvalidInput):
    """The file cannot be read as a token-history export at all (header problems)."""

    def __init__(self, message: str) -> None:
        super().__init__("file", message)


class ProblemKind(StrEnum):
    EMPTY_USER = "empty_user"
    INVALID_USER = "invalid_user"
    BAD_AMOUNT = "bad_amount"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    BAD_TIME = "bad_time"


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True, slots=True, eq=False)
class TokenRow:
    """One good row: typed fields, its stable id, and every cell as written."""

    line: int
    row_id: str
    username: str
    tokens: int
    occurred_at: datetime
    type: TransactionType
    #: The transaction type as written in the file.
    type_text: str
    note: str
    #: Every cell of the row by its header as written (extra columns included).
    raw: dict[str, str]


@dataclass(frozen=True, slots=True)
class TokenHistory:
    columns: tuple[str, ...]
    rows: tuple[TokenRow, ...]
    problems: tuple[RowProblem, ...]
    #: Physical lines read, header included.
    lines: int

    @property
    def importable(self) -> bool:
        """No problem at all: the whole file can be imported."""
        return not self.problems


# -- header -----------------------------------------------------------------------------------
def _column_key(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").replace("_", " ").split()).casefold()


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# -- cells ------------------------------------------------------------------------------------
def _shown(value: str) -> str:
    return repr(value[:_SHOWN_VALUE_LENGTH] + ("…" if len(value) > _SHOWN_VALUE_LENGTH else ""))


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def parse_amount(text: str) -> int | None:
    """Whole tokens from `25`, `+25`, `-3`, `1,000`, `25.0`; None when not a whole number."""
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        pass
    if _THOUSANDS.match(value):
        return int(value.replace(",", ""))
    try:
        number = float(value)
    except ValueError:
        return None
    if not number.is_integer():
        return None
    return int(number)


_US_TIME = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$"
)
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)


def parse_timestamp(text: str, tz: tzinfo = UTC) -> tuple[datetime, str] | None:
    """(the instant in UTC, its identity text) or None when unreadable.

    The identity text is the time as written (normalised to ISO) for a time without offset,
    the UTC instant for one with: it does not depend on the timezone setting.
    """
    value = text.strip()
    if not value:
        return None
    if value[-1] in "CTct":  # cheap test before the regex: most times end in a digit
        suffix = _UTC_SUFFIX.search(value)
        if suffix is not None:
            value = value[: suffix.start()] + "+00:00"
    parsed: datetime | None = None
    if len(value) > 10 and value[4:5] == "-":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        match = _US_TIME.match(value)
        if match is None:
            return None
        month, day_, year, hour, minute, second, meridiem = match.groups()
        hours = int(hour)
        if meridiem is not None:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
        try:
            # Naive on purpose: the export's zone is applied below, as for ISO times.
            parsed = datetime(  # noqa: DTZ001
                int(year), int(month), int(day_), hours, int(minute), int(second or 0)
            )
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz).astimezone(UTC), parsed.isoformat()
    instant = parsed.astimezone(UTC)
    return instant, instant.isoformat()


def transaction_type(text: str) -> TransactionType:
    return TRANSACTION_TYPES.get(" ".join(text.split()).casefold(), TransactionType.OTHER)


# -- the reader -------------------------------------------------------------------------------
class TokenHistoryReader:
    """Streams rows and problems from an export, in file order.

    `lines` is a text file opened with `newline=""` (and `encoding="utf-8-sig"`), or any
    iterable of lines with their line endings. The header is read on construction, so a file
    that is not an export fails before anything is yielded. A record the csv module cannot
    read at all (a field over its 128 KiB limit) raises InvalidTokenHistory naming the line,
    even mid-stream: the caller's transaction then keeps nothing of the file.
    """

    def __init__(self, lines: Iterable[str], *, timezone: tzinfo = UTC) -> None:
        source = iter(lines)
        try:
            first = next(source)
        except StopIteration:
            raise InvalidTokenHistory("the file is empty") from None
        self._reader = csv.reader(itertools.chain([first], source), delimiter=_delimiter(first))
        self.lines = 0
        header = self._next_record()
        if not header or not any(cell.strip() for cell in header):
            raise InvalidTokenHistory("the first line must be the header")
        self.columns = tuple(cell.replace("\ufeff", "").strip() for cell in header)
        positions: dict[str, int] = {}
        for index, name in enumerate(self.columns):
            key = _column_key(name)
            if key in positions and key in COLUMN_TITLES:
                raise InvalidTokenHistory(f"column {COLUMN_TITLES[key]!r} appears twice")
            positions.setdefault(key, index)
        missing = [COLUMN_TITLES[c] for c in REQUIRED_COLUMNS if c not in positions]
        if missing:
            raise InvalidTokenHistory(
                "missing column(s) "
                + ", ".join(repr(m) for m in missing)
                + "; found "
                + ", ".join(repr(c) for c in self.columns)
            )
        self._user = positions[USER]
        self._amount = positions[AMOUNT]
        self._time = positions[TIMESTAMP]
        self._type = positions[TRANSACTION_TYPE]
        self._note = positions.get(NOTE)
        self._timezone = timezone
        self.lines = self._reader.line_num

    def _next_record(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
            raise InvalidTokenHistory(f"line {self.lines + 1} cannot be read: {exc}") from None

    def __iter__(self) -> Iterator[TokenRow | RowProblem]:
        reader = self._reader
        columns = self.columns
        width = len(columns)
        users: dict[str, str | None] = {}
        types: dict[str, tuple[TransactionType, str]] = {}
        ordinals: dict[str, int] = {}
        timezone = self._timezone
        while (cells := self._next_record()) is not None:
            line = self.lines + 1
            self.lines = reader.line_num
            if not "".join(cells).strip():
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            problems: list[RowProblem] = []
            user_text = cells[self._user].strip()
            if user_text in users:
                username = users[user_text]
            else:
                try:
                    username = normalize_username(user_text) if user_text else None
                except InvalidUsername:
                    username = None
                users[user_text] = username
            if not user_text:
                problems.append(RowProblem(line, ProblemKind.EMPTY_USER, "User is empty"))
            elif username is None:
                problems.append(
                    RowProblem(
                        line,
                        ProblemKind.INVALID_USER,
                        f"User {_shown(user_text)} is not a Chaturbate username",
                    )
                )
            amount_text = cells[self._amount]
            tokens = parse_amount(amount_text)
            if tokens is None:
                problems.append(
                    RowProblem(
                        line,
                        ProblemKind.BAD_AMOUNT,
                        f"Token change {_shown(amount_text.strip())} is not a whole number",
                    )
                )
            elif tokens <= 0:
                problems.append(
                    RowProblem(
                        line,
                        ProblemKind.NON_POSITIVE_AMOUNT,
                        f"Token change {tokens} is not income (must be positive)",
                    )
                )
            time_text = cells[self._time]
            when = parse_timestamp(time_text, timezone)
            if when is None:
                problems.append(
                    RowProblem(
                        line,
                        ProblemKind.BAD_TIME,
                        f"Timestamp {_shown(time_text.strip())} is not a date and time",
                    )
                )
            if problems or username is None or tokens is None or when is None:
                yield from problems
                continue
            type_text = cells[self._type].strip()
            typed = types.get(type_text)
            if typed is None:
                typed = types[type_text] = (
                    transaction_type(type_text),
                    " ".join(type_text.split()).casefold(),
                )
            note = cells[self._note].strip() if self._note is not None else ""
            identity = "\x1f".join((username, str(tokens), when[1], typed[1], note))
            digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
            ordinal = ordinals.get(digest, 0)
            ordinals[digest] = ordinal + 1
            yield TokenRow(
                line=line,
                row_id=f"{digest}-{ordinal}",
                username=username,
                tokens=tokens,
                occurred_at=when[0],
                type=typed[0],
                type_text=type_text,
                note=note,
                raw=dict(zip(columns, cells, strict=False)),
            )


def parse_token_history(lines: Iterable[str], *, timezone: tzinfo = UTC) -> TokenHistory:
    """Read a whole export: good rows and problems (see `TokenHistory.importable`)."""
    reader = TokenHistoryReader(lines, timezone=timezone)
    rows: list[TokenRow] = []
    problems: list[RowProblem] = []
    for item in reader:
        if isinstance(item, TokenRow):
            rows.append(item)
        else:
            problems.append(item)
    return TokenHistory(
        columns=reader.columns, rows=tuple(rows), problems=tuple(problems), lines=reader.lines
    )


# -- shows ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Show:
    username: str
    type: TransactionType
    started_at: datetime
    last_billed_at: datetime
    #: One billing interval after the last row (an estimate: the export has no end time).
    ended_at: datetime
    tokens: int
    row_ids: tuple[str, ...]

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at

    @property
    def minutes_billed(self) -> int:
        return len(self.row_ids)


def group_shows(rows: Iterable[TokenRow], *, gap: timedelta = SHOW_GAP) -> tuple[Show, ...]:
    """Private and spy show rows grouped into shows (rule in the module docstring), in order
    of start time (then user, type)."""
    by_key: dict[tuple[str, TransactionType], list[TokenRow]] = {}
    for row in rows:
        if row.type in SHOW_TYPES:
            by_key.setdefault((row.username, row.type), []).append(row)
    shows: list[Show] = []
    for (username, kind), group in by_key.items():
        group.sort(key=lambda r: (r.occurred_at, r.line))
        current: list[TokenRow] = []
        for row in group:
            if current and row.occurred_at - current[-1].occurred_at >= gap:
                shows.append(_show(username, kind, current))
                current = []
            current.append(row)
        shows.append(_show(username, kind, current))
    shows.sort(key=lambda s: (s.started_at, s.username, s.type))
    return tuple(shows)


def _show(username: str, kind: TransactionType, rows: list[TokenRow]) -> Show:
    return Show(
        username=username,
        type=kind,
        started_at=rows[0].occurred_at,
        last_billed_at=rows[-1].occurred_at,
        ended_at=rows[-1].occurred_at + BILLING_INTERVAL,
        tokens=sum(r.tokens for r in rows),
        row_ids=tuple(r.row_id for r in rows),
    )


# -- matching against live capture --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A payment as either side saw it: `who` is the person (id, after renames are resolved)."""

    id: str
    who: Hashable
    tokens: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Matching:
    #: (export id, live id) pairs.
    pairs: tuple[tuple[str, str], ...]
    unmatched_export: tuple[str, ...]
    unmatched_live: tuple[str, ...]


def _in_order(records: Iterable[PaymentRecord]) -> list[PaymentRecord]:
    return sorted(records, key=lambda r: (r.at, r.id))


def match_live(
    exported: Iterable[PaymentRecord],
    live: Iterable[PaymentRecord],
    *,
    window: timedelta = MATCH_WINDOW,
) -> Matching:
    """One-to-one pairs of the same payment seen by the export and by live capture.

    Same person, same tokens, at most `window` apart; the nearest pairs are taken first, ties
    broken by the export's then the live record's order in time (then id), so the same input
    always gives the same pairs.
    """
    exports = _in_order(exported)
    lives = _in_order(live)
    live_groups: dict[tuple[Hashable, int], list[int]] = {}
    for index, record in enumerate(lives):
        live_groups.setdefault((record.who, record.tokens), []).append(index)
    candidates: list[tuple[timedelta, int, int]] = []
    for e_index, record in enumerate(exports):
        group = live_groups.get((record.who, record.tokens))
        if not group:
            continue
        # The group is in time order: skip to the first record inside the window.
        low, high = 0, len(group)
        earliest = record.at - window
        while low < high:
            middle = (low + high) // 2
            if lives[group[middle]].at < earliest:
                low = middle + 1
            else:
                high = middle
        for l_index in group[low:]:
            delta = lives[l_index].at - record.at
            if delta > window:
                break
            candidates.append((abs(delta), e_index, l_index))
    candidates.sort()
    used_export: set[int] = set()
    used_live: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, e_index, l_index in candidates:
        if e_index in used_export or l_index in used_live:
            continue
        used_export.add(e_index)
        used_live.add(l_index)
        pairs.append((e_index, l_index))
    pairs.sort()
    return Matching(
        pairs=tuple((exports[e].id, lives[li].id) for e, li in pairs),
        unmatched_export=tuple(r.id for i, r in enumerate(exports) if i not in used_export),
        unmatched_live=tuple(r.id for i, r in enumerate(lives) if i not in used_live),
    )


# -- capture audit ----------------------------------------------------------------------------
class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class MissedPayment(_Frozen):
    id: str
    tokens: int
    at: datetime
    #: True when it falls in a recorded gap of live capture (± the match window).
    explained: bool
    gap_start: datetime | None = None
    gap_end: datetime | None = None


class CaptureAudit(_Frozen):
    period_start: datetime
    period_end: datetime
    #: Export tips inside the period, and how many of them live capture delivered.
    exported: int
    seen_live: int
    #: seen_live / exported with its Wilson 95% interval.
    share_seen: Estimate
    missed: tuple[MissedPayment, ...]
    explained: int


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


def capture_audit(
    exported: Iterable[PaymentRecord],
    live: Iterable[PaymentRecord],
    *,
    period: Period,
    gaps: Sequence[Period] = (),
    window: timedelta = MATCH_WINDOW,
) -> CaptureAudit:
    """How much of the export live capture also delivered while it was running.

    Only export tips inside `period` (when live capture ran) count; live tips up to `window`
    outside it may still match them. A missed tip is `explained` when it lies in a recorded gap
    widened by `window` on both sides (clocks on the two sides differ by that much).
    """
    in_period = [r for r in exported if period.start <= r.at <= period.end]
    candidates = [r for r in live if period.start - window <= r.at <= period.end + window]
    matching = match_live(in_period, candidates, window=window)
    missed_ids = set(matching.unmatched_export)
    ordered_gaps = sorted(gaps, key=lambda g: (g.start, g.end))
    missed: list[MissedPayment] = []
    for record in _in_order(in_period):
        if record.id not in missed_ids:
            continue
        gap = next(
            (g for g in ordered_gaps if g.start - window <= record.at <= g.end + window), None
        )
        missed.append(
            MissedPayment(
                id=record.id,
                tokens=record.tokens,
                at=record.at,
                explained=gap is not None,
                gap_start=None if gap is None else gap.start,
                gap_end=None if gap is None else gap.end,
            )
        )
    seen = len(matching.pairs)
    return CaptureAudit(
        period_start=period.start,
        period_end=period.end,
        exported=len(in_period),
        seen_live=seen,
        share_seen=proportion(seen, len(in_period), minimum=1),
        missed=tuple(missed),
        explained=sum(1 for m in missed if m.explained),
    )
