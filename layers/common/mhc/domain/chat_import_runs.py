"""Statbate Plus chat import runs, as rules: what is walked, where a walk starts and stops,
which messages are kept and whose history each one joins, which imported line is the copy of a
live-captured one, and what of a raw response is kept.

Pure: no I/O, no clock (callers pass times). The page reading itself is
`mhc.domain.chat_import`; storing and walking are `mhc.services.chat_import`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from mhc.domain.errors import InvalidInput
from mhc.domain.roles import Role

if TYPE_CHECKING:  # the page reader is loaded by the import paths, not by the API's reads
    from mhc.domain.chat_import import ChatMessage, ChatPage


class TargetKind(StrEnum):
    """What is imported: a room's chat, a member's chat across rooms, a room's live session."""

    ROOM = "room"
    MEMBER = "member"
    LIVE = "live"


class WalkMode(StrEnum):
    """A full walk goes to the end of the history; a catch-up walk (after a full walk reached
    the end once) stops at the first page that holds nothing new."""

    FULL = "full"
    CATCH_UP = "catch_up"


# -- windows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """[since, until) in UTC; either end open."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput("since", "must be before until")

    @property
    def is_open(self) -> bool:
        return self.since is None and self.until is None

    def contains(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment < self.until
        )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    from mhc.domain.chat_import import local_to_utc

    return local_to_utc(moment, zone)[0]


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return _local(datetime.combine(day, time()), zone)


def _moment(text: str, field_name: str, zone: ZoneInfo, *, end: bool) -> datetime:
    value = text.strip()
    try:
        if len(value) == 10:  # a date: its whole day, in the owner's zone
            day = date.fromisoformat(value)
            return _day_start(day + timedelta(days=1) if end else day, zone)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field_name, "must be a date (2026-01-31) or a time (2026-01-31T20:00:00+01:00)"
        ) from None
    if parsed.tzinfo is None:
        return _local(parsed, zone)
    return parsed.astimezone(ZoneInfo("UTC"))


def parse_window(since: str | None, until: str | None, zone: ZoneInfo) -> Window:
    """`--since`/`--until` as the owner types them: a date covers its whole day (`--until` is
    inclusive of its day) in `zone`; a time without an offset is in `zone` too."""
    return Window(
        since=_moment(since, "since", zone, end=False) if since else None,
        until=_moment(until, "until", zone, end=True) if until else None,
    )


# -- where a walk starts ------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetState:
    """What is stored about one target (`chat_import_targets`)."""

    checkpoint: str | None
    walk: WalkMode | None
    window: Window
    completed_at: datetime | None


class ImportTarget(BaseModel):
    """A row of `chat_import_targets`: one chat imported, and where its import stands."""

    model_config = ConfigDict(frozen=True, from_attributes=True, defer_build=True)

    id: int
    kind: TargetKind
    name: str
    #: The next page to fetch of an unfinished walk (None: no walk in progress).
    checkpoint: str | None
    walk: WalkMode | None
    since: datetime | None
    until: datetime | None
    pages_walked: int
    #: When a full walk last reached the end of the history (None: never).
    completed_at: datetime | None
    #: Asked for on demand and not walked to its end since.
    requested_at: datetime | None
    claimed_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    last_counts: dict[str, Any]
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def state(self) -> TargetState:
        return TargetState(
            self.checkpoint, self.walk, Window(self.since, self.until), self.completed_at
        )


@dataclass(frozen=True)
class WalkPlan:
    """Where to start (`resume` = the stored checkpoint, else page 1) and how far to go."""

    resume: bool
    mode: WalkMode
    window: Window


def plan_walk(state: TargetState, asked: Window | None = None) -> WalkPlan:
    """Resume an unfinished walk; else walk everything once, then only catch up.

    `asked` is a window the owner asked for now (the CLI): a stored walk is resumed only when
    it was asked with the same window, otherwise a new windowed walk starts at page 1. A
    scheduled run (`asked` None) resumes whatever walk is stored.
    """
    resumable = state.checkpoint is not None and state.walk is not None
    if resumable and (asked is None or asked == state.window):
        assert state.walk is not None
        return WalkPlan(True, state.walk, state.window)
    window = asked or Window()
    if not window.is_open:
        return WalkPlan(False, WalkMode.FULL, window)
    mode = WalkMode.FULL if state.completed_at is None else WalkMode.CATCH_UP
    return WalkPlan(False, mode, window)


# -- where a walk stops -------------------------------------------------------------------------
class StopReason(StrEnum):
    CAUGHT_UP = "caught_up"
    BEYOND_WINDOW = "beyond_window"


def kept_messages(page: ChatPage, window: Window) -> list[ChatMessage]:
    return (
        list(page.messages)
        if window.is_open
        else [m for m in page.messages if window.contains(m.occurred_at)]
    )


def stop_after(
    page: ChatPage, *, mode: WalkMode, window: Window, kept: int, new: int
) -> StopReason | None:
    """Whether the walk ends after this page (before its paginator's end).

    Catching up, a page whose kept messages were all stored already means the rest is known.
    With a window, a page wholly past it in the direction the pages go (newest first: older
    than `since`; oldest first: from `until` on) means every later page is too. The direction
    is read from the page itself (Plus's order is not documented); a page that does not show
    one never stops a walk.
    """
    if mode is WalkMode.CATCH_UP and kept > 0 and new == 0:
        return StopReason.CAUGHT_UP
    if len(page.messages) < 2 or window.is_open:
        return None
    first, last = page.messages[0].occurred_at, page.messages[-1].occurred_at
    times = [m.occurred_at for m in page.messages]
    if first > last and window.since is not None and max(times) < window.since:
        return StopReason.BEYOND_WINDOW
    if first < last and window.until is not None and min(times) >= window.until:
        return StopReason.BEYOND_WINDOW
    return None


# -- whose history a message joins --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImportedLine:
    """A message as an interaction: the person it is attributed to (a username), its room,
    content and metadata, and who it shows to exist (name -> role)."""

    person: str
    broadcaster: str | None
    content: str | None
    metadata: dict[str, Any]
    sightings: tuple[tuple[str, Role], ...]


def imported_line(message: ChatMessage, *, owner: str | None) -> ImportedLine:
    """The live path's rule (`mhc.domain.ingest`), for imported lines: a line belongs to its
    sender, except the owner's own line in another broadcaster's room, which belongs to that
    room (the owner's activity elsewhere); the room is seen as a model, the sender as a viewer
    (the owner, or a room's own broadcaster, as a model)."""
    room, sender = message.room, message.sender
    metadata: dict[str, Any] = {}
    if message.message_id is not None:
        metadata["plus_id"] = message.message_id
    if message.tokens is not None:
        metadata["tokens"] = message.tokens
    if message.local_zone is not None:
        metadata["local_zone"] = message.local_zone
    if message.time_note is not None:
        metadata["time_note"] = message.time_note.value
    person = sender
    if room is not None and room != owner:
        metadata["elsewhere"] = True
        if sender == owner:
            person = room
            metadata["actor"] = sender
    sightings: list[tuple[str, Role]] = []
    if room is not None:
        sightings.append((room, Role.MODEL))
    if sender != room:
        sightings.append((sender, Role.MODEL if sender == owner else Role.VIEWER))
    return ImportedLine(person, room, message.text or None, metadata, tuple(sightings))


# -- what of a raw response is kept ------------------------------------------------------------
#: Props of a Plus page about the signed-in account, not the chat: never stored.
ACCOUNT_PROPS: Final = frozenset({"auth"})
#: Keys that would hold a credential wherever a page puts them: never stored.
CREDENTIAL_KEYS: Final = frozenset(
    {
        "remember_token",
        "two_factor_secret",
        "two_factor_recovery_codes",
        "password",
        "csrf_token",
        "_token",
        "xsrf_token",
        "api_token",
        "access_token",
    }
)
REMOVED = "(removed by MHC: account data is not kept)"


def storable_body(body: Any) -> Any:
    """The response without the signed-in account's data: an Inertia page's `auth` prop and
    any credential-named key among its props (a page may share a CSRF token with the browser).
    The chat and everything else stay as read."""
    if not isinstance(body, dict) or not isinstance(body.get("props"), dict):
        return body
    props = body["props"]
    if not any(key in ACCOUNT_PROPS or key.lower() in CREDENTIAL_KEYS for key in props):
        return body
    cleaned = {
        key: REMOVED if key in ACCOUNT_PROPS else value
        for key, value in props.items()
        if key.lower() not in CREDENTIAL_KEYS
    }
    return {**body, "props": cleaned}


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def response_text(body: Any) -> str:
    """The body as stored (compact JSON, keys in the order read)."""
    return _dumps(body)


def response_digest(url: str | None, text: str) -> str:
    """The identity of a response: its URL and body as read (the same HAR twice, or a page
    re-read unchanged, is one response)."""
    digest = hashlib.sha256((url or "").encode("utf-8"))
    digest.update(b"\n")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def problem_counts(page: ChatPage) -> dict[str, int]:
    """Why items or the page could not be read, counted by reason (never the values)."""
    counts: dict[str, int] = {}
    for problem in page.problems:
        counts[problem] = counts.get(problem, 0) + 1
    for item in page.unmapped:
        for reason in item.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return counts


# -- counts -------------------------------------------------------------------------------------
@dataclass
class ImportCounts:
    """What an import did; `as_dict` is what job runs and targets record."""

    pages: int = 0
    #: Responses stored (a response read before is not stored again).
    responses: int = 0
    messages: int = 0
    new: int = 0
    already_stored: int = 0
    unmapped: int = 0
    outside_window: int = 0
    twins: int = 0
    #: Pages whose list of messages the field map did not find.
    unreadable_pages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, other: ImportCounts) -> None:
        for item in fields(self):
            if item.name != "extra":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {**values, **self.extra}


def summary(counts: Mapping[str, Any]) -> str:
    """`pages=3, new=250, ...` for logs and the command line."""
    return ", ".join(f"{key}={value}" for key, value in counts.items())
