"""Engagement: how much a person talks in the owner's room, privately, and what they buy.

Messages per attended session is one observation per attended session (zeros included), so
its median gets an order-statistics interval and n = attended sessions; the share of sessions
in which they chatted at all gets a Wilson interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mhc.domain.analysis.results import (
    Evidence,
    Frozen,
    Insight,
    InsightKind,
    InteractionQuery,
    Window,
    number_text,
)
from mhc.domain.models import InteractionType
from mhc.domain.statistics import Distribution, Estimate, median, proportion


@dataclass(frozen=True, slots=True)
class EngagementFacts:
    as_of: datetime
    #: Chat messages in each attended session (one value per session, zeros included).
    messages_per_session: Distribution
    private_messages_received: int
    private_messages_sent: int
    media_purchases: int
    media_tokens: int
    since: datetime | None = None
    sources: tuple[str, ...] = ()
    person_id: int | None = None
    owner: str | None = None


class EngagementValue(Frozen):
    attended_sessions: int
    chat_messages: int
    mean_messages_per_session: float | None
    median_messages_per_session: Estimate
    share_of_sessions_with_chat: Estimate
    #: From the person to the owner, and from the owner to the person.
    private_messages_received: int
    private_messages_sent: int
    media_purchases: int
    media_tokens: int


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def engagement_insight(facts: EngagementFacts) -> Insight[EngagementValue]:
    per_session = facts.messages_per_session
    sessions = per_session.n
    messages = int(per_session.total)
    silent = per_session.cumulative[0] if per_session.values and per_session.values[0] == 0 else 0
    typical = median(per_session)
    value = EngagementValue(
        attended_sessions=sessions,
        chat_messages=messages,
        mean_messages_per_session=messages / sessions if sessions else None,
        median_messages_per_session=typical,
        share_of_sessions_with_chat=proportion(sessions - silent, sessions),
        private_messages_received=facts.private_messages_received,
        private_messages_sent=facts.private_messages_sent,
        media_purchases=facts.media_purchases,
        media_tokens=facts.media_tokens,
    )
    if sessions == 0:
        summary = "Has not attended a session of yours yet."
    else:
        summary = f"{messages:,} chat messages in {sessions:,} sessions"
        if typical.value is not None:
            summary += f", typically {number_text(typical.value)} per session"
        summary += "."
    summary += (
        f" {_count(facts.private_messages_received, 'private message')} to you,"
        f" {_count(facts.media_purchases, 'media purchase')}."
    )
    return Insight(
        kind=InsightKind.ENGAGEMENT,
        title="Engagement",
        summary=summary,
        value=value,
        evidence=Evidence(
            counts={
                "sessions_attended": sessions,
                "chat_messages": messages,
                "private_messages": facts.private_messages_received + facts.private_messages_sent,
                "media_purchases": facts.media_purchases,
            },
            window=Window(since=facts.since, until=facts.as_of),
            sources=tuple(sorted(set(facts.sources))),
            query=InteractionQuery(
                person_id=facts.person_id,
                types=(
                    InteractionType.CHAT_MESSAGE,
                    InteractionType.PRIVATE_MESSAGE,
                    InteractionType.MEDIA_PURCHASE,
                ),
                broadcaster=facts.owner,
                since=facts.since,
                until=facts.as_of,
            ),
        ),
        uncertainty=typical.uncertainty,
    )
