"""Broadcasts of other models, as the affiliate feed shows them: which sweep belongs to which
broadcast. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Two sightings of a room whose computed start times are this close are the same broadcast.
BROADCAST_MATCH_WINDOW = timedelta(minutes=10)


def broadcast_start(seen_at: datetime, seconds_online: int | None) -> datetime:
    return seen_at - timedelta(seconds=max(0, seconds_online or 0))


def same_broadcast(known_start: datetime, start: datetime) -> bool:
    return abs(known_start - start) <= BROADCAST_MATCH_WINDOW


@dataclass(frozen=True)
class ObservedBroadcast:
    """A broadcaster seen online in one sweep of the affiliate feed."""

    person_id: int
    started_at: datetime
    seen_at: datetime
    viewers: int | None


@dataclass(frozen=True)
class BroadcastPlan:
    #: (broadcast id, observation) pairs: extend an existing broadcast.
    extend: list[tuple[int, ObservedBroadcast]]
    #: Observations that start a new broadcast.
    start: list[ObservedBroadcast]


def plan_broadcasts(
    observed: Iterable[ObservedBroadcast], latest: Mapping[int, tuple[int, datetime]]
) -> BroadcastPlan:
    """Match each observation to the person's latest broadcast (`latest`: person -> (id, start))
    within BROADCAST_MATCH_WINDOW; anything else is a new broadcast."""
    extend: list[tuple[int, ObservedBroadcast]] = []
    start: list[ObservedBroadcast] = []
    for seen in observed:
        known = latest.get(seen.person_id)
        if known is not None and same_broadcast(known[1], seen.started_at):
            extend.append((known[0], seen))
        else:
            start.append(seen)
    return BroadcastPlan(extend=extend, start=start)
