"""What one Events API event means for the owner's history (pure: no I/O).

Rules that bit the earlier system, in one place:
- `broadcaster` is the room. The owner's room -> the event's user is a viewer (VIEWER). Another
  room -> the owner's own activity elsewhere: it stays attributed to that room and its
  broadcaster (MODEL), never rewritten to the owner.
- An empty `broadcaster` is a direct message outside any room.
- In a private message `user` is the sender; the conversation belongs to the counterpart, the one
  of fromUser/toUser that is not the owner.
- Anonymous tips keep their user but are flagged (`metadata.isAnon`).
- Unknown methods are stored raw only, counted, and never stop a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mhc.domain.events import Event, EventMethod
from mhc.domain.models import InteractionType
from mhc.domain.roles import Role
from mhc.domain.usernames import InvalidUsername, normalize_username

_TYPES: dict[EventMethod, InteractionType] = {
    EventMethod.CHAT_MESSAGE: InteractionType.CHAT_MESSAGE,
    EventMethod.PRIVATE_MESSAGE: InteractionType.PRIVATE_MESSAGE,
    EventMethod.TIP: InteractionType.TIP_EVENT,
    EventMethod.FOLLOW: InteractionType.FOLLOW,
    EventMethod.UNFOLLOW: InteractionType.UNFOLLOW,
    EventMethod.USER_ENTER: InteractionType.USER_ENTER,
    EventMethod.USER_LEAVE: InteractionType.USER_LEAVE,
    EventMethod.FANCLUB_JOIN: InteractionType.FANCLUB_JOIN,
    EventMethod.MEDIA_PURCHASE: InteractionType.MEDIA_PURCHASE,
    EventMethod.ROOM_SUBJECT_CHANGE: InteractionType.ROOM_SUBJECT_CHANGE,
}

_USER_FLAGS = ("inFanclub", "hasTokens", "isMod", "recentTips", "gender", "subgender", "isFollower")
_MESSAGE_STYLE = ("color", "bgColor", "font")


class SessionSignal(StrEnum):
    START = "start"
    STOP = "stop"


@dataclass(frozen=True)
class Sighting:
    """Someone the event shows to exist, in a role."""

    username: str
    role: Role


@dataclass(frozen=True)
class DerivedInteraction:
    """An interaction to append, naming its person by username (ids are resolved in bulk)."""

    username: str
    type: InteractionType
    external_id: str
    occurred_at: datetime
    broadcaster: str | None
    content: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Derivation:
    sightings: tuple[Sighting, ...] = ()
    interaction: DerivedInteraction | None = None
    session_signal: SessionSignal | None = None
    #: Why nothing (or less than usual) was derived: unknown method, missing fields ...
    problems: tuple[str, ...] = field(default=())

    @property
    def is_unknown_method(self) -> bool:
        return any(p.startswith("unknown method") for p in self.problems)


def _name(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_username(value)
    except InvalidUsername:
        return None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def derive(event: Event, owner: str) -> Derivation:
    """The sightings, interaction and session signal one event implies."""
    if event.occurred_at is None:
        return Derivation(problems=("event id carries no time",))
    method = event.known_method
    if method is None:
        return Derivation(problems=(f"unknown method {event.method[:50]!r}",))

    room = _name(event.broadcaster)  # None: direct message (empty broadcaster) or unreadable
    in_own_room = room == owner
    actor = _name(event.user.username) if event.user else None

    if method in (EventMethod.BROADCAST_START, EventMethod.BROADCAST_STOP):
        broadcaster = room or actor
        signal = None
        if broadcaster == owner:
            start = method is EventMethod.BROADCAST_START
            signal = SessionSignal.START if start else SessionSignal.STOP
        return Derivation(
            sightings=(Sighting(broadcaster, Role.MODEL),) if broadcaster else (),
            session_signal=signal,
        )

    kind = _TYPES[method]
    metadata: dict[str, Any] = {"method": event.method}
    content: str | None = None
    person: str | None

    if method is EventMethod.ROOM_SUBJECT_CHANGE:
        person = room
        content = event.subject
    elif method is EventMethod.PRIVATE_MESSAGE:
        message = event.message
        sender = _name(message.from_user) if message else None
        recipient = _name(message.to_user) if message else None
        sender = sender or actor
        person = sender if sender != owner else recipient if recipient != owner else None
        if room is None:
            kind = InteractionType.DIRECT_MESSAGE
        metadata.update(
            _drop_none(
                {
                    "fromUser": sender,
                    "toUser": recipient,
                    "direction": "outgoing" if sender == owner else "incoming",
                }
            )
        )
        content = message.message if message else None
    elif in_own_room or room is None:
        person = actor
    else:
        # Elsewhere: the owner's activity in another broadcaster's room belongs to that room.
        person = room if actor in (None, owner) else actor

    if method is EventMethod.CHAT_MESSAGE and event.message is not None:
        content = event.message.message
    if event.message is not None:
        raw_message = event.raw.get("object", {}).get("message", {})
        if isinstance(raw_message, dict):
            metadata.update(_drop_none({k: raw_message.get(k) for k in _MESSAGE_STYLE}))
    if method is EventMethod.TIP and event.tip is not None:
        metadata.update(_drop_none({"tokens": event.tip.tokens, "isAnon": event.tip.is_anon}))
        content = event.tip.message
    if method is EventMethod.MEDIA_PURCHASE and event.media is not None:
        media = _drop_none(
            {
                "id": event.media.id,
                "type": event.media.type,
                "name": event.media.name,
                "tokens": event.media.tokens,
            }
        )
        metadata["media"] = media
        if event.media.tokens is not None:
            metadata["tokens"] = event.media.tokens
        content = event.media.name

    if person is None:
        return Derivation(problems=(f"{event.method}: no person to attribute it to",))

    raw_user = event.raw.get("object", {}).get("user")
    if isinstance(raw_user, dict):
        metadata["user"] = _drop_none({k: raw_user.get(k) for k in _USER_FLAGS})
    if actor is not None and actor != person:
        metadata["actor"] = actor
    if room is not None and not in_own_room:
        metadata["elsewhere"] = True

    sightings: list[Sighting] = []
    if room is not None:
        sightings.append(Sighting(room, Role.MODEL))
    if actor is not None and actor != room:
        sightings.append(Sighting(actor, Role.MODEL if actor == owner else Role.VIEWER))
    if person not in (room, actor):
        # A private-message recipient: a viewer when it happened in the owner's room.
        role = Role.MODEL if person == owner else Role.VIEWER if in_own_room else Role.UNKNOWN
        sightings.append(Sighting(person, role))

    return Derivation(
        sightings=tuple(sightings),
        interaction=DerivedInteraction(
            username=person,
            type=kind,
            external_id=event.id,
            occurred_at=event.occurred_at,
            broadcaster=room,
            content=content,
            metadata=metadata,
        ),
    )
