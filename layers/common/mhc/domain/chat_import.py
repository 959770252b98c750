"""Statbate Plus chat import: the field map, and chat responses read into typed messages.

Plus's chat message fields and paging are not known from any public source, so no shape is
hard-coded. A *field map* names, for each value, a list of candidate dotted paths; the first
candidate that holds a usable value wins. The default map is built in; the owner's override
(`MHC_STATBATE_PLUS_FIELD_MAP`) replaces the candidates of each key it gives and keeps the
others. A message the map cannot read (no sender, time or text) is reported as *unmapped* with
its raw payload: never guessed, never dropped.

Times without an offset are in the page's timezone (Plus shows times in the account's chosen
zone); without one they are read as UTC and the page says the zone was assumed. Local times
that a DST change makes ambiguous or nonexistent are resolved as PostgreSQL's
`timestamp AT TIME ZONE` resolves them (see `local_to_utc`) and flagged on the message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mhc.domain.usernames import MAX_USERNAME_LENGTH, USERNAME_PATTERN

#: What each key of the field map finds. Page keys are read on the whole response; message
#: keys on each item of `items`; `routes` are URL path patterns (see `RoutePattern`).
FIELD_KEYS: Final[Mapping[str, str]] = {
    "routes": "URL paths of chat responses; {site}, {room} and {sender} are read from them",
    "items": "the list of messages in a response ('$' = the response itself)",
    "next": "the next page's URL (null or absent on the last page)",
    "page": "the current page number",
    "last_page": "the last page number",
    "timezone": "the IANA zone of message times that carry no offset",
    "id": "the message's own id",
    "time": "when it was said: ISO 8601, 'YYYY-MM-DD HH:MM:SS', or epoch seconds/milliseconds",
    "sender": "who said it (a Chaturbate username)",
    "text": "what was said",
    "room": "whose room it was said in (a Chaturbate username)",
    "tokens": "tokens tipped with it",
}

DEFAULT_FIELD_MAP: Final[Mapping[str, tuple[str, ...]]] = {
    "routes": (
        "room/{site}/{room}/chat",
        "member/{site}/{sender}/chat",
        "api/live-sessions/{site}/{room}/chat",
        "chat",
        "chat/stream",
    ),
    "items": ("props.messages.data", "props.chat.data", "props.messages", "data", "messages", "$"),
    "next": (
        "props.messages.next_page_url",
        "props.chat.next_page_url",
        "next_page_url",
        "links.next",
        "meta.next_page_url",
    ),
    "page": ("props.messages.current_page", "props.chat.current_page", "current_page", "meta.current_page"),
    "last_page": ("props.messages.last_page", "props.chat.last_page", "last_page", "meta.last_page"),
    "timezone": ("props.data.timezone", "props.timezone", "props.filters.timezone", "timezone", "meta.timezone"),
    "id": ("id", "message_id", "uuid"),
    "time": ("created_at", "time", "timestamp", "date"),
    "sender": ("username", "sender", "name", "user.username", "user.name", "user", "donator"),
    "text": ("message", "text", "mes", "body", "message.message"),
    "room": ("room", "model", "room.name", "model.name", "broadcaster"),
    "tokens": ("tokens", "amount"),
}  # fmt: skip

ROOT = "$"
_PLACEHOLDERS = frozenset({"site", "room", "sender"})
_PLACEHOLDER = re.compile(r"^\{([a-z_]+)\}$")
_LITERAL = re.compile(r"^[A-Za-z0-9_.~\-]+$")
_MAX_CANDIDATES = 50
_MAX_PATH = 200
_MAX_ID = 200
_EPOCH_MS_FROM = 100_000_000_000  # numbers this large are milliseconds (1e11 s is year 5138)
_EPOCH_MIN = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH_MAX = datetime(2100, 1, 1, tzinfo=UTC)
_MISSING: Final = object()


class FieldMapError(ValueError):
    """An override the map refuses; the message names the key at fault."""


# -- paths and routes ----------------------------------------------------------------------
Segment = tuple[str, int | None]


def _compile_path(key: str, position: int, path: Any) -> tuple[Segment, ...]:
    where = f"field map key {key!r}, candidate {position}"
    if not isinstance(path, str) or not path.strip():
        raise FieldMapError(f"{where}: must be a non-empty string")
    if len(path) > _MAX_PATH:
        raise FieldMapError(f"{where}: longer than {_MAX_PATH} characters")
    if path == ROOT:
        return ()
    parts = path.split(".")
    if any(not part or part != part.strip() for part in parts):
        raise FieldMapError(f"{where}: {path!r} is not a dotted path such as 'props.messages.data'")
    return tuple((part, int(part) if part.isdigit() else None) for part in parts)


@dataclass(frozen=True)
class RoutePattern:
    """A chat route such as `room/{site}/{room}/chat`: literal segments and named captures."""

    pattern: str
    regex: re.Pattern[str] = field(repr=False, compare=False)

    @classmethod
    def compile(cls, position: int, pattern: Any) -> RoutePattern:
        where = f"field map key 'routes', candidate {position}"
        if not isinstance(pattern, str) or not pattern.strip("/ "):
            raise FieldMapError(
                f"{where}: must be a URL path such as 'room/{{site}}/{{room}}/chat'"
            )
        parts = pattern.strip("/").split("/")
        seen: set[str] = set()
        regex = []
        for part in parts:
            placeholder = _PLACEHOLDER.match(part)
            if placeholder is not None:
                name = placeholder.group(1)
                if name not in _PLACEHOLDERS or name in seen:
                    allowed = ", ".join(sorted(f"{{{p}}}" for p in _PLACEHOLDERS))
                    raise FieldMapError(
                        f"{where}: {part} is unknown or repeated (allowed: {allowed})"
                    )
                seen.add(name)
                regex.append(f"(?P<{name}>[^/]+)")
            elif _LITERAL.match(part):
                regex.append(re.escape(part))
            else:
                raise FieldMapError(
                    f"{where}: segment {part!r} is neither a word nor a placeholder"
                )
        return cls(pattern, re.compile("^/" + "/".join(regex) + "/?$"))


@dataclass(frozen=True)
class RouteMatch:
    """What a chat URL says: the site slug, and the room or the sender when the route names one."""

    pattern: str
    site: str | None
    room: str | None
    sender: str | None


# -- the map -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldMap:
    """Candidate paths per key. Build it with `field_map_from_override` or use `DEFAULT_MAP`."""

    candidates: Mapping[str, tuple[str, ...]]
    #: Keys whose candidates came from the owner's override.
    overridden: frozenset[str] = frozenset()
    _paths: Mapping[str, tuple[tuple[Segment, ...], ...]] = field(
        init=False, repr=False, compare=False
    )
    _routes: tuple[RoutePattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [key for key in FIELD_KEYS if key not in self.candidates]
        if missing:
            raise FieldMapError(f"field map lacks keys {missing}")
        paths = {
            key: tuple(_compile_path(key, n, p) for n, p in enumerate(self.candidates[key], 1))
            for key in FIELD_KEYS
            if key != "routes"
        }
        routes = tuple(
            RoutePattern.compile(n, p) for n, p in enumerate(self.candidates["routes"], 1)
        )
        object.__setattr__(self, "_paths", paths)
        object.__setattr__(self, "_routes", routes)

    def as_json(self) -> dict[str, list[str]]:
        """The effective map, in the override's own format (to show the owner what is used)."""
        return {key: list(self.candidates[key]) for key in FIELD_KEYS}

    def paths(self, key: str) -> tuple[tuple[Segment, ...], ...]:
        return self._paths[key]

    def match_route(self, url: str | None) -> RouteMatch | None:
        """The first route whose pattern matches the URL's path (absolute or relative URL)."""
        if not url:
            return None
        path = unquote(urlsplit(url).path)
        for route in self._routes:
            found = route.regex.match(path)
            if found is not None:
                groups = found.groupdict()
                return RouteMatch(
                    route.pattern,
                    groups.get("site"),
                    _username(groups.get("room")),
                    _username(groups.get("sender")),
                )
        return None


DEFAULT_MAP: Final = FieldMap(DEFAULT_FIELD_MAP)


def field_map_from_override(text: str | None) -> FieldMap:
    """The default map with the override's keys replaced. `text` is the override's JSON.

    Each key given must be a known key whose value is a non-empty list of candidate strings
    (a single string is taken as a list of one); a FieldMapError names the first key at fault.
    """
    if text is None or not text.strip():
        return DEFAULT_MAP
    try:
        override = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldMapError(
            f"field map is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    if not isinstance(override, dict):
        raise FieldMapError("field map must be a JSON object of key -> list of paths")
    candidates = dict(DEFAULT_FIELD_MAP)
    for key, value in override.items():
        if key not in FIELD_KEYS:
            known = ", ".join(FIELD_KEYS)
            raise FieldMapError(f"field map key {key!r} is unknown (known keys: {known})")
        listed = [value] if isinstance(value, str) else value
        if not isinstance(listed, list) or not listed:
            raise FieldMapError(f"field map key {key!r}: must be a non-empty list of paths")
        if len(listed) > _MAX_CANDIDATES:
            raise FieldMapError(f"field map key {key!r}: more than {_MAX_CANDIDATES} candidates")
        candidates[key] = tuple(listed)
    return FieldMap(candidates, overridden=frozenset(override))


# -- reading values ------------------------------------------------------------------------
def _get(node: Any, path: tuple[Segment, ...]) -> Any:
    for key, index in path:
        if isinstance(node, dict):
            node = node.get(key, _MISSING)
            if node is _MISSING:
                return _MISSING
        elif isinstance(node, list) and index is not None and index < len(node):
            node = node[index]
        else:
            return _MISSING
    return node


def _first(node: Any, paths: Sequence[tuple[Segment, ...]], read: Callable[[Any], Any]) -> Any:
    """The first candidate's value that `read` accepts (returns non-None for), else None."""
    for path in paths:
        value = _get(node, path)
        if value is not _MISSING and value is not None:
            accepted = read(value)
            if accepted is not None:
                return accepted
    return None


def _username(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    candidate = value.strip().lower()
    if len(candidate) > MAX_USERNAME_LENGTH or not USERNAME_PATTERN.match(candidate):
        return None
    return candidate


def _message_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= _MAX_ID:
        return value.strip()
    return None


def _tokens(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def _url(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _page_number(value: Any) -> int | None:
    number = _tokens(value)
    return number if number is not None and number >= 1 else None


def _zone_name(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _time_value(value: Any) -> str | int | float | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, str | int | float) else None


def _text(node: Any, paths: Sequence[tuple[Segment, ...]]) -> str | None:
    """The first non-empty text; an empty text only when no candidate has a non-empty one
    (a tip without a message is still a message)."""
    empty = False
    for path in paths:
        value = _get(node, path)
        if isinstance(value, str):
            if value:
                return value
            empty = True
    return "" if empty else None


# -- times ---------------------------------------------------------------------------------
class TimeNote(StrEnum):
    """A local time that DST makes ambiguous (it happened twice) or nonexistent (skipped)."""

    AMBIGUOUS = "ambiguous"
    NONEXISTENT = "nonexistent"


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone `name`, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, a long name
        return None


def local_to_utc(local: datetime, zone: ZoneInfo) -> tuple[datetime, TimeNote | None]:
    """A naive wall-clock time in `zone` as a UTC instant, the way PostgreSQL reads
    `timestamp AT TIME ZONE`: an ambiguous time (the hour repeated when clocks go back) is the
    later instant, in standard time; a nonexistent time (the hour skipped when clocks go
    forward) is read with the offset in force before the jump (02:30 New York on the spring
    change = 07:30 UTC = 03:30 EDT). Either case is returned with its note.
    """
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    offset = first.utcoffset()
    if offset == second.utcoffset():
        return (local - (offset or timedelta(0))).replace(tzinfo=UTC), None
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return second.astimezone(UTC), TimeNote.AMBIGUOUS
    return instant, TimeNote.NONEXISTENT


def _epoch(number: float) -> datetime | None:
    seconds = number / 1000.0 if abs(number) >= _EPOCH_MS_FROM else float(number)
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if _EPOCH_MIN <= moment < _EPOCH_MAX else None


def parse_time(
    value: str | int | float, zone: ZoneInfo | None
) -> tuple[datetime, bool, TimeNote | None] | None:
    """(UTC instant, whether `zone` was applied, DST note), or None when unreadable.

    Accepted: ISO 8601 with or without an offset (`2026-03-08T07:30:00.000000Z`,
    `2026-03-08 02:30:00`), and epoch seconds or milliseconds (numbers or digit strings).
    A date without a time of day is not a moment and is not accepted.
    """
    if isinstance(value, int | float):
        moment = _epoch(value)
        return None if moment is None else (moment, False, None)
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        moment = _epoch(float(text))
        return None if moment is None else (moment, False, None)
    if len(text) < 16:  # "YYYY-MM-DDTHH:MM" at the least
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC), False, None
    if zone is None:
        return parsed.replace(tzinfo=UTC), True, None
    instant, note = local_to_utc(parsed, zone)
    return instant, True, note


# -- the result ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line read through the map. `occurred_at` is UTC; `raw` is the item as sent."""

    external_id: str
    message_id: str | None
    occurred_at: datetime
    sender: str
    text: str
    room: str | None
    tokens: int | None
    #: Position of the item in the response's list.
    index: int
    #: Among identical messages (no id; same room, sender, time, text) in this response: 0, 1...
    ordinal: int
    #: The zone a time without an offset was read in; None when the value carried its own.
    local_zone: str | None
    time_note: TimeNote | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class UnmappedItem:
    """An item the map could not read: kept whole, with why (never the values themselves)."""

    index: int
    reasons: tuple[str, ...]
    raw: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class ChatPage:
    """One chat response read through the map: what a storage step takes as it is."""

    url: str | None
    messages: tuple[ChatMessage, ...]
    unmapped: tuple[UnmappedItem, ...]
    #: Whether the map found a list of items at all (False: not a chat response we can read).
    items_found: bool
    next_url: str | None
    current_page: int | None
    last_page: int | None
    #: The zone naive times were read in, and whether the page said so or it was assumed.
    zone: str
    zone_assumed: bool
    route: RouteMatch | None
    problems: tuple[str, ...]
    raw: Any = field(repr=False, compare=False)


def external_id(
    message_id: str | None,
    *,
    room: str | None,
    sender: str,
    occurred_at: datetime,
    text: str,
    ordinal: int,
) -> str:
    """`id:<room>:<message id>` when Plus gave an id (`id:<message id>` when the room is not
    known); else `h:` + a hash of what identifies the line.

    The room scopes Plus's id: nothing says Plus numbers messages across all rooms, and two
    rooms' messages sharing a number must never be taken for one. The ordinal (0 for the
    first of identical lines in one response, 1 for the next...) keeps two identical lines
    said in the same second apart, and makes a re-read of the same response produce the same
    ids.
    """
    if message_id is not None:
        return f"id:{room}:{message_id}" if room else f"id:{message_id}"
    key = json.dumps(
        [room or "", sender, occurred_at.isoformat(), text, ordinal],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "h:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def page_url(body: Any, url: str | None) -> str | None:
    """The URL a response answers: the request URL, else an Inertia page's own `url`."""
    if url:
        return url
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        return str(body["url"])
    return None


def next_page_url(body: Any, field_map: FieldMap = DEFAULT_MAP) -> str | None:
    """The paginator's next URL, as the page gives it (may be relative); None at the end."""
    found: str | None = _first(body, field_map.paths("next"), _url)
    return found


def chat_items(body: Any, field_map: FieldMap = DEFAULT_MAP) -> list[Any] | None:
    """The response's list of message items, or None when the map finds none."""
    found: list[Any] | None = _first(body, field_map.paths("items"), _list)
    return found


def matched_props(body: Any, field_map: FieldMap = DEFAULT_MAP) -> tuple[str, ...]:
    """The top-level Inertia props that hold the items, the next URL and the timezone on this
    page: what a partial reload must ask for to read the next page the same way. Empty (ask
    for whole pages) when the items are not in a prop the map found: a partial reload must
    never leave out a chat the map cannot read yet, its raw pages are what the owner maps."""
    props: list[str] = []
    readers: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("items", _list),
        ("next", _url),
        ("page", _page_number),
        ("last_page", _page_number),
        ("timezone", _zone_name),
    )
    for key, read in readers:
        for path in field_map.paths(key):
            value = _get(body, path)
            if value is not _MISSING and value is not None and read(value) is not None:
                in_prop = len(path) >= 2 and path[0][0] == "props"
                if key == "items" and not in_prop:
                    return ()
                if in_prop and path[1][0] not in props:
                    props.append(path[1][0])
                break
        else:
            if key == "items":
                return ()
    return tuple(props)


def read_chat_page(
    body: Any,
    *,
    url: str | None = None,
    field_map: FieldMap = DEFAULT_MAP,
    assume_zone: str = "UTC",
) -> ChatPage:
    """Read one chat response (an Inertia page object or plain JSON) through the map.

    `url` is the request URL when known (else an Inertia page's own `url` is used): the room
    (or, on a member's chat, the sender) comes from it when an item does not say.
    `assume_zone` is used when the page gives no timezone.
    """
    at = page_url(body, url)
    route = field_map.match_route(at)
    problems: list[str] = []
    zone_name = _first(body, field_map.paths("timezone"), _zone_name)
    zone = zone_named(zone_name) if zone_name is not None else None
    zone_assumed = zone is None
    if zone_name is not None and zone is None:
        problems.append("the page's timezone is not a known IANA zone")
    if zone is None:
        zone_name = assume_zone
        zone = zone_named(assume_zone)
        if zone is None:
            raise ValueError(f"unknown zone {assume_zone!r}")
    utc_zone = zone_name in ("UTC", "Etc/UTC")

    items = chat_items(body, field_map)
    if items is None:
        problems.append("no list of messages found by the field map")
    messages: list[ChatMessage] = []
    unmapped: list[UnmappedItem] = []
    seen: dict[tuple[str | None, str, datetime, str], int] = {}
    paths = field_map.paths
    for index, item in enumerate(items or ()):
        if not isinstance(item, dict):
            unmapped.append(UnmappedItem(index, ("not an object",), item))
            continue
        sender = _first(item, paths("sender"), _username)
        if sender is None and route is not None:
            sender = route.sender
        text = _text(item, paths("text"))
        raw_time = _first(item, paths("time"), _time_value)
        reasons = []
        if sender is None:
            reasons.append("no sender")
        if text is None:
            reasons.append("no text")
        parsed = None
        if raw_time is None:
            reasons.append("no time")
        else:
            parsed = parse_time(raw_time, None if utc_zone else zone)
            if parsed is None:
                reasons.append("time not readable")
        if reasons or parsed is None or sender is None or text is None:
            unmapped.append(UnmappedItem(index, tuple(reasons), item))
            continue
        occurred_at, local, note = parsed
        room = _first(item, paths("room"), _username)
        if room is None and route is not None:
            room = route.room
        message_id = _first(item, paths("id"), _message_id)
        ordinal = 0
        if message_id is None:
            key = (room, sender, occurred_at, text)
            ordinal = seen.get(key, 0)
            seen[key] = ordinal + 1
        messages.append(
            ChatMessage(
                external_id=external_id(
                    message_id,
                    room=room,
                    sender=sender,
                    occurred_at=occurred_at,
                    text=text,
                    ordinal=ordinal,
                ),
                message_id=message_id,
                occurred_at=occurred_at,
                sender=sender,
                text=text,
                room=room,
                tokens=_first(item, paths("tokens"), _tokens),
                index=index,
                ordinal=ordinal,
                local_zone=zone_name if local else None,
                time_note=note,
                raw=item,
            )
        )
    return ChatPage(
        url=at,
        messages=tuple(messages),
        unmapped=tuple(unmapped),
        items_found=items is not None,
        next_url=next_page_url(body, field_map),
        current_page=_first(body, paths("page"), _page_number),
        last_page=_first(body, paths("last_page"), _page_number),
        zone=zone_name,
        zone_assumed=zone_assumed,
        route=route,
        problems=tuple(problems),
        raw=body,
    )
