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
- An event that cannot be derived correctly (a tip without a readable amount, an id whose time
  is implausible) derives nothing at all: it stays raw and its problem says why. A tip stored
  without its tokens would be a figure quietly wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from mhc.domain.events import EventMethod, event_time
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

#: Interactions the steps after a page's append look at: payments (linked to their imported
#: token-history twins) and enters and follows (the owner's alerts). Ingest keeps these rows
#: beside the page's COPY text; tests/unit/test_live_room.py holds both steps to this set.
FOLLOW_UP_TYPES = frozenset(
    {
        InteractionType.TIP_EVENT,
        InteractionType.MEDIA_PURCHASE,
        InteractionType.USER_ENTER,
        InteractionType.FOLLOW,
    }
)

#: The tokens of one tip: the API documents an int >= 1; the cap keeps a corrupt amount out of
#: every total (and out of a bigint cast).
MAX_TIP_TOKENS = 10_000_000

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


def _name(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return _normalized(value)


@lru_cache(maxsize=65_536)
def _normalized(value: str) -> str | None:
    # The same few hundred names recur on every page: validate each one once.
    try:
        return normalize_username(value)
    except InvalidUsername:
        return None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _part(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _int(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


def _tip_problem(tip: Mapping[str, Any]) -> str | None:
    """Why a tip's amount or anonymity cannot be read as documented, or None."""
    if "tokens" not in tip:
        return "tip: tokens missing"
    tokens = tip["tokens"]
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        return "tip: tokens is not a whole number"
    if not 1 <= tokens <= MAX_TIP_TOKENS:
        digits = len(str(abs(tokens)))
        shown = str(tokens) if digits <= 12 else f"of {digits} digits"
        return f"tip: tokens {shown} is outside 1..{MAX_TIP_TOKENS:,}"
    if "isAnon" in tip and not isinstance(tip["isAnon"], bool):
        # Unknown anonymity: showing the tipper could expose someone who asked not to be.
        return "tip: isAnon is not true or false"
    return None


def derive(envelope: Mapping[str, Any], owner: str) -> Derivation:
    """The sightings, interaction and session signal one raw envelope implies.

    Reads the raw envelope directly (values of the wrong type count as absent): this runs for
    every event on the ingest hot path, where building typed models cost more than the insert.
    """
    if not isinstance(envelope, Mapping):
        return Derivation(problems=("envelope is not an object",))
    event_id, method_name = envelope.get("id"), envelope.get("method")
    if not isinstance(event_id, str) or not isinstance(method_name, str):
        return Derivation(problems=("envelope has no id or method",))
    try:
        occurred_at = event_time(event_id)
    except ValueError as exc:
        return Derivation(problems=(f"event id {event_id[:40]!r}: {exc}",))
    try:
        method = EventMethod(method_name)
    except ValueError:
        return Derivation(problems=(f"unknown method {method_name[:50]!r}",))

    obj = envelope.get("object")
    obj = obj if isinstance(obj, Mapping) else {}
    room = _name(obj.get("broadcaster"))  # None: direct message (empty broadcaster) or unreadable
    in_own_room = room == owner
    user = _part(obj, "user")
    actor = _name(user.get("username"))

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
    metadata: dict[str, Any] = {"method": method_name}
    content: str | None = None
    person: str | None
    message = _part(obj, "message")

    if method is EventMethod.ROOM_SUBJECT_CHANGE:
        person = room
        content = _text(obj, "subject")
    elif method is EventMethod.PRIVATE_MESSAGE:
        sender = _name(message.get("fromUser")) or actor
        recipient = _name(message.get("toUser"))
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
        content = _text(message, "message")
    elif in_own_room or room is None:
        person = actor
    else:
        # Elsewhere: the owner's activity in another broadcaster's room belongs to that room.
        person = room if actor in (None, owner) else actor

    if method is EventMethod.CHAT_MESSAGE:
        content = _text(message, "message")
    if message:
        metadata.update(_drop_none({k: message.get(k) for k in _MESSAGE_STYLE}))
    if method is EventMethod.TIP:
        tip = _part(obj, "tip")
        problem = _tip_problem(tip)
        if problem is not None:
            return Derivation(problems=(problem,))
        metadata.update(_drop_none({"tokens": _int(tip, "tokens"), "isAnon": _bool(tip, "isAnon")}))
        content = _text(tip, "message")
    if method is EventMethod.MEDIA_PURCHASE:
        media = _part(obj, "media")
        media_id = media.get("id")
        tokens = _int(media, "tokens")
        metadata["media"] = _drop_none(
            {
                # An int in the docs and a string elsewhere: kept as text.
                "id": str(media_id)
                if isinstance(media_id, int | str) and not isinstance(media_id, bool)
                else None,
                "type": _text(media, "type"),
                "name": _text(media, "name"),
                "tokens": tokens,
            }
        )
        if tokens is not None:
            metadata["tokens"] = tokens
        content = _text(media, "name")

    if person is None:
        return Derivation(problems=(f"{method_name}: no person to attribute it to",))

    if user:
        metadata["user"] = _drop_none({k: user.get(k) for k in _USER_FLAGS})
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
            external_id=event_id,
            occurred_at=occurred_at,
            broadcaster=room,
            content=content,
            metadata=metadata,
        ),
    )
