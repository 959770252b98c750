"""Session recap: one broadcast's figures, each set against the owner's median session.

Figures are plain numbers the service computes in SQL (tokens, tips, followers, unfollows,
unique visitors, chat volume...) plus the two computed here: peak concurrent viewers (sweep
over stays, `presence.peak_viewers`) and new vs returning visitors (new = first seen in the
owner's room during this session). A comparison gives the median of the owner's other
sessions with its order-statistics interval (withheld below `MIN_N` sessions), and the ratio
(None when the median is 0) and difference to it. Excluded persons and the owner count nowhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mhc.domain.analysis.presence import PeakViewers, PresenceEvent, peak_viewers
from mhc.domain.analysis.results import Frozen
from mhc.domain.statistics import Distribution, Uncertainty, median

TOP_TIPPERS = 5


class Comparison(Frozen):
    value: float
    median: float | None
    ratio: float | None
    difference: float | None
    #: n = the owner's other sessions the median rests on.
    uncertainty: Uncertainty


def compare(value: float, history: Sequence[float]) -> Comparison:
    typical = median(Distribution.of(history))
    centre = typical.value
    return Comparison(
        value=value,
        median=centre,
        ratio=None if centre is None or centre == 0 else value / centre,
        difference=None if centre is None else value - centre,
        uncertainty=typical.uncertainty,
    )


@dataclass(frozen=True, slots=True)
class RecapTip:
    person_id: int
    tokens: int
    is_anonymous: bool = False


class Tipper(Frozen):
    person_id: int
    tokens: int
    tips: int


class PeakViewersValue(Frozen):
    count: int
    at: datetime | None
    people: int
    duplicate_enters: int
    orphan_leaves: int
    leave_without_enter: int
    enter_without_leave: int

    @classmethod
    def of(cls, peak: PeakViewers) -> PeakViewersValue:
        return cls(
            count=peak.count,
            at=peak.at,
            people=peak.people,
            duplicate_enters=peak.duplicate_enters,
            orphan_leaves=peak.orphan_leaves,
            leave_without_enter=peak.leave_without_enter,
            enter_without_leave=peak.enter_without_leave,
        )


class SessionRecap(Frozen):
    #: Each figure of this session with the owner's median session.
    figures: dict[str, Comparison]
    top_tippers: tuple[Tipper, ...]
    #: Tokens from tips whose tipper asked to stay anonymous (counted, never named).
    anonymous_tokens: int
    peak_viewers: PeakViewersValue
    new_visitors: int
    returning_visitors: int


def tip_totals(
    tips: Iterable[RecapTip], *, excluded: Iterable[int] = ()
) -> tuple[int, int, int, tuple[Tipper, ...]]:
    """(tokens, tips, anonymous tokens, tippers ranked by tokens desc then person id).

    Anonymous tips count in the totals, never by name; excluded persons count nowhere.
    """
    skip = set(excluded)
    tokens = count = anonymous = 0
    per_person: dict[int, list[int]] = {}
    for tip in tips:
        if tip.person_id in skip:
            continue
        tokens += tip.tokens
        count += 1
        if tip.is_anonymous:
            anonymous += tip.tokens
            continue
        totals = per_person.setdefault(tip.person_id, [0, 0])
        totals[0] += tip.tokens
        totals[1] += 1
    ranked = sorted(per_person.items(), key=lambda item: (-item[1][0], item[0]))
    tippers = tuple(Tipper(person_id=p, tokens=t, tips=n) for p, (t, n) in ranked)
    return tokens, count, anonymous, tippers


def new_and_returning(
    first_seen_in_room: Mapping[int, datetime],
    session_start: datetime,
    *,
    excluded: Iterable[int] = (),
) -> tuple[int, int]:
    """Visitors of a session, split by when they were first seen in the owner's room."""
    skip = set(excluded)
    new = returning = 0
    for person, first in first_seen_in_room.items():
        if person in skip:
            continue
        if first >= session_start:
            new += 1
        else:
            returning += 1
    return new, returning


def session_recap(
    *,
    session_start: datetime,
    session_end: datetime,
    figures: Mapping[str, float],
    history: Sequence[Mapping[str, float]],
    tips: Iterable[RecapTip],
    presence: Mapping[Hashable, Sequence[PresenceEvent]],
    first_seen_in_room: Mapping[int, datetime],
    excluded: Iterable[int] = (),
    top: int = TOP_TIPPERS,
) -> SessionRecap:
    """The recap of one session.

    `figures` are this session's SQL figures; `history` the same figures for the owner's
    other sessions (a figure missing from a past session is left out of that median).
    Computed here and added to `figures`: tokens, tips, peak_viewers, new_visitors,
    returning_visitors. `presence` holds each person's enter/leave events in the session.
    """
    skip = set(excluded)
    tokens, tip_count, anonymous, tippers = tip_totals(tips, excluded=skip)
    peak = peak_viewers(presence, session_start, session_end, excluded=skip)
    new, returning = new_and_returning(first_seen_in_room, session_start, excluded=skip)
    values = {
        **figures,
        "tokens": tokens,
        "tips": tip_count,
        "peak_viewers": peak.count,
        "new_visitors": new,
        "returning_visitors": returning,
    }
    return SessionRecap(
        figures={
            name: compare(value, [past[name] for past in history if name in past])
            for name, value in sorted(values.items())
        },
        top_tippers=tippers[:top],
        anonymous_tokens=anonymous,
        peak_viewers=PeakViewersValue.of(peak),
        new_visitors=new,
        returning_visitors=returning,
    )
