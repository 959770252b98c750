"""Chaturbate Events API events: lenient typed views over the raw envelope.

The envelope is stored exactly as received; these views exist so services can read the fields
they need. One unknown method or enum value must never drop a batch (strict models killed other
pollers), so every field is optional and anything unexpected stays in `raw`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from mhc.domain.lenient import LenientModel, parse_lenient


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


#: Values seen for `user.recentTips` (`few` is undocumented but real); others are kept as is.
KNOWN_RECENT_TIPS = frozenset({"none", "few", "some", "lots", "tons"})

_EVENT_ID = re.compile(r"^(\d{1,16})-(\d+)$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_time(event_id: str) -> datetime:
    """When an event happened: the id is "<epoch-ms>-<seq>" and there is no timestamp field."""
    match = _EVENT_ID.match(event_id) if isinstance(event_id, str) else None
    if match is None:
        raise ValueError("event id has no '<epoch-ms>-<seq>' prefix")
    try:
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    except OverflowError:
        raise ValueError("event id timestamp is out of range") from None


class EventUser(LenientModel):
    username: str
    in_fanclub: bool | None = Field(default=None, alias="inFanclub")
    has_tokens: bool | None = Field(default=None, alias="hasTokens")
    is_mod: bool | None = Field(default=None, alias="isMod")
    recent_tips: str | None = Field(default=None, alias="recentTips")
    gender: str | None = None
    subgender: str | None = None


class EventMessage(LenientModel):
    message: str | None = None
    color: str | None = None
    bg_color: str | None = Field(default=None, alias="bgColor")
    font: str | None = None
    orig: str | None = None
    from_user: str | None = Field(default=None, alias="fromUser")
    to_user: str | None = Field(default=None, alias="toUser")


class EventTip(LenientModel):
    tokens: int | None = None
    is_anon: bool | None = Field(default=None, alias="isAnon")
    message: str | None = None


class EventMedia(LenientModel):
    #: An int in the docs and a string elsewhere: kept as text.
    id: str | None = None
    type: str | None = None
    name: str | None = None
    tokens: int | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


@dataclass(frozen=True)
class Event:
    """One event: `raw` is the envelope exactly as received; the rest is a lenient view of it."""

    id: str
    method: str
    raw: Mapping[str, Any] = field(repr=False)
    occurred_at: datetime | None
    #: The room the event happened in; "" means a direct message outside any room.
    broadcaster: str | None
    user: EventUser | None = None
    message: EventMessage | None = None
    tip: EventTip | None = None
    media: EventMedia | None = None
    subject: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def known_method(self) -> EventMethod | None:
        try:
            return EventMethod(self.method)
        except ValueError:
            return None


def _part(obj: Mapping[str, Any], key: str, model: type[LenientModel], problems: list[str]) -> Any:
    if key not in obj or obj[key] is None:
        return None
    parsed, found = parse_lenient(model, obj[key])
    problems.extend(f"object.{key}.{p}" for p in found)
    return parsed


def parse_event(raw: Any) -> Event | None:
    """A typed view of one envelope, or None when it has no usable string `id` and `method`."""
    if not isinstance(raw, Mapping):
        return None
    event_id, method = raw.get("id"), raw.get("method")
    if not isinstance(event_id, str) or not event_id or not isinstance(method, str) or not method:
        return None
    problems: list[str] = []
    try:
        occurred_at: datetime | None = event_time(event_id)
    except ValueError as exc:
        occurred_at = None
        problems.append(f"id: {exc}")
    obj = raw.get("object")
    if not isinstance(obj, Mapping):
        if obj is not None:
            problems.append("object: not an object")
        obj = {}
    broadcaster = obj.get("broadcaster", raw.get("broadcaster"))
    subject = obj.get("subject")
    return Event(
        id=event_id,
        method=method,
        raw=raw,
        occurred_at=occurred_at,
        broadcaster=broadcaster if isinstance(broadcaster, str) else None,
        user=_part(obj, "user", EventUser, problems),
        message=_part(obj, "message", EventMessage, problems),
        tip=_part(obj, "tip", EventTip, problems),
        media=_part(obj, "media", EventMedia, problems),
        subject=subject if isinstance(subject, str) else None,
        problems=tuple(problems),
    )
