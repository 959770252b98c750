"""Token-history exports as Chaturbate lets a broadcaster download them (EXTERNAL_APIS.md §7),
and Events API envelopes for the same payments captured live."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

HEADER = ("User", "Token change", "Timestamp", "Transaction type", "Note")
TIP = "Tip received"
PRIVATE = "Private show"
SPY = "Spy on private show"
MEDIA = "Photos/videos purchased"


def stamp(at: datetime) -> str:
    """How the export writes a time (no offset: read in MHC_TOKEN_HISTORY_TIMEZONE)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def export_lines(rows: Iterable[Sequence[object]], header: Sequence[str] = HEADER) -> list[str]:
    """The export's text lines (line endings kept): header, then one line per row. A row is
    (user, token change, timestamp, transaction type, note); datetimes are written as the
    export writes them."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([stamp(v) if isinstance(v, datetime) else v for v in row])
    return out.getvalue().splitlines(keepends=True)


def export_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    return "".join(export_lines(rows)).encode("utf-8")


def event_id(at: datetime, seq: int = 0) -> str:
    return f"{int(at.timestamp() * 1000)}-{seq}"


def envelope(method: str, at: datetime, obj: dict[str, Any], seq: int = 0) -> dict[str, Any]:
    return {"method": method, "id": event_id(at, seq), "object": obj}


def _user(username: str, **flags: Any) -> dict[str, Any]:
    return {
        "username": username,
        "inFanclub": False,
        "hasTokens": True,
        "isMod": False,
        "recentTips": "none",
        "gender": "m",
        **flags,
    }


def tip_event(
    owner: str, username: str, tokens: int, at: datetime, *, anonymous: bool = False, seq: int = 0
) -> dict[str, Any]:
    return envelope(
        "tip",
        at,
        {
            "broadcaster": owner,
            "user": _user(username),
            "tip": {"tokens": tokens, "isAnon": anonymous, "message": "| hi"},
        },
        seq,
    )


def media_event(
    owner: str, username: str, tokens: int, at: datetime, seq: int = 0
) -> dict[str, Any]:
    return envelope(
        "mediaPurchase",
        at,
        {
            "broadcaster": owner,
            "user": _user(username),
            "media": {"id": 7, "type": "photos", "name": "set", "tokens": tokens},
        },
        seq,
    )


def room_event(
    method: str, owner: str, username: str, at: datetime, seq: int = 0, **flags: Any
) -> dict[str, Any]:
    """userEnter, userLeave, follow, fanclubJoin ... in the owner's room."""
    return envelope(method, at, {"broadcaster": owner, "user": _user(username, **flags)}, seq)


def broadcast_event(method: str, owner: str, at: datetime, seq: int = 0) -> dict[str, Any]:
    return envelope(method, at, {"broadcaster": owner, "user": {"username": owner}}, seq)


def busy_export(count: int, *, seed: int = 18, start: datetime | None = None) -> list[str]:
    """A busy room's export of `count` rows: tips, per-minute private and spy shows, media and
    other income, from a few thousand tippers, oldest first."""
    rng = random.Random(seed)
    users = [f"tipper_{n:05d}" for n in range(max(50, count // 40))]
    moment = start or datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[tuple[object, ...]] = []
    while len(rows) < count:
        moment += timedelta(seconds=rng.randint(1, 120))
        roll = rng.random()
        user = rng.choice(users)
        if roll < 0.55:
            rows.append((user, rng.choice((1, 5, 10, 25, 50, 100, 500)), moment, TIP, ""))
        elif roll < 0.85:
            kind, price = (PRIVATE, 60) if roll < 0.75 else (SPY, 30)
            for minute in range(rng.randint(1, 30)):
                rows.append((user, price, moment + timedelta(minutes=minute), kind, ""))
            moment += timedelta(minutes=30)
        elif roll < 0.95:
            rows.append((user, rng.choice((50, 100, 200)), moment, MEDIA, "set 7"))
        else:
            rows.append((user, rng.choice((10, 99)), moment, "Fan club membership", ""))
    return export_lines(rows[:count])
