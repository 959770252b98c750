"""Timing: when a person is around (owner's timezone), when they arrive and how long they stay.

- The hour-of-week distribution counts distinct local clock hours with any activity
  (`HourOfWeek.active_hours`), so n = active hours.
- Peaks are stated only when the data supports them: a bucket is a peak when its share of the
  active hours is significantly above uniform (`statistics.peak_buckets`: exact binomial,
  Bonferroni over the buckets, at least `PEAK_MIN_N` hours). Hours of the day (24 buckets) and
  days of the week (7) are tested on their own; the 168 hour-of-week slots need far more data.
- Usual arrival = median minutes from the session start to the first stay (someone already
  there when the session began arrives at 0); usual stay = median minutes present per attended
  session; one observation per session, stays from `presence.pair_stays`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mhc.domain.analysis.hours import (
    DAY_NAMES,
    HOURS,
    HourOfWeek,
    describe_days,
    describe_hours,
    describe_slot,
    zone,
)
from mhc.domain.analysis.presence import PresenceEvent, PresenceSummary, pair_stays
from mhc.domain.analysis.results import (
    Evidence,
    Frozen,
    Insight,
    InsightKind,
    InteractionQuery,
    Window,
    day,
)
from mhc.domain.models import InteractionType
from mhc.domain.statistics import (
    PEAK_MIN_N,
    Distribution,
    Estimate,
    median,
    peak_buckets,
    uncertainty,
)


@dataclass(frozen=True, slots=True)
class SessionPresence:
    """One owner session the person attended, with their enter/leave events in it, or what
    pairing them gave (`summary`, computed where the events are by the same rule)."""

    started_at: datetime
    #: The session end; "now" for a live session.
    ended_at: datetime
    events: Sequence[PresenceEvent] = ()
    summary: PresenceSummary | None = None

    def paired(self) -> PresenceSummary:
        if self.summary is not None:
            return self.summary
        return pair_stays(self.events, self.started_at, self.ended_at).summary()


@dataclass(frozen=True, slots=True)
class SiteWideTips:
    """Statbate's count of the person's tips everywhere, per hour of day and day of week (as
    asked, in `timezone`): context beside MHC's own hours, never a peak (tips come in bursts,
    so they are not independent observations)."""

    tips_by_hour: Sequence[int]
    tips_by_day: Sequence[int]
    timezone: str | None
    captured_at: datetime
    snapshot_id: int | None = None


@dataclass(frozen=True, slots=True)
class TimingFacts:
    as_of: datetime
    timezone: str
    activity: HourOfWeek
    #: Earliest activity counted in `activity` (None: unknown).
    activity_since: datetime | None
    sessions: Sequence[SessionPresence] = ()
    sources: tuple[str, ...] = ()
    person_id: int | None = None
    owner: str | None = None
    site_wide: SiteWideTips | None = None


class HourSlot(Frozen):
    day: int
    hour: int
    label: str


class PresenceIrregularities(Frozen):
    duplicate_enters: int
    orphan_leaves: int
    leave_without_enter: int
    enter_without_leave: int


class SiteWideHours(Frozen):
    timezone: str | None
    captured_at: datetime
    tips_by_hour: list[int]
    tips_by_day: list[int]
    tips: int


class TimingValue(Frozen):
    timezone: str
    #: 7 rows (Monday first) of 24 local hours: active hours in each slot.
    hour_of_week: list[list[int]]
    by_hour_of_day: list[int]
    by_day_of_week: list[int]
    active_hours: int
    peak_hours_of_day: tuple[int, ...]
    peak_days_of_week: tuple[int, ...]
    peak_hours_of_week: tuple[HourSlot, ...]
    #: The peaks in words ("Fri, Sat; 21:00-23:00"), None when there are none.
    usual_hours: str | None
    usual_arrival_minutes: Estimate
    usual_stay_minutes: Estimate
    sessions_with_presence: int
    irregularities: PresenceIrregularities
    #: Statbate's tips everywhere by hour and day, when fetched (context, not a peak).
    site_wide_tips: SiteWideHours | None = None


def usual_hours_text(days: Sequence[int], hours: Sequence[int]) -> str | None:
    parts = []
    if days:
        parts.append(describe_days(days))
    if hours:
        parts.append(describe_hours(hours))
    return "; ".join(parts) or None


def timing_insight(facts: TimingFacts) -> Insight[TimingValue]:
    zone(facts.timezone)  # an unknown zone fails here, not as a silent UTC
    activity = facts.activity
    hours_of_day = activity.by_hour_of_day()
    days_of_week = activity.by_day_of_week()
    peak_hours = peak_buckets(hours_of_day)
    peak_days = peak_buckets(days_of_week)
    peak_slots = peak_buckets(activity.counts)
    site = facts.site_wide
    if site is not None and (len(site.tips_by_hour) != HOURS or len(site.tips_by_day) != 7):
        raise ValueError("site-wide tips come as 24 hours and 7 days")
    arrivals: list[float] = []
    stays: list[float] = []
    duplicates = orphans = no_enter = no_leave = 0
    for session in facts.sessions:
        paired = session.paired()
        duplicates += paired.duplicate_enters
        orphans += paired.orphan_leaves
        no_enter += paired.leave_without_enter
        no_leave += paired.enter_without_leave
        if paired.arrival is None:
            continue
        arrivals.append((paired.arrival - session.started_at).total_seconds() / 60)
        stays.append(paired.total.total_seconds() / 60)
    value = TimingValue(
        timezone=facts.timezone,
        hour_of_week=activity.grid(),
        by_hour_of_day=list(hours_of_day),
        by_day_of_week=list(days_of_week),
        active_hours=activity.n,
        peak_hours_of_day=peak_hours,
        peak_days_of_week=peak_days,
        peak_hours_of_week=tuple(
            HourSlot(day=b // HOURS, hour=b % HOURS, label=describe_slot(b)) for b in peak_slots
        ),
        usual_hours=usual_hours_text(peak_days, peak_hours),
        usual_arrival_minutes=median(Distribution.of(arrivals)),
        usual_stay_minutes=median(Distribution.of(stays)),
        sessions_with_presence=len(stays),
        irregularities=PresenceIrregularities(
            duplicate_enters=duplicates,
            orphan_leaves=orphans,
            leave_without_enter=no_enter,
            enter_without_leave=no_leave,
        ),
        site_wide_tips=None
        if site is None
        else SiteWideHours(
            timezone=site.timezone,
            captured_at=site.captured_at,
            tips_by_hour=list(site.tips_by_hour),
            tips_by_day=list(site.tips_by_day),
            tips=sum(site.tips_by_hour),
        ),
    )
    sources = set(facts.sources)
    if site is not None:
        sources.add("statbate_member_activity")
    return Insight(
        kind=InsightKind.TIMING,
        title="Timing",
        summary=_summary(value, facts),
        value=value,
        evidence=Evidence(
            counts={
                "active_hours": activity.n,
                "sessions_with_presence": len(stays),
                "sessions": len(facts.sessions),
            },
            window=Window(since=facts.activity_since, until=facts.as_of),
            sources=tuple(sorted(sources)),
            snapshot_ids=() if site is None or site.snapshot_id is None else (site.snapshot_id,),
            query=InteractionQuery(
                person_id=facts.person_id,
                types=(InteractionType.USER_ENTER, InteractionType.USER_LEAVE),
                broadcaster=facts.owner,
                until=facts.as_of,
            ),
        ),
        uncertainty=uncertainty(activity.n, minimum=PEAK_MIN_N),
    )


def _summary(value: TimingValue, facts: TimingFacts) -> str:
    if value.active_hours == 0:
        return "No activity seen yet."
    text = f"Active in {value.active_hours:,} distinct hours since {day(facts.activity_since)}"
    if value.usual_hours is not None:
        text += f"; usually {value.usual_hours} ({value.timezone})."
    elif value.active_hours < PEAK_MIN_N:
        text += "; too few hours to name usual times."
    else:
        busiest = max(range(len(value.by_day_of_week)), key=lambda d: value.by_day_of_week[d])
        text += f"; no clear usual time (busiest day so far: {DAY_NAMES[busiest]})."
    arrival = value.usual_arrival_minutes.value
    stay = value.usual_stay_minutes.value
    if arrival is not None and stay is not None:
        text += (
            f" Arrives about {arrival:.0f} min into your session and stays about {stay:.0f} min"
            f" (median of {value.sessions_with_presence} sessions)."
        )
    return text
