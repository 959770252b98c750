"""Usernames in text the owner pastes (a profile, a chat excerpt, a list of names).

Chaturbate usernames are `[a-z0-9_]`, case-folded. Free text is full of words that look like
usernames ("hello", "Followers"), so only unambiguous forms count:

- a Chaturbate room URL: `chaturbate.com/<name>/` (site pages such as `/tag/` are not rooms);
- an `@name` mention;
- a paste that is nothing but a list of names (one or more per line, separated by whitespace
  or commas) with no URL or mention in it: every entry.

Results keep the order of first appearance, without duplicates, capped at `MAX_EXTRACTED`.
"""

from __future__ import annotations

import re

from mhc.domain.usernames import MAX_USERNAME_LENGTH, USERNAME_PATTERN

#: More names than this in one paste is not a lookup, it is an import.
MAX_EXTRACTED = 50

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

_NAME = r"[A-Za-z0-9_]{1,64}"
_ROOM_URL = re.compile(
    rf"(?i)(?:https?://)?(?:[a-z0-9-]+\.)*chaturbate\.com/(?:p/)?(?P<name>{_NAME})(?![A-Za-z0-9_])"
)
_URL_PATH_PREFIX = re.compile(r"(?i)chaturbate\.com/p/")
_MENTION = re.compile(rf"(?<![A-Za-z0-9_@./])@(?P<name>{_NAME})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])")
_LIST_SEPARATOR = re.compile(r"[\s,;]+")


def _valid(candidate: str) -> str | None:
    name = candidate.lower()
    if len(name) > MAX_USERNAME_LENGTH or not USERNAME_PATTERN.match(name):
        return None
    return name


def _room_names(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _ROOM_URL.finditer(text):
        name = match.group("name").lower()
        is_profile_path = bool(_URL_PATH_PREFIX.search(match.group(0)))
        if name in SITE_PATHS and not is_profile_path:
            continue
        found.append((match.start(), name))
    return found


def _mentions(text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group("name").lower()) for match in _MENTION.finditer(text)]


def _list_entries(text: str) -> list[str]:
    """Every entry when the text is only a list of names; nothing when it is anything else."""
    entries = [entry for entry in _LIST_SEPARATOR.split(text) if entry]
    names = [_valid(entry) for entry in entries]
    if any(name is None for name in names):
        return []
    return [name for name in names if name is not None]


def extract_usernames(text: str, *, limit: int = MAX_EXTRACTED) -> list[str]:
    """The usernames named in `text`, first appearance first, at most `limit`."""
    has_url = _ROOM_URL.search(text) is not None
    positioned = _room_names(text) + _mentions(text)
    if has_url or positioned:
        candidates = [name for _, name in sorted(positioned)]
    else:
        candidates = _list_entries(text)
    seen: set[str] = set()
    result: list[str] = []
    for candidate in candidates:
        name = _valid(candidate)
        if name is None or name in seen:
            continue
        seen.add(name)
        result.append(name)
        if len(result) >= limit:
            break
    return result
