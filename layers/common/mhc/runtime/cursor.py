"""Where the events cursor lives: an SSM SecureString in AWS, a private file locally.

The cursor holds the Events API `nextUrl`, which carries the token: SSM keeps it encrypted, the
local file is created with mode 0600 and replaced atomically (never half-written).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from mhc.domain.polling import CorruptCursor, Cursor
from mhc.observability import register_secret
from mhc.runtime.private_file import write_private_file


def _encode(cursor: Cursor) -> str:
    return json.dumps(
        {
            "next_url": cursor.next_url,
            "chain_id": cursor.chain_id,
            "heartbeat": cursor.heartbeat.isoformat(),
        },
        separators=(",", ":"),
    )


def _decode(text: str, where: str) -> Cursor:
    try:
        data = json.loads(text)
        cursor = Cursor(
            next_url=str(data["next_url"]),
            chain_id=str(data["chain_id"]),
            heartbeat=datetime.fromisoformat(data["heartbeat"]),
        )
    except (ValueError, KeyError, TypeError):
        raise CorruptCursor(f"the events cursor in {where} is unreadable") from None
    if cursor.heartbeat.tzinfo is None:
        raise CorruptCursor(f"the events cursor in {where} has a naive heartbeat")
    register_secret(cursor.next_url)
    return cursor


class FileCursorStore:
    """Local cursor: `MHC_EVENTS_CURSOR_FILE` (default `.mhc/events-cursor.json`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Cursor | None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        return _decode(text, str(self.path))

    def save(self, cursor: Cursor) -> None:
        write_private_file(self.path, _encode(cursor))


class SsmCursorStore:
    """AWS cursor: the SecureString parameter named by `MHC_EVENTS_CURSOR_PARAM`."""

    def __init__(self, name: str, client: Any = None) -> None:
        self.name = name
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "ssm", config=Config(retries={"mode": "adaptive", "max_attempts": 8})
            )
        self._ssm = client

    def load(self) -> Cursor | None:
        try:
            response = self._ssm.get_parameter(Name=self.name, WithDecryption=True)
        except self._ssm.exceptions.ParameterNotFound:
            return None
        return _decode(response["Parameter"]["Value"], f"SSM parameter {self.name}")

    def save(self, cursor: Cursor) -> None:
        self._ssm.put_parameter(
            Name=self.name, Value=_encode(cursor), Type="SecureString", Overwrite=True
        )
