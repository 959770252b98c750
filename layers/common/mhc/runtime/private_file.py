"""Local files that hold secrets (the events cursor, the Statbate Plus cookies): created with
mode 0600 and replaced atomically, so a crash or a full disk never leaves one half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text`: a 0600 temp file in the same folder, fsynced, renamed over
    it. On any failure the previous content stays and the temp file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
