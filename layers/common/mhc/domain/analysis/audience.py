"""The owner's audience over a window: top spenders, regulars, newcomers, at-risk regulars,
and the best hours of the week.

Inputs are one aggregated row per person (from SQL) and the broadcast exposure per hour of
week. The exclusion set is explicit and honoured by every list: callers put the excluded
persons *and the owner* in it. Lists rank deterministically (ties by person id).

- top spenders: tokens to the owner in the window (named tokens only), > 0;
- regulars: `loyalty.is_regular` over the window's sessions, most sessions first;
- newcomers: first visit to the owner's room inside the window, newest first;
- at-risk regulars: `loyalty.is_at_risk`, most sessions missed first;
- best hours: tokens per broadcast hour in each hour-of-week bucket (tokens in the bucket
  over the hours the owner was live in it); a bucket needs `MIN_N` sessions to be ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mhc.domain.analysis.hours import BUCKETS, HOURS, Exposure, HourOfWeek, describe_slot
from mhc.domain.analysis.loyalty import (
    RfmCutoffs,
    is_at_risk,
    is_regular,
    rfm_cutoffs,
)
from mhc.domain.analysis.results import Evidence, Frozen, Window
from mhc.domain.statistics import Uncertainty, uncertainty, wilson_interval

TOP = 20


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """One person's figures in the owner's room over the window."""

    person_id: int
    #: Named tokens to the owner in the window (all sources).
    tokens: int
    tips: int
    sessions_attended: int
    #: The owner's sessions in the window since this person was first seen.
    sessions_eligible: int
    #: First visit to the owner's room ever (None: never visited).
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    #: Median sessions from one visit to the next, and how many gaps it rests on.
    usual_gap_sessions: float | None
    gaps: int
    #: Eligible sessions since the last visit (None: never attended).
    sessions_since_last_visit: int | None


class AudienceEntry(Frozen):
    person_id: int
    rank: int
    #: What the list ranks by (tokens, attendance share, first visit age, sessions missed).
    value: float
    evidence: Evidence
    uncertainty: Uncertainty


class BestHour(Frozen):
    day: int
    hour: int
    label: str
    tokens: int
    broadcast_hours: float
    tokens_per_hour: float
    evidence: Evidence
    uncertainty: Uncertainty


class Audience(Frozen):
    window: Window
    #: People the lists were drawn from (after exclusion).
    people: int
    top_spenders: tuple[AudienceEntry, ...]
    regulars: tuple[AudienceEntry, ...]
    newcomers: tuple[AudienceEntry, ...]
    at_risk_regulars: tuple[AudienceEntry, ...]
    best_hours: tuple[BestHour, ...]
    #: Quintile edges over this window's visitors; for `loyalty` pass a `RFM_WINDOW` window.
    rfm_cutoffs: RfmCutoffs | None


def _eligible(member: AudienceMember) -> int:
    """Sessions eligible, never fewer than those attended (an attended session is eligible)."""
    return max(member.sessions_eligible, member.sessions_attended)


def _counts(member: AudienceMember) -> dict[str, int]:
    return {
        "tokens": member.tokens,
        "tips": member.tips,
        "sessions_attended": member.sessions_attended,
        "sessions_eligible": member.sessions_eligible,
    }


def _entries(
    ranked: Sequence[tuple[AudienceMember, float, Uncertainty]],
    window: Window,
    sources: tuple[str, ...],
    limit: int,
) -> tuple[AudienceEntry, ...]:
    return tuple(
        AudienceEntry(
            person_id=member.person_id,
            rank=rank,
            value=value,
            evidence=Evidence(counts=_counts(member), window=window, sources=sources),
            uncertainty=certainty,
        )
        for rank, (member, value, certainty) in enumerate(ranked[:limit], start=1)
    )


def best_hours(
    tokens: HourOfWeek,
    exposure: Exposure,
    window: Window,
    *,
    sources: tuple[str, ...] = (),
    limit: int = 10,
) -> tuple[BestHour, ...]:
    """Buckets ranked by tokens per broadcast hour; buckets with < `MIN_N` sessions are left
    out (their rate rests on too few broadcasts to rank)."""
    hours: list[BestHour] = []
    for bucket in range(BUCKETS):
        live = exposure.hours[bucket]
        sessions = exposure.sessions[bucket]
        certainty = uncertainty(sessions)
        if live <= 0 or certainty.not_enough_data:
            continue
        hours.append(
            BestHour(
                day=bucket // HOURS,
                hour=bucket % HOURS,
                label=describe_slot(bucket),
                tokens=tokens.counts[bucket],
                broadcast_hours=live,
                tokens_per_hour=tokens.counts[bucket] / live,
                evidence=Evidence(
                    counts={"sessions": sessions, "tokens": tokens.counts[bucket]},
                    window=window,
                    sources=sources,
                ),
                uncertainty=certainty,
            )
        )
    hours.sort(key=lambda h: (-h.tokens_per_hour, h.day, h.hour))
    return tuple(hours[:limit])


def audience(
    members: Iterable[AudienceMember],
    *,
    window: Window,
    excluded: Iterable[int],
    tokens_by_hour: HourOfWeek | None = None,
    exposure: Exposure | None = None,
    sources: tuple[str, ...] = (),
    limit: int = TOP,
    cutoffs: RfmCutoffs | None = None,
    people_count: int | None = None,
) -> Audience:
    """The lists over `members`. A service that ranks in SQL may pass only the members that can
    appear in a list (the top spenders and newcomers by the lists' own order, every regular)
    with the RFM edges and the number of people computed over everyone (`cutoffs`,
    `people_count`); otherwise both come from `members`."""
    skip = set(excluded)
    people = [m for m in members if m.person_id not in skip]
    spenders = sorted((m for m in people if m.tokens > 0), key=lambda m: (-m.tokens, m.person_id))
    regulars = [m for m in people if is_regular(m.sessions_attended, _eligible(m))]
    regulars.sort(key=lambda m: (-m.sessions_attended, m.person_id))
    newcomers = [
        m
        for m in people
        if m.first_visit_at is not None
        and (window.since is None or m.first_visit_at >= window.since)
        and m.first_visit_at <= window.until
    ]
    newcomers.sort(key=lambda m: (-(m.first_visit_at or window.until).timestamp(), m.person_id))
    at_risk = [
        m
        for m in regulars
        if m.sessions_since_last_visit is not None
        and is_at_risk(True, m.usual_gap_sessions, m.sessions_since_last_visit)
    ]
    at_risk.sort(key=lambda m: (-(m.sessions_since_last_visit or 0), m.person_id))
    if cutoffs is None:
        visited = [m for m in people if m.last_visit_at is not None]
        cutoffs = rfm_cutoffs(
            [
                (window.until - m.last_visit_at).total_seconds() / 86400
                for m in visited
                if m.last_visit_at
            ],
            [m.sessions_attended for m in visited],
            [m.tokens for m in visited],
        )
    return Audience(
        window=window,
        people=len(people) if people_count is None else people_count,
        top_spenders=_entries(
            [(m, float(m.tokens), uncertainty(m.tips)) for m in spenders], window, sources, limit
        ),
        regulars=_entries(
            [
                (
                    m,
                    m.sessions_attended / _eligible(m),
                    uncertainty(
                        _eligible(m),
                        interval=wilson_interval(m.sessions_attended, _eligible(m)),
                    ),
                )
                for m in regulars
            ],
            window,
            sources,
            limit,
        ),
        newcomers=_entries(
            [
                (
                    m,
                    float(m.sessions_attended),
                    uncertainty(m.sessions_attended),
                )
                for m in newcomers
            ],
            window,
            sources,
            limit,
        ),
        at_risk_regulars=_entries(
            [(m, float(m.sessions_since_last_visit or 0), uncertainty(m.gaps)) for m in at_risk],
            window,
            sources,
            limit,
        ),
        best_hours=()
        if tokens_by_hour is None or exposure is None
        else best_hours(tokens_by_hour, exposure, window, sources=sources),
        rfm_cutoffs=cutoffs,
    )
