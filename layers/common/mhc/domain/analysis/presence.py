"""Who was in the room when: stays from enter/leave events, and peak concurrent viewers.

The Events API's userEnter/userLeave are not a clean sequence: a second tab sends a second
enter, a leave can arrive for someone who entered before the session (or before capture)
began, and nobody "leaves" a room whose broadcast ends. The pairing rule, per person and
session, in time order (events at the same instant keep the order they are given in, which
must be the feed's: a leave then an enter is a reconnect, one continuous stay; an enter then a
leave is a bounce, a stay of no length):

- an enter opens a stay; an enter while a stay is open is a duplicate and ignored;
- a leave closes the open stay; a leave with no stay open *before any stay in the session*
  means the person was there from the session start (stay from the start, `entered=False`);
  a later leave with no stay open is an orphan and ignored;
- a stay still open at the session end closes there (`left=False`); for a live session the
  caller passes "now" as the end.

Every irregularity is counted, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mhc.domain.analysis.hours import require_aware

#: (instant, True for an enter / False for a leave)
PresenceEvent = tuple[datetime, bool]


@dataclass(frozen=True, slots=True)
class Stay:
    start: datetime
    end: datetime
    #: False: no enter was seen; the stay starts at the session start.
    entered: bool = True
    #: False: no leave was seen; the stay ends at the session end.
    left: bool = True

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Stays:
    """One person's stays in one session, and the irregularities met pairing them."""

    stays: tuple[Stay, ...]
    duplicate_enters: int = 0
    orphan_leaves: int = 0

    @property
    def leave_without_enter(self) -> int:
        return sum(1 for stay in self.stays if not stay.entered)

    @property
    def enter_without_leave(self) -> int:
        return sum(1 for stay in self.stays if not stay.left)

    @property
    def total(self) -> timedelta:
        return sum((stay.duration for stay in self.stays), timedelta())

    @property
    def arrival(self) -> datetime | None:
        return self.stays[0].start if self.stays else None

    def summary(self) -> PresenceSummary:
        return PresenceSummary(
            arrival=self.arrival,
            total=self.total,
            duplicate_enters=self.duplicate_enters,
            orphan_leaves=self.orphan_leaves,
            leave_without_enter=self.leave_without_enter,
            enter_without_leave=self.enter_without_leave,
        )


@dataclass(frozen=True, slots=True)
class PresenceSummary:
    """What the pairing rule says of one person's session, without the stays themselves.

    A service may compute it where the events are (SQL over thousands of a regular's enters and
    leaves) by the same rule: after an enter the person is present, after a leave absent, so
    the time present is the sum, over enters, of the time to the next event (or the session
    end); a leave first means present from the session start; an enter after an enter is a
    duplicate, a leave after a leave an orphan. `Stays.summary()` is the reference.
    """

    arrival: datetime | None
    total: timedelta
    duplicate_enters: int = 0
    orphan_leaves: int = 0
    leave_without_enter: int = 0
    enter_without_leave: int = 0


def pair_stays(
    events: Iterable[PresenceEvent], session_start: datetime, session_end: datetime
) -> Stays:
    """Pair one person's enter/leave events in one session into stays (rule above).

    Pass events in the feed's order; events outside [session_start, session_end] are clamped
    to it.
    """
    start = require_aware(session_start)
    end = require_aware(session_end)
    if end < start:
        raise ValueError("a session cannot end before it starts")
    # Sorted by time only: ties keep the feed's order (see the module docstring).
    ordered = sorted(
        ((min(max(require_aware(at), start), end), is_enter) for at, is_enter in events),
        key=lambda event: event[0],
    )
    stays: list[Stay] = []
    open_since: datetime | None = None
    duplicates = orphans = 0
    for at, is_enter in ordered:
        if is_enter:
            if open_since is None:
                open_since = at
            else:
                duplicates += 1
        elif open_since is not None:
            stays.append(Stay(open_since, at))
            open_since = None
        elif not stays:
            stays.append(Stay(start, at, entered=False))
        else:
            orphans += 1
    if open_since is not None:
        stays.append(Stay(open_since, end, left=False))
    return Stays(tuple(stays), duplicate_enters=duplicates, orphan_leaves=orphans)


@dataclass(frozen=True, slots=True)
class PeakViewers:
    """The most people present at once, and the first instant it was reached."""

    count: int
    at: datetime | None
    #: People with at least one stay of non-zero length.
    people: int
    duplicate_enters: int
    orphan_leaves: int
    leave_without_enter: int
    enter_without_leave: int


def peak_viewers(
    events_by_person: Mapping[Hashable, Sequence[PresenceEvent]],
    session_start: datetime,
    session_end: datetime,
    *,
    excluded: Iterable[Hashable] = (),
) -> PeakViewers:
    """Peak concurrent viewers of a session by a sweep over everyone's stays.

    Each person's stays come from `pair_stays`, so a duplicate enter never counts anyone
    twice; stays of no length count for nothing; at equal instants leaves are applied before
    enters (one person leaving as another arrives are not there together). Persons in `excluded` (and the owner, whom callers put there) are not counted.
    """
    skip = set(excluded)
    changes: list[tuple[datetime, int]] = []
    people = duplicates = orphans = no_enter = no_leave = 0
    for person, events in events_by_person.items():
        if person in skip:
            continue
        stays = pair_stays(events, session_start, session_end)
        duplicates += stays.duplicate_enters
        orphans += stays.orphan_leaves
        no_enter += stays.leave_without_enter
        no_leave += stays.enter_without_leave
        counted = [stay for stay in stays.stays if stay.end > stay.start]
        if counted:
            people += 1
        for stay in counted:
            changes.append((stay.start, 1))
            changes.append((stay.end, -1))
    changes.sort()  # (t, -1) before (t, +1)
    current = peak = 0
    peak_at: datetime | None = None
    for at, change in changes:
        current += change
        if current > peak:
            peak, peak_at = current, at
    return PeakViewers(
        count=peak,
        at=peak_at,
        people=people,
        duplicate_enters=duplicates,
        orphan_leaves=orphans,
        leave_without_enter=no_enter,
        enter_without_leave=no_leave,
    )
