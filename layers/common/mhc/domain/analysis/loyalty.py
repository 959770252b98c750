"""Loyalty: attendance, tenure, recency, streaks, regulars, who is drifting away, RFM segments.

Rules (docs/analysis.md says the same for the owner):

- **Eligible sessions**: the owner's sessions that were still running when the person was
  first seen anywhere (MHC's first sighting, in any room) or later; an attended session always
  counts. Attendance = attended / eligible, with a Wilson 95% interval.
- **Streak**: consecutive eligible sessions attended, counted back from the newest; a session
  still live that they have not joined yet does not break it.
- **Regular**: attended at least `REGULAR_MIN_SESSIONS` sessions (so their usual gap rests on
  at least `MIN_N` gaps) and at least `REGULAR_MIN_SHARE` of the eligible ones.
- **Gaps are counted in the owner's sessions**, not days: a viewer can only come when the owner
  is live, so a week off the air must not make every regular look lost. A gap is the number of
  sessions from one visit to the next (1 = the very next session). The usual gap is the median.
- **At risk**: a regular whose gap running now (sessions missed since the last visit + 1)
  exceeds twice their usual gap.
- **RFM**: recency (days since last visit), frequency (sessions attended) and monetary (tokens)
  in the audience window (`RFM_WINDOW`), each scored 1-5 against the quintiles of the owner's
  audience in that window (`rfm_cutoffs`); segments in `rfm_segment`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from mhc.domain.analysis.results import (
    Evidence,
    Frozen,
    Insight,
    InsightKind,
    InteractionQuery,
    Window,
    day,
    number_text,
)
from mhc.domain.models import InteractionType
from mhc.domain.statistics import MIN_N, Distribution, Estimate, median, proportion

REGULAR_MIN_SESSIONS = MIN_N + 1
REGULAR_MIN_SHARE = 0.25
AT_RISK_GAP_FACTOR = 2
RFM_WINDOW = timedelta(days=90)
#: First seen this recently (and scored): a newcomer segment rather than a judgement.
NEW_WITHIN = timedelta(days=30)
QUINTILES = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True, slots=True)
class OwnerSession:
    started_at: datetime
    #: None while the session is live.
    ended_at: datetime | None
    attended: bool


@dataclass(frozen=True, slots=True)
class FollowChange:
    at: datetime
    #: True for a follow, False for an unfollow.
    followed: bool


class RfmSegment(StrEnum):
    CHAMPION = "champion"  # recent, frequent, big spender
    LOYAL = "loyal"  # comes often and lately
    BIG_SPENDER = "big_spender"  # spends a lot, lately
    NEWCOMER = "newcomer"  # first seen in the last 30 days
    COOLING = "cooling"  # was frequent or spent a lot, not seen lately
    HIBERNATING = "hibernating"  # least recent fifth, nothing else stands out
    OCCASIONAL = "occasional"  # everyone else


class RfmCutoffs(Frozen):
    """Quintile edges (20/40/60/80%) of the owner's audience in the RFM window."""

    recency_days: tuple[float, float, float, float]
    frequency: tuple[float, float, float, float]
    monetary: tuple[float, float, float, float]
    #: People in the audience the edges were computed from.
    n: int


class RfmScore(Frozen):
    recency: int
    frequency: int
    monetary: int
    segment: RfmSegment


def _edges(values: Sequence[float]) -> tuple[float, float, float, float]:
    distribution = Distribution.of(values)
    a, b, c, d = (distribution.quantile(p) for p in QUINTILES)
    return a, b, c, d


def rfm_cutoffs(
    recency_days: Sequence[float], frequency: Sequence[float], monetary: Sequence[float]
) -> RfmCutoffs | None:
    """Edges from one value per audience member (same order); None for an empty audience."""
    if not (len(recency_days) == len(frequency) == len(monetary)):
        raise ValueError("one recency, frequency and monetary value per person")
    if not recency_days:
        return None
    return RfmCutoffs(
        recency_days=_edges(recency_days),
        frequency=_edges(frequency),
        monetary=_edges(monetary),
        n=len(recency_days),
    )


def _score(value: float, edges: tuple[float, ...]) -> int:
    """1 + the number of edges strictly below `value` (ties go to the lower score)."""
    return 1 + sum(1 for edge in edges if value > edge)


def rfm_score(
    recency_days: float,
    frequency: float,
    monetary: float,
    cutoffs: RfmCutoffs,
    *,
    first_seen_days: float | None = None,
) -> RfmScore:
    """Scores 1-5 (5 = best: most recent, most frequent, biggest spender) and the segment.

    Segments, first match wins: champion (R, F, M all ≥ 4); newcomer (first seen within
    `NEW_WITHIN`); loyal (F ≥ 4, R ≥ 3); big_spender (M ≥ 4, R ≥ 3); cooling (R ≤ 2 and F or M
    ≥ 4); hibernating (R = 1); occasional.
    """
    r = 6 - _score(recency_days, cutoffs.recency_days)  # fewer days = more recent = better
    f = _score(frequency, cutoffs.frequency)
    m = _score(monetary, cutoffs.monetary)
    if r >= 4 and f >= 4 and m >= 4:
        segment = RfmSegment.CHAMPION
    elif first_seen_days is not None and first_seen_days <= NEW_WITHIN.days:
        segment = RfmSegment.NEWCOMER
    elif f >= 4 and r >= 3:
        segment = RfmSegment.LOYAL
    elif m >= 4 and r >= 3:
        segment = RfmSegment.BIG_SPENDER
    elif r <= 2 and (f >= 4 or m >= 4):
        segment = RfmSegment.COOLING
    elif r == 1:
        segment = RfmSegment.HIBERNATING
    else:
        segment = RfmSegment.OCCASIONAL
    return RfmScore(recency=r, frequency=f, monetary=m, segment=segment)


def is_regular(attended: int, eligible: int) -> bool:
    return attended >= REGULAR_MIN_SESSIONS and attended >= REGULAR_MIN_SHARE * eligible


def is_at_risk(regular: bool, usual_gap: float | None, sessions_since_last_visit: int) -> bool:
    if not regular or usual_gap is None:
        return False
    return sessions_since_last_visit + 1 > AT_RISK_GAP_FACTOR * usual_gap


@dataclass(frozen=True, slots=True)
class Attendance:
    """A person's attendance over the owner's sessions, in session order."""

    attended: int
    eligible: int
    #: Sessions from one visit to the next (1 = the next session).
    gaps: tuple[int, ...]
    #: Eligible sessions since the last attended one (None: never attended).
    sessions_since_last_visit: int | None
    current_streak: int
    longest_streak: int
    last_attended_at: datetime | None
    #: Days between the starts of consecutive attended sessions.
    gap_days: tuple[float, ...]


def attendance(sessions: Sequence[OwnerSession], first_seen_at: datetime) -> Attendance:
    ordered = sorted(sessions, key=lambda s: s.started_at)
    eligible = [
        s for s in ordered if s.attended or s.ended_at is None or s.ended_at >= first_seen_at
    ]
    # A live session they have not joined yet has not been missed (yet).
    if eligible and eligible[-1].ended_at is None and not eligible[-1].attended:
        eligible = eligible[:-1]
    indices = [i for i, s in enumerate(eligible) if s.attended]
    streak = 0
    for s in reversed(eligible):
        if not s.attended:
            break
        streak += 1
    longest = run = 0
    for s in eligible:
        run = run + 1 if s.attended else 0
        longest = max(longest, run)
    starts = [eligible[i].started_at for i in indices]
    return Attendance(
        attended=len(indices),
        eligible=len(eligible),
        gaps=tuple(b - a for a, b in itertools.pairwise(indices)),
        sessions_since_last_visit=(len(eligible) - 1 - indices[-1]) if indices else None,
        current_streak=streak,
        longest_streak=longest,
        last_attended_at=starts[-1] if starts else None,
        gap_days=tuple((b - a).total_seconds() / 86400 for a, b in itertools.pairwise(starts)),
    )


@dataclass(frozen=True, slots=True)
class LoyaltyFacts:
    as_of: datetime
    #: MHC's first sighting of the person, in any room.
    first_seen_at: datetime
    #: The owner's sessions (any order; those before the first sighting are ignored).
    sessions: Sequence[OwnerSession]
    #: The latest interaction in the owner's room (None: use the last attended session).
    last_visit_at: datetime | None = None
    follows: Sequence[FollowChange] = ()
    fan_club_joined_at: datetime | None = None
    #: The person's frequency and tokens in the RFM window, and the audience's edges.
    rfm_cutoffs: RfmCutoffs | None = None
    tokens_in_rfm_window: int = 0
    sources: tuple[str, ...] = ()
    person_id: int | None = None
    owner: str | None = None


class LoyaltyValue(Frozen):
    attended_sessions: int
    eligible_sessions: int
    attendance: Estimate
    first_seen_at: datetime
    tenure_days: float
    last_visit_at: datetime | None
    days_since_last_visit: float | None
    current_streak: int
    longest_streak: int
    is_regular: bool
    usual_gap_sessions: Estimate
    usual_gap_days: Estimate
    sessions_since_last_visit: int | None
    at_risk: bool
    following: bool | None
    follows: int
    unfollows: int
    last_followed_at: datetime | None
    fan_club_joined_at: datetime | None
    rfm: RfmScore | None


def loyalty_insight(facts: LoyaltyFacts) -> Insight[LoyaltyValue]:
    seen = attendance(facts.sessions, facts.first_seen_at)
    regular = is_regular(seen.attended, seen.eligible)
    usual_gap = median(Distribution.of(seen.gaps))
    usual_gap_days = median(Distribution.of(seen.gap_days))
    # A regular's usual gap is withheld below MIN_N gaps, but every regular has that many.
    at_risk = seen.sessions_since_last_visit is not None and is_at_risk(
        regular, usual_gap.value, seen.sessions_since_last_visit
    )
    last_visit = facts.last_visit_at or seen.last_attended_at
    since_last = None if last_visit is None else (facts.as_of - last_visit).total_seconds() / 86400
    follows = sorted(facts.follows, key=lambda c: c.at)
    rate = proportion(seen.attended, seen.eligible)
    rfm = None
    if facts.rfm_cutoffs is not None and since_last is not None:
        window_start = facts.as_of - RFM_WINDOW
        frequency = sum(1 for s in facts.sessions if s.attended and s.started_at >= window_start)
        rfm = rfm_score(
            since_last,
            frequency,
            facts.tokens_in_rfm_window,
            facts.rfm_cutoffs,
            first_seen_days=(facts.as_of - facts.first_seen_at).total_seconds() / 86400,
        )
    value = LoyaltyValue(
        attended_sessions=seen.attended,
        eligible_sessions=seen.eligible,
        attendance=rate,
        first_seen_at=facts.first_seen_at,
        tenure_days=max(0.0, (facts.as_of - facts.first_seen_at).total_seconds() / 86400),
        last_visit_at=last_visit,
        days_since_last_visit=since_last,
        current_streak=seen.current_streak,
        longest_streak=seen.longest_streak,
        is_regular=regular,
        usual_gap_sessions=usual_gap,
        usual_gap_days=usual_gap_days,
        sessions_since_last_visit=seen.sessions_since_last_visit,
        at_risk=at_risk,
        following=follows[-1].followed if follows else None,
        follows=sum(1 for c in follows if c.followed),
        unfollows=sum(1 for c in follows if not c.followed),
        last_followed_at=max((c.at for c in follows if c.followed), default=None),
        fan_club_joined_at=facts.fan_club_joined_at,
        rfm=rfm,
    )
    return Insight(
        kind=InsightKind.LOYALTY,
        title="Loyalty",
        summary=_summary(value),
        value=value,
        evidence=Evidence(
            counts={
                "sessions_attended": seen.attended,
                "sessions_eligible": seen.eligible,
                "gaps": len(seen.gaps),
                "rfm_audience": 0 if facts.rfm_cutoffs is None else facts.rfm_cutoffs.n,
            },
            window=Window(since=facts.first_seen_at, until=facts.as_of),
            sources=tuple(sorted(set(facts.sources))),
            query=InteractionQuery(
                person_id=facts.person_id,
                types=(
                    InteractionType.USER_ENTER,
                    InteractionType.FOLLOW,
                    InteractionType.UNFOLLOW,
                    InteractionType.FANCLUB_JOIN,
                ),
                broadcaster=facts.owner,
                since=facts.first_seen_at,
                until=facts.as_of,
            ),
        ),
        uncertainty=rate.uncertainty,
    )


def _summary(value: LoyaltyValue) -> str:
    if value.eligible_sessions == 0:
        return f"First seen {day(value.first_seen_at)}; none of your sessions since."
    text = (
        f"Attended {value.attended_sessions:,} of your {value.eligible_sessions:,} sessions "
        f"since first seen {day(value.first_seen_at)}"
    )
    interval = value.attendance.uncertainty.interval
    if value.attendance.value is not None and interval is not None:
        text += f" ({value.attendance.value:.0%}, 95%: {interval.low:.0%}-{interval.high:.0%})"
    text += "."
    if value.attended_sessions:
        text += f" Last visit {day(value.last_visit_at)}; current streak {value.current_streak}."
    usual_gap = value.usual_gap_sessions.value
    if value.at_risk and usual_gap is not None:
        text += (
            f" At risk: {value.sessions_since_last_visit} sessions missed, usually back within "
            f"{number_text(usual_gap)}."
        )
    elif value.is_regular:
        text += " A regular."
    return text
