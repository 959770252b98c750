"""The local `.env` file `mhc init` writes: the owner, a generated API token, hints for the rest.

The file holds secrets: it is written with `mhc.files.write_private` (mode 0600, atomic; without
`force` an existing `.env` is never replaced, even one that appears while it is written).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from mhc.files import write_private

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
    try:
        write_private(path, text, replace=force)
    except FileExistsError:
        raise EnvFileExists(str(path)) from None
