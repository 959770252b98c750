"""The local `.env` file `mhc init` writes: the owner, a generated API token, hints for the rest.

The file holds secrets, so it is created with mode 0600 and written atomically: the text goes to
a private temporary file in the same directory, is flushed to disk, and is then linked into
place (which fails when a `.env` already exists) or, with `force`, renamed over the old one. A
crash at any point leaves either no `.env` or a complete one, never half of one.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

#: Settings `mhc init` writes; with `force`, every other line of an existing `.env` is kept.
OWNER_VARIABLE = "MHC_OWNER_USERNAME"
TOKEN_VARIABLE = "MHC_API_TOKEN"  # noqa: S105 (a variable name, not a secret)
_MANAGED = re.compile(rf"^\s*(?:export\s+)?({OWNER_VARIABLE}|{TOKEN_VARIABLE}(?:_PARAM)?)\s*=")
_HEADER = "# Written by `mhc init`. Never commit this file: it holds secrets.\n"

#: What a new `.env` offers next to the owner and token (README: "Where each token comes from").
HINTS = """\
# Collectors: fill in what you use (README, "Where each token comes from").
# MHC_EVENTS_URL=https://eventsapi.chaturbate.com/events/<username>/<token>/
# MHC_STATS_TOKEN=
# MHC_STATBATE_TOKEN=
# MHC_AFFILIATE_CAMPAIGN=
# MHC_STATBATE_PLUS_SESSION=
# MHC_STATBATE_PLUS_XSRF=
"""


class EnvFileExists(Exception):
    """`.env` is already there and `force` was not given."""


def new_api_token() -> str:
    """A random URL-safe token of 43 characters (256 bits)."""
    return secrets.token_urlsafe(32)


def previous_owner(text: str) -> str | None:
    """The owner an existing `.env` names (so `--force` without `--owner` keeps it)."""
    for line in text.splitlines():
        match = re.match(rf"^\s*(?:export\s+)?{OWNER_VARIABLE}\s*=\s*(.*?)\s*$", line)
        if match and match.group(1).strip("\"'"):
            return match.group(1).strip("\"'")
    return None


def render(owner: str | None, token: str, previous: str | None = None) -> str:
    """The `.env` text: owner and token first, then the previous file's other lines (or hints).

    Without an owner the line is left commented out, so the file still loads."""
    owner_line = f"{OWNER_VARIABLE}={owner}" if owner else f"# {OWNER_VARIABLE}=your_username"
    head = f"{_HEADER}{owner_line}\n{TOKEN_VARIABLE}={token}\n"
    if previous is None:
        return f"{head}\n{HINTS}"
    kept = [
        line
        for line in previous.splitlines()
        if not _MANAGED.match(line) and line.rstrip("\n") != _HEADER.rstrip("\n")
    ]
    rest = "\n".join(kept).strip("\n")
    return f"{head}\n{rest}\n" if rest else head


def write(path: Path, text: str, *, force: bool = False) -> None:
    """Write `text` to `path` (mode 0600) atomically; raise EnvFileExists unless `force`."""
    if path.exists() and not force:
        raise EnvFileExists(str(path))
    directory = path.parent
    temporary = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # atomic, and never replaces an existing file
            except FileExistsError:
                raise EnvFileExists(str(path)) from None
            except OSError:  # a file system without hard links: re-check, then rename
                if path.exists():
                    raise EnvFileExists(str(path)) from None
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
