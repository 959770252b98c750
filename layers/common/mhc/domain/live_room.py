"""Who is in the owner's room now, what counts as an arrival, and why a person matters (pure).

- **In the room now**: each person's userEnter/userLeave events since the session began are
  paired by the rule of `mhc.domain.analysis.presence` (duplicate enters ignored, a leave
  and an enter at one instant is a reconnect); a person whose last stay is still open is
  present, since that stay's start. Newest arrivals first. The caller leaves out the owner
  (her own enters are not an audience) and excluded persons; anonymous viewers send no
  enter at all, so nobody is ever listed as "anonymous".
- **An arrival** is an enter of someone who was not already present: their previous
  enter/leave (in the same session, and within `MAX_STAY`) is not an enter, nor a leave at
  the same instant (a reconnect). A rule fires once per arrival, so a second browser tab or
  a dropped connection never rings twice.
- **Why they matter**: one short line from what is known, most telling first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: Longer than any broadcast: an enter older than this is not a stay still open.
MAX_STAY = timedelta(hours=12)
#: Away at least this long is worth saying ("back after 23 days").
NOTABLE_ABSENCE = timedelta(days=14)
_NOTE_LENGTH = 60
_REASONS = 3


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """One userEnter (`entered`) or userLeave of a person in the owner's room, in feed order."""

    person: Hashable
    at: datetime
    entered: bool
    event_id: str
    #: The Events API's user flags carried by the event (inFanclub, isMod, ...).
    flags: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Present:
    person: Hashable
    #: When their current stay began.
    arrived_at: datetime
    #: The enter that began it.
    arrival_event_id: str
    #: The flags of their latest event (what the Events API says of them now).
    flags: Mapping[str, Any]


def present(
    events: Iterable[PresenceEvent], session_start: datetime, now: datetime
) -> list[Present]:
    """Who is in the room at `now` (events of the session, in feed order), newest arrival
    first (ties: later in the feed first).

    The pairing rule of `pair_stays`, followed to its end: an enter opens a stay unless one is
    open, a leave closes the open one (orphan leaves change nothing), so a person is present
    exactly when `pair_stays` ends with an open stay; kept here to know which enter opened it.
    A leave and an enter at one instant is a reconnect: the stay, and its arrival, go on.
    """
    by_person: dict[Hashable, list[PresenceEvent]] = {}
    for event in events:
        by_person.setdefault(event.person, []).append(event)
    found: list[tuple[datetime, int, Present]] = []
    for order, (person, own) in enumerate(by_person.items()):
        opened: PresenceEvent | None = None
        closed: tuple[PresenceEvent, datetime] | None = None
        for event in sorted(own, key=lambda e: e.at):  # stable: ties keep the feed's order
            if not event.entered:
                closed = (opened, event.at) if opened is not None else closed
                opened = None
            elif opened is None:
                reconnect = closed is not None and closed[1] == event.at
                opened = closed[0] if closed is not None and reconnect else event
        if opened is None:
            continue
        arrived = min(max(opened.at, session_start), max(now, session_start))
        found.append((arrived, order, Present(person, arrived, opened.event_id, own[-1].flags)))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [item[2] for item in found]


def is_arrival(
    previous: tuple[datetime, bool] | None, at: datetime, *, session_start: datetime | None
) -> bool:
    """Whether an enter at `at` is an arrival, given the person's previous enter/leave in the
    owner's room ((time, entered) or None): see the module docstring."""
    if previous is None:
        return True
    previous_at, entered = previous
    bound = at - MAX_STAY
    if session_start is not None and session_start <= at:
        bound = max(bound, session_start)
    if previous_at < bound:
        return True
    if entered:
        return False
    return previous_at != at  # a leave at the same instant is a reconnect


@dataclass(frozen=True, slots=True)
class MemoryFacts:
    """What is known of a person in the room, for the "why they matter" line."""

    lifetime_tokens: int = 0
    tokens_this_session: int = 0
    visits: int = 0
    previous_visit_at: datetime | None = None
    watchlists: Sequence[str] = ()
    fan_club: bool = False
    is_mod: bool = False
    latest_note: str | None = None
    #: Lifetime tokens at which someone is one of the owner's top spenders (None: unknown).
    top_spender_from: int | None = None


def why_they_matter(facts: MemoryFacts, *, arrived_at: datetime) -> str:
    """One short line, the most telling facts first (at most three)."""
    reasons: list[str] = []
    if facts.watchlists:
        reasons.append("On " + ", ".join(facts.watchlists))
    if facts.lifetime_tokens > 0:
        text = f"{facts.lifetime_tokens:,} tokens to you in all"
        if facts.top_spender_from is not None and facts.lifetime_tokens >= facts.top_spender_from:
            text = "Top spender: " + text
        reasons.append(text)
    if facts.tokens_this_session > 0:
        reasons.append(f"{facts.tokens_this_session:,} tokens this session")
    if facts.previous_visit_at is None:
        reasons.append("First visit")
    elif arrived_at - facts.previous_visit_at >= NOTABLE_ABSENCE:
        reasons.append(f"Back after {(arrived_at - facts.previous_visit_at).days} days")
    if facts.fan_club:
        reasons.append("Fan club member")
    if facts.is_mod:
        reasons.append("Moderator")
    if facts.latest_note:
        note = " ".join(facts.latest_note.split())
        cut = note[:_NOTE_LENGTH] + ("…" if len(note) > _NOTE_LENGTH else "")
        reasons.append(f"Note: {cut}")
    if not reasons:
        reasons.append(f"{facts.visits:,} visits, no tips yet")
    return " · ".join(reasons[:_REASONS])
