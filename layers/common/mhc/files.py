"""Private files written whole or not at all (`.env`, an export's manifest).

The data goes to a temporary file in the same directory (mode 0600 from the start), is flushed to
disk, and is then renamed over the target, or hard-linked to it when an existing file must never
be replaced (the link fails if the target appeared meanwhile). A crash at any point leaves the
old file or the new one, never a part of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: str, *, replace: bool = True) -> None:
    """Write `data` to `path`, mode 0600, atomically. With `replace=False`, FileExistsError when
    `path` exists (nothing is written)."""
    if not replace and path.exists():
        raise FileExistsError(str(path))
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    sync_directory(path.parent)


def _link_new(temporary: Path, path: Path) -> None:
    try:
        os.link(temporary, path)  # atomic, and never replaces an existing file
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temporary, path)


def sync_directory(directory: Path) -> None:
    """Make the directory's entries (new and renamed files) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
            os.fsync(fd)
    finally:
        os.close(fd)
