"""Chaturbate Events API facts shared by the client and ingest: the documented methods and the
event time carried in the id.

The envelope is stored exactly as received and read directly by `mhc.domain.ingest.derive`
with type-checked getters (decision 12): one unknown method or wrong-typed field never drops a
batch.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from mhc.domain import date_range


class EventMethod(StrEnum):
    """The 12 documented methods; others may appear and are kept as plain strings."""

    BROADCAST_START = "broadcastStart"
    BROADCAST_STOP = "broadcastStop"
    CHAT_MESSAGE = "chatMessage"
    FANCLUB_JOIN = "fanclubJoin"
    FOLLOW = "follow"
    MEDIA_PURCHASE = "mediaPurchase"
    PRIVATE_MESSAGE = "privateMessage"
    ROOM_SUBJECT_CHANGE = "roomSubjectChange"
    TIP = "tip"
    UNFOLLOW = "unfollow"
    USER_ENTER = "userEnter"
    USER_LEAVE = "userLeave"


_EVENT_ID = re.compile(r"^(\d{1,16})-(\d+)$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_time(event_id: str) -> datetime:
    """When an event happened: the id is "<epoch-ms>-<seq>" and there is no timestamp field.

    A time outside `mhc.domain.date_range` is refused rather than stored: an id in epoch
    seconds would otherwise date the event January 1970, silently (ValueError says why)."""
    match = _EVENT_ID.match(event_id) if isinstance(event_id, str) else None
    if match is None:
        raise ValueError("has no '<epoch-ms>-<seq>' prefix")
    try:
        moment = _EPOCH + timedelta(milliseconds=int(match.group(1)))
    except OverflowError:
        raise ValueError(f"time is outside {date_range.DESCRIPTION}") from None
    if not date_range.is_sane(moment):
        shown = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        raise ValueError(f"time {shown} is outside {date_range.DESCRIPTION}")
    return moment
