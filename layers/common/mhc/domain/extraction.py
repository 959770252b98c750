"""Usernames in text the owner pastes: a chat copy, a profile, a list of names, links.

Chaturbate usernames are `[A-Za-z0-9_]{1,64}`, case-folded. Free text is full of words that look
like usernames ("hello", "Followers"), and a wrong person is worse than a missed one, so a name
counts only where its place in the text says it is a name (decisions 22 and 36):

- anywhere: a room URL (`chaturbate.com/<name>/`, `/p/<name>/`; site pages such as `/tag/` are not
  rooms) and an `@name` mention;
- in a paste most of whose lines are in a format Chaturbate's chat shows (more than half of the
  non-empty lines): the speaker of a chat line `name: message`, the tipper of
  `name tipped 50 tokens` (also "has tipped", "tipped 1 token", "-- message" after it, "tipped
  for <menu item>"), the subject of `name has joined the room` / `has left the room` /
  `is now following`, with or without a leading `Notice:`;
- in a paste made only of lists (and links): every entry, one name per line or several
  separated by commas, semicolons or tabs.

In chat formats the name must be written as Chaturbate writes it, in lower case: a capitalised
word at the start of a line is a sentence ("Someone tipped 50 tokens") or a label
("Followers: 1234"). Words that are never a name there (pronouns, "note:", "Anonymous" of an
anonymous tip, "Notice") are skipped; an all-digit word is a number or a time. Leading emoji,
badges, bullets, list numbers and a timestamp (`12:30`, `[12:30:05 PM]`, `2024-05-01 12:30`)
are not part of a line's format. A space-separated run of words is prose, not a list.

The reading is linear in the text (every pattern is anchored or bounded; tested by input-size
scaling) and bounded: at most `MAX_PASTE_CHARS` characters are read.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

#: More names than this in one paste is not a lookup, it is an import.
MAX_EXTRACTED = 50
#: Characters of a paste that are read (the lookup API refuses longer pastes); the last,
#: partial line of a longer text is dropped so a cut name is never read.
MAX_PASTE_CHARS = 50_000
#: A line is quoted at most this long in the result (cut around the name).
MAX_LINE_TEXT = 300
#: Lines that named nobody are listed up to this many (`unread_count` has them all).
MAX_UNREAD_LINES = 50
#: Leading decoration (emoji, badges, bullets) longer than this is not decoration.
_MAX_DECORATION = 16

#: First path segments of chaturbate.com that are site pages, not rooms.
SITE_PATHS = frozenset(
    {
        "accounts",
        "affiliates",
        "api",
        "apps",
        "auth",
        "b",
        "contest",
        "couple-cams",
        "external_link",
        "female-cams",
        "in",
        "male-cams",
        "p",
        "photo_videos",
        "privacy",
        "security",
        "space",
        "statsapi",
        "supporter",
        "tag",
        "tags",
        "terms",
        "tipping",
        "trans-cams",
    }
)

#: Who speaks in a chat copy without being a person: a chat format with these is still chat.
SYSTEM_SPEAKERS = frozenset({"notice", "anonymous"})

#: Words that are never a name at the start of a chat-format line (prose, labels, schemes).
NOT_NAMES = frozenset(
    {
        *("i", "me", "you", "u", "he", "she", "it", "we", "they", "him", "her", "them", "who"),
        *("someone", "somebody", "anyone", "anybody", "everyone", "everybody", "nobody", "noone"),
        *("this", "that", "these", "those", "my", "your", "his", "its", "our", "their"),
        *("a", "an", "the", "and", "or", "but", "so", "if", "then", "also", "just", "lol"),
        *("note", "notes", "ps", "pps", "edit", "update", "btw", "fyi", "re", "fw", "fwd"),
        *("subject", "topic", "tag", "tags", "goal", "tip", "tips", "menu", "tipmenu", "rules"),
        *("followers", "following", "location", "languages", "language", "age", "sex", "gender"),
        *("birthday", "bio", "about", "status", "online", "offline", "room", "info", "warning"),
        *("time", "date", "today", "yesterday", "tomorrow", "total", "user", "username", "name"),
        *("http", "https", "ftp", "mailto", "www", "q", "question", "answer", "example"),
    }
)


class PasteFormat(StrEnum):
    """Where in the paste a name was found."""

    CHAT = "chat"  # tokenking: hey
    TIP = "tip"  # tokenking tipped 50 tokens
    JOIN = "join"  # tokenking has joined the room
    LEAVE = "leave"  # tokenking has left the room
    FOLLOW = "follow"  # tokenking is now following
    LIST = "list"  # alice, bob
    ROOM_URL = "room_url"  # https://chaturbate.com/alice/
    MENTION = "mention"  # @alice


@dataclass(frozen=True, slots=True)
class FoundName:
    """A username and the first line that names it (numbered from 1, as `str.splitlines`)."""

    username: str
    line: int
    text: str  # that line, stripped, at most MAX_LINE_TEXT characters around the name
    format: PasteFormat
    lines: int  # how many lines name this person


@dataclass(frozen=True, slots=True)
class UnreadLine:
    """A line that named nobody and is not the room talking (prose, a label, a chat line in a
    paste that is mostly not chat); blank lines and bare timestamps are not listed."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class PasteReading:
    names: tuple[FoundName, ...]  # first appearance first, at most `limit`
    unread: tuple[UnreadLine, ...]  # at most MAX_UNREAD_LINES
    unread_count: int
    more_names: bool  # names beyond `limit` were left out
    truncated: bool  # the text was longer than MAX_PASTE_CHARS; the rest was not read

    @property
    def usernames(self) -> list[str]:
        return [found.username for found in self.names]


_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# Every pattern below is linear: anchored at a line position (`match`) or starting with a
# character that cannot repeat inside it, with bounded repetitions and no nested quantifiers.
# The host part of a room URL is bounded (at most four labels) and must start at a boundary:
# an unbounded `(?:[a-z0-9-]+\.)*` rescanned the rest of the text from every position.
_ROOM_URL = re.compile(
    r"(?ai)(?<![a-z0-9_.:/@-])(?:https?:)?(?://)?(?:[a-z0-9-]{1,63}\.){0,4}chaturbate\.com/"
    r"(?P<profile>p/)?(?P<name>[a-z0-9_]{1,64})(?![a-z0-9_-])"
)
_MENTION = re.compile(
    r"(?<![A-Za-z0-9_@./])@(?P<name>[A-Za-z0-9_]{1,64})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])"
)
_LINK_TOKEN = re.compile(
    r"(?ai)(?:\S{0,16}chaturbate\.com/\S{0,200}|@[a-z0-9_]{1,64}[.,;:!?)]?|[,;|()\[\]<>-])\Z"
)
_TIMESTAMP = re.compile(
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[T ])?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"
    r"(?:\s{0,2}(?i:[ap]\.?m\.?))?(?![A-Za-z0-9_:])"
)
_LIST_NUMBER = re.compile(r"[0-9]{1,4}[.)]\s{1,8}(?=\S)")
_NOTICE_PREFIX = re.compile(r"(?i:notice):\s{0,8}")
# One pattern for every chat format (one call per line): the name slot, then what follows it.
_CHAT_FORMAT = re.compile(
    r"(?P<name>[A-Za-z0-9_]{1,64})(?:"
    r"(?P<chat>:\s{1,16}\S)"
    r"|\s{1,4}(?i:(?P<tip>(?:has\s{1,4})?tipped\s{1,4}"
    r"(?:[0-9]{1,9}(?:,[0-9]{3}){0,3}\s{1,4}tokens?|for))(?![A-Za-z0-9_])"
    r"|has\s{1,4}(?:(?P<join>joined)|(?P<leave>left))\s{1,4}(?:the|this|your|my)\s{1,4}room"
    r"\s{0,4}[.!]?\Z"
    r"|(?P<follow>(?:is\s{1,4}now|has\s{1,4}started)\s{1,4}following|has\s{1,4}followed)"
    r"(?:\s{1,4}(?:you|the\s{1,4}room))?\s{0,4}[.!]?\Z))"
)
_FORMAT_GROUPS = (
    ("chat", PasteFormat.CHAT),
    ("tip", PasteFormat.TIP),
    ("join", PasteFormat.JOIN),
    ("leave", PasteFormat.LEAVE),
    ("follow", PasteFormat.FOLLOW),
)
_LIST_SEPARATOR = re.compile(r"\s{0,64}[,;\t]\s{0,64}")


class _Kind(StrEnum):
    NAMED = "named"  # a chat format naming someone
    SYSTEM = "system"  # a chat format naming nobody (a notice, an anonymous tip)
    LIST = "list"
    LINKS = "links"  # nothing but room URLs, mentions and separators
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class _Hit:
    offset: int  # in the stripped line
    username: str
    format: PasteFormat


@dataclass(slots=True)
class _Line:
    number: int
    text: str  # stripped
    kind: _Kind
    anywhere: list[_Hit]  # room URLs and mentions: count in every paste
    formatted: list[_Hit]  # the chat-format name or the list entries: count by the paste's shape


def _valid(candidate: str) -> str | None:
    """The case-folded username, if `candidate` is one (ASCII only: no look-alike letters)."""
    if not _NAME.fullmatch(candidate):
        return None
    return candidate.lower()


def _skip_decoration(text: str, start: int) -> int:
    """Past leading emoji, badges, bullets and brackets (letters and digits of any script stop it)."""
    end = min(len(text), start + _MAX_DECORATION)
    position = start
    while position < end and not (text[position].isalnum() or text[position] in "_@"):
        position += 1
    return position if position < end or end == len(text) else start


def _core_start(text: str) -> int:
    """Where a line's format begins: after decoration, a timestamp and a list number."""
    position = _skip_decoration(text, 0)
    if position < len(text) and text[position].isdigit():
        stamp = _TIMESTAMP.match(text, position)
        if stamp is not None:
            position = _skip_decoration(text, stamp.end())
        number = _LIST_NUMBER.match(text, position)
        if number is not None:
            position = number.end()
    return position


def _anywhere(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if "/" in text:  # cheap: most lines hold no URL
        for match in _ROOM_URL.finditer(text):
            name = _valid(match.group("name"))
            if name is None or (name in SITE_PATHS and match.group("profile") is None):
                continue
            hits.append(_Hit(match.start(), name, PasteFormat.ROOM_URL))
    if "@" in text:
        for match in _MENTION.finditer(text):
            name = _valid(match.group("name"))
            if name is not None:
                hits.append(_Hit(match.start(), name, PasteFormat.MENTION))
    if len(hits) > 1:
        hits.sort(key=lambda hit: hit.offset)
    return hits


def _speaker(candidate: str) -> tuple[_Kind, str | None]:
    """Whether the word in a chat format's name slot is a person, the system, or not a name."""
    folded = candidate.lower()
    if folded in SYSTEM_SPEAKERS:
        return _Kind.SYSTEM, None
    if candidate != folded or folded.isdigit() or folded in NOT_NAMES:
        return _Kind.OTHER, None
    return _Kind.NAMED, folded


def _chat_format(text: str, start: int) -> tuple[_Kind, _Hit | None] | None:
    """The chat format of the line from `start`, if it has one."""
    notice = _NOTICE_PREFIX.match(text, start) if text[start] in "Nn" else None
    position = notice.end() if notice is not None else start
    match = _CHAT_FORMAT.match(text, position)
    if match is None:
        # "Notice: <anything>" is the room talking
        return (_Kind.SYSTEM, None) if notice is not None else None
    format_ = next(format_ for group, format_ in _FORMAT_GROUPS if match.group(group) is not None)
    if notice is not None and format_ is PasteFormat.CHAT:
        return _Kind.SYSTEM, None
    kind, name = _speaker(match.group("name"))
    if name is None:
        return kind, None
    return kind, _Hit(match.start("name"), name, format_)


def _list_entries(text: str, start: int) -> list[_Hit] | None:
    """The entries of a list line (every one a name), or None when the line is not a list."""
    if _NAME.fullmatch(text, start):  # the common case: one name on the line
        single = text[start:].lower()
        return None if single.isdigit() else [_Hit(start, single, PasteFormat.LIST)]
    hits: list[_Hit] = []
    position = start
    for separator in [*_LIST_SEPARATOR.finditer(text, start), None]:
        end = separator.start() if separator is not None else len(text)
        entry = text[position:end]
        if entry:
            name = _valid(entry)
            if name is None or name.isdigit():
                return None
            hits.append(_Hit(position, name, PasteFormat.LIST))
        if separator is not None:
            position = separator.end()
    return hits or None


def _is_links_only(text: str, anywhere: list[_Hit]) -> bool:
    return bool(anywhere) and all(_LINK_TOKEN.match(token) for token in text.split())


def _read_line(number: int, raw: str) -> _Line | None:
    text = raw.strip()
    if not text:
        return None
    anywhere = _anywhere(text)
    start = _core_start(text)
    if start >= len(text):
        return None  # a bare timestamp or a row of emoji: neither for nor against any format
    chat = _chat_format(text, start)
    if chat is not None:
        kind, hit = chat
        return _Line(number, text, kind, anywhere, [hit] if hit is not None else [])
    if _is_links_only(text, anywhere):
        return _Line(number, text, _Kind.LINKS, anywhere, [])
    entries = _list_entries(text, start)
    if entries is not None:
        return _Line(number, text, _Kind.LIST, anywhere, entries)
    return _Line(number, text, _Kind.OTHER, anywhere, [])


def _bounded(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_PASTE_CHARS:
        return text, False
    lines = text[:MAX_PASTE_CHARS].splitlines(keepends=True)
    if lines and lines[-1].splitlines() == [lines[-1]]:
        lines.pop()  # cut short: a partial name would be a wrong name
    return "".join(lines), True


def _quote(text: str, offset: int) -> str:
    """The line, or MAX_LINE_TEXT characters of it around `offset`, marked where cut."""
    if len(text) <= MAX_LINE_TEXT:
        return text
    start = max(0, min(offset - MAX_LINE_TEXT // 3, len(text) - MAX_LINE_TEXT))
    window = text[start : start + MAX_LINE_TEXT]
    return ("…" if start > 0 else "") + window + ("…" if start + MAX_LINE_TEXT < len(text) else "")


def read_paste(
    text: str, *, limit: int = MAX_EXTRACTED, ignore: Collection[str] = ()
) -> PasteReading:
    """Every username `text` names, with the line that names it and how, and the lines it did not.

    Names in `ignore` (case-folded: the owner, whose own lines are in every copy of her chat)
    are understood but not returned.
    """
    body, truncated = _bounded(text)
    read = (_read_line(number, raw) for number, raw in enumerate(body.splitlines(), 1))
    lines = [line for line in read if line is not None]
    kinds = [line.kind for line in lines]
    structured = sum(kind in (_Kind.NAMED, _Kind.SYSTEM, _Kind.LINKS) for kind in kinds)
    is_chat = structured * 2 > len(lines)
    is_list = _Kind.LIST in kinds and all(kind in (_Kind.LIST, _Kind.LINKS) for kind in kinds)

    first: dict[str, FoundName] = {}
    line_counts: dict[str, int] = {}
    more_names = False
    unread: list[UnreadLine] = []
    unread_count = 0
    for line in lines:
        counts = (line.kind is _Kind.NAMED and is_chat) or (line.kind is _Kind.LIST and is_list)
        hits = [*line.anywhere, *line.formatted] if counts and line.formatted else line.anywhere
        if hits is not line.anywhere and len(hits) > 1:
            hits.sort(key=lambda hit: hit.offset)
        named_here: set[str] = set()
        for hit in hits:
            if hit.username in named_here:
                continue
            named_here.add(hit.username)
            if hit.username in ignore:
                continue
            if hit.username in line_counts:
                line_counts[hit.username] += 1
            elif len(first) < limit:
                quote = _quote(line.text, hit.offset)
                first[hit.username] = FoundName(hit.username, line.number, quote, hit.format, 1)
                line_counts[hit.username] = 1
            else:
                more_names = True
        if not named_here and line.kind is not _Kind.SYSTEM:
            unread_count += 1
            if len(unread) < MAX_UNREAD_LINES:
                unread.append(UnreadLine(line.number, _quote(line.text, 0)))
    names = tuple(
        FoundName(f.username, f.line, f.text, f.format, line_counts[f.username])
        for f in first.values()
    )
    return PasteReading(names, tuple(unread), unread_count, more_names, truncated)


def extract_usernames(
    text: str, *, limit: int = MAX_EXTRACTED, ignore: Collection[str] = ()
) -> list[str]:
    """The usernames named in `text`, first appearance first, at most `limit`."""
    return read_paste(text, limit=limit, ignore=ignore).usernames
