"""Hour of week in the owner's timezone: activity grids and broadcast exposure, DST-correct.

Buckets are local wall-clock hours, Monday 00:00-00:59 = bucket 0 ... Sunday 23:00 = 167
(`day * 24 + hour`, day 0 = Monday as in `datetime.weekday()`; PostgreSQL's `isodow` is this
plus one). Conversions go through zoneinfo, so a DST change moves the UTC hours that land in a
bucket, never the bucket an evening belongs to: 21:00 local stays 21:00 all year. On the night
clocks go back the repeated hour is counted twice (it was lived twice); on the night they go
forward the missing hour gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = 7
HOURS = 24
BUCKETS = DAYS * HOURS
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class UnknownTimezone(ValueError):
    """A timezone name that is not an IANA zone."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. "Europe/Berlin"); UnknownTimezone otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UnknownTimezone(
            f"unknown timezone {name[:64]!r}: use an IANA name such as Europe/Berlin"
        ) from None


def require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("instants must be timezone-aware (UTC)")
    return at


def bucket_of(at: datetime, tz: ZoneInfo) -> int:
    """The hour-of-week bucket of an instant, in zone `tz`."""
    local = require_aware(at).astimezone(tz)
    return local.weekday() * HOURS + local.hour


@dataclass(frozen=True, slots=True)
class HourOfWeek:
    """Counts per hour-of-week bucket (168 of them)."""

    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.counts) != BUCKETS:
            raise ValueError(f"an hour-of-week grid has {BUCKETS} buckets")
        if any(c < 0 for c in self.counts):
            raise ValueError("counts must not be negative")

    @classmethod
    def empty(cls) -> HourOfWeek:
        return cls((0,) * BUCKETS)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, int]]) -> HourOfWeek:
        """From (day 0-6 Monday first, hour 0-23, count) rows, e.g. a SQL GROUP BY."""
        counts = [0] * BUCKETS
        for day, hour, count in rows:
            if not (0 <= day < DAYS and 0 <= hour < HOURS):
                raise ValueError(f"no hour-of-week bucket for day {day}, hour {hour}")
            counts[day * HOURS + hour] += count
        return cls(tuple(counts))

    @classmethod
    def active_hours(cls, instants: Iterable[datetime], tz: ZoneInfo) -> HourOfWeek:
        """Distinct local clock hours with any activity, per bucket.

        Counting hours, not events, keeps one chatty evening from outweighing ten quiet ones:
        n is then the number of distinct hours a person was active (see docs/analysis.md).
        """
        seen: set[datetime] = set()
        counts = [0] * BUCKETS
        for at in instants:
            local = require_aware(at).astimezone(tz)
            # The hour's start as an instant: the two 01:00s of a fall-back night stay apart.
            key = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
            if key in seen:
                continue
            seen.add(key)
            counts[local.weekday() * HOURS + local.hour] += 1
        return cls(tuple(counts))

    @property
    def n(self) -> int:
        return sum(self.counts)

    def grid(self) -> list[list[int]]:
        """7 rows (Monday first) of 24 hours, for a heatmap."""
        return [list(self.counts[d * HOURS : (d + 1) * HOURS]) for d in range(DAYS)]

    def by_hour_of_day(self) -> tuple[int, ...]:
        return tuple(sum(self.counts[d * HOURS + h] for d in range(DAYS)) for h in range(HOURS))

    def by_day_of_week(self) -> tuple[int, ...]:
        return tuple(sum(self.counts[d * HOURS : (d + 1) * HOURS]) for d in range(DAYS))


@dataclass(frozen=True, slots=True)
class Exposure:
    """How long the owner broadcast in each bucket (hours) and in how many sessions."""

    hours: tuple[float, ...]
    sessions: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.hours) != BUCKETS or len(self.sessions) != BUCKETS:
            raise ValueError(f"exposure has {BUCKETS} buckets")


def broadcast_exposure(sessions: Iterable[tuple[datetime, datetime]], tz: ZoneInfo) -> Exposure:
    """Split each broadcast (start, end) over the local hour buckets it covers.

    Walks from one local top of the hour to the next in absolute time, so half-hour zones and
    DST changes are handled by zoneinfo: a 3-hour broadcast always adds 3 hours in total.
    A session counts once per bucket it touches (a bucket visited twice in one session, as on
    a fall-back night, still counts that session once).
    """
    hours = [0.0] * BUCKETS
    sessions_per_bucket = [0] * BUCKETS
    for started_at, ended_at in sessions:
        start = require_aware(started_at).astimezone(UTC)
        end = require_aware(ended_at).astimezone(UTC)
        touched: set[int] = set()
        at = start
        while at < end:
            local = at.astimezone(tz)
            into_hour = timedelta(
                minutes=local.minute, seconds=local.second, microseconds=local.microsecond
            )
            step_end = min(end, at + timedelta(hours=1) - into_hour)
            bucket = local.weekday() * HOURS + local.hour
            hours[bucket] += (step_end - at).total_seconds() / 3600
            touched.add(bucket)
            at = step_end
        for bucket in touched:
            sessions_per_bucket[bucket] += 1
    return Exposure(hours=tuple(hours), sessions=tuple(sessions_per_bucket))


def describe_hours(hours: Iterable[int]) -> str:
    """Hours of the day as ranges: [20, 21, 22, 2] -> "02:00-03:00, 20:00-23:00"."""
    ordered = sorted(set(hours))
    if len(ordered) == HOURS:
        return "all day"
    ranges: list[tuple[int, int]] = []
    for hour in ordered:
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + 1)
        else:
            ranges.append((hour, hour + 1))
    # A range running through midnight reads as one: 23:00-01:00.
    if len(ranges) > 1 and ranges[0][0] == 0 and ranges[-1][1] == HOURS:
        ranges = [*ranges[1:-1], (ranges[-1][0], ranges[0][1])]
    return ", ".join(f"{a:02d}:00-{b % HOURS:02d}:00" for a, b in ranges)


def describe_days(days: Iterable[int]) -> str:
    return ", ".join(DAY_NAMES[d] for d in sorted(set(days)))


def describe_slot(bucket: int) -> str:
    day, hour = divmod(bucket, HOURS)
    return f"{DAY_NAMES[day]} {hour:02d}:00"
