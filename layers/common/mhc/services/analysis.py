"""Behavioural analysis (issue 17): a person's insights, the owner's audience, a session's recap
and the attributes proposed from them (Statbate's member analysis is fetched by
`services.statbate_analysis`).

SQL aggregates come from `store.analysis` (this module alone uses it); the statistics, the
rules and the wording from `mhc.domain.analysis`; other concepts through their services. Each
read is one transaction. docs/analysis.md says where every figure comes from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.analysis.audience import (
    Audience,
    AudienceMember,
)
from mhc.domain.analysis.audience import (
    audience as audience_lists,
)
from mhc.domain.analysis.engagement import EngagementFacts, EngagementValue, engagement_insight
from mhc.domain.analysis.hours import HourOfWeek, broadcast_exposure, zone
from mhc.domain.analysis.inferred import (
    InferredAttribute,
    ProfileLocation,
    infer_attributes,
)
from mhc.domain.analysis.loyalty import (
    REGULAR_MIN_SESSIONS,
    RFM_WINDOW,
    FollowChange,
    LoyaltyFacts,
    LoyaltyValue,
    OwnerSession,
    RfmCutoffs,
    loyalty_insight,
)
from mhc.domain.analysis.presence import PresenceSummary
from mhc.domain.analysis.recap import RecapTip, SessionRecap, session_recap
from mhc.domain.analysis.results import Insight, Window
from mhc.domain.analysis.spending import (
    WINDOW,
    SpendingFacts,
    SpendingValue,
    StatbateWallet,
    spending_insight,
)
from mhc.domain.analysis.tags import TagFacts, TagSource, TagSourceKind, TagsValue, tags_insight
from mhc.domain.analysis.timing import (
    SessionPresence,
    SiteWideTips,
    TimingFacts,
    TimingValue,
    timing_insight,
)
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput
from mhc.domain.models import EvidenceKind, SnapshotSource, SnapshotWithDelta
from mhc.domain.statistics import Distribution
from mhc.domain.token_history import TransactionType
from mhc.services import memory, persons, profiles, sessions, snapshots
from mhc.services.statbate_analysis import statbate_time
from mhc.store import analysis as store
from mhc.store.analysis import SessionSpan

#: Arrival and stay are the medians over this many of the person's latest attended sessions.
PRESENCE_SESSIONS = 50
#: The attendance chart shows this many of the owner's latest sessions.
ATTENDANCE_POINTS = 60
#: A recap compares with the median of this many sessions before it.
RECAP_HISTORY = 50
#: The audience window when none is given.
DEFAULT_AUDIENCE_WINDOW = timedelta(days=90)
#: The sessions chart of the audience shows at most this many sessions.
SESSION_SERIES = 120
TOP = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- the audience's RFM edges, kept a while -----------------------------------------------
class RfmCache:
    """The owner's RFM edges over the last 90 days, recomputed at most every `ttl` per process.

    A person's loyalty places them among everyone who visited in 90 days: one pass over the
    whole audience (a few hundred ms on 2M interactions), too much for every person page. The
    edges move slowly, so each process keeps them `ttl` (the loyalty card's evidence says how
    many people and which window they rest on).
    """

    def __init__(self, ttl: timedelta = timedelta(minutes=15)) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[datetime, RfmCutoffs | None]] = {}

    def get(
        self, key: tuple[str, str], now: datetime, compute: Callable[[], RfmCutoffs | None]
    ) -> RfmCutoffs | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and timedelta(0) <= now - entry[0] < self.ttl:
            return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (now, value)
        return value


def _rfm_cutoffs(rows: store.Cutoffs | None) -> RfmCutoffs | None:
    if rows is None:
        return None
    return RfmCutoffs(
        recency_days=rows.recency_days,
        frequency=rows.frequency,
        monetary=rows.monetary,
        n=rows.n,
    )


def _audience_rows(conn: Conn, owner: str, since: datetime, until: datetime) -> store.AudienceRows:
    spans = [s for s in store.sessions(conn, until=until) if s.started_at >= since]
    return store.audience(
        conn,
        owner,
        session_ids=[s.id for s in spans],
        since=since,
        until=until,
        top=TOP,
        regular_min_sessions=REGULAR_MIN_SESSIONS,
    )


# -- a person's insights ---------------------------------------------------------------------
AnyInsight = (
    Insight[SpendingValue]
    | Insight[TimingValue]
    | Insight[TagsValue]
    | Insight[LoyaltyValue]
    | Insight[EngagementValue]
)


class Headline(_Frozen):
    """The figures an owner looks for first on a person's page."""

    tokens_to_owner: int
    tips_to_owner: int
    sessions_attended: int
    last_visit_at: datetime | None
    fan_club_joined_at: datetime | None
    following: bool | None
    is_regular: bool
    at_risk: bool


class MonthTokens(_Frozen):
    #: "2026-04", a calendar month in the owner's timezone.
    month: str
    tokens: int


class AttendancePoint(_Frozen):
    session_id: int
    started_at: datetime
    attended: bool
    #: False for the owner's sessions before MHC first saw the person (not held against them).
    eligible: bool


class PersonInsights(_Frozen):
    person_id: int
    as_of: datetime
    timezone: str
    headline: Headline
    insights: list[AnyInsight]
    monthly_tokens: list[MonthTokens]
    attendance: list[AttendancePoint]
    #: Attributes MHC would set, for the owner to accept (never over one set by hand).
    proposed_attributes: list[InferredAttribute]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wallet(latest: Mapping[SnapshotSource, SnapshotWithDelta]) -> StatbateWallet | None:
    member = latest.get(SnapshotSource.STATBATE_MEMBER)
    if member is None:
        return None
    metrics = member.snapshot.normalized_metrics
    on_model = latest.get(SnapshotSource.STATBATE_MEMBER_ON_MODEL)
    owner_tokens = owner_since = owner_at = None
    if on_model is not None:
        owner_tokens = _int(on_model.snapshot.normalized_metrics.get("tokens"))
        owner_since = statbate_time(on_model.snapshot.normalized_metrics.get("range_start"))
        owner_at = on_model.snapshot.captured_at
    return StatbateWallet(
        all_time_tokens=_int(metrics.get("all_time_tokens")),
        captured_at=member.snapshot.captured_at,
        first_tip_at=statbate_time(metrics.get("first_tip_date")),
        snapshot_id=member.snapshot.id,
        owner_tokens=owner_tokens,
        owner_tokens_since=owner_since,
        owner_tokens_captured_at=owner_at,
    )


def _tag_sources(conn: Conn, latest: Mapping[SnapshotSource, SnapshotWithDelta]) -> list[TagSource]:
    sources: list[TagSource] = []
    spending = latest.get(SnapshotSource.STATBATE_TAG_SPENDING)
    if spending is not None:
        metrics = spending.snapshot.normalized_metrics
        spent = metrics.get("tags")
        if isinstance(spent, dict):
            sources.append(
                TagSource(
                    kind=TagSourceKind.STATBATE_TAG_SPENDING,
                    amounts={str(k): float(v) for k, v in spent.items() if _number(v)},
                    observations=_int(metrics.get("rooms")) or 0,
                    source=SnapshotSource.STATBATE_TAG_SPENDING.value,
                    snapshot_ids=(spending.snapshot.id,),
                )
            )
    tipped: dict[str, float] = {}
    tips = latest.get(SnapshotSource.STATBATE_MEMBER_TIPS)
    if tips is not None and isinstance(tips.snapshot.normalized_metrics.get("rooms"), dict):
        tipped = {
            str(room): float(tokens)
            for room, tokens in tips.snapshot.normalized_metrics["rooms"].items()
            if _number(tokens)
        }
    member = latest.get(SnapshotSource.STATBATE_MEMBER)
    visited: list[str] = []
    if member is not None:
        listed = member.snapshot.normalized_metrics.get("models_messaged_2weeks_list")
        if isinstance(listed, list):
            visited = sorted({str(name).lower() for name in listed if isinstance(name, str)})
    room_tags = profiles.tags_by_room(conn, sorted(set(tipped) | set(visited)))
    if tipped and tips is not None:
        amounts: dict[str, float] = {}
        rooms = 0
        for room, tokens in tipped.items():
            if room in room_tags:
                rooms += 1
                for tag in room_tags[room]:
                    amounts[tag] = amounts.get(tag, 0.0) + tokens
        sources.append(
            TagSource(
                kind=TagSourceKind.ROOMS_TIPPED,
                amounts=amounts,
                observations=rooms,
                source=SnapshotSource.STATBATE_MEMBER_TIPS.value,
                snapshot_ids=(tips.snapshot.id,),
            )
        )
    if visited and member is not None:
        counts: dict[str, float] = {}
        rooms = 0
        for room in visited:
            if room in room_tags:
                rooms += 1
                for tag in room_tags[room]:
                    counts[tag] = counts.get(tag, 0.0) + 1
        sources.append(
            TagSource(
                kind=TagSourceKind.ROOMS_VISITED,
                amounts=counts,
                observations=rooms,
                source=SnapshotSource.STATBATE_MEMBER.value,
                snapshot_ids=(member.snapshot.id,),
            )
        )
    return sources


def _site_wide(snapshot: SnapshotWithDelta | None) -> SiteWideTips | None:
    if snapshot is None:
        return None
    metrics = snapshot.snapshot.normalized_metrics
    hours, days = metrics.get("tips_by_hour"), metrics.get("tips_by_day")
    if not (
        isinstance(hours, list) and len(hours) == 24 and isinstance(days, list) and len(days) == 7
    ):
        return None
    return SiteWideTips(
        tips_by_hour=[int(h) for h in hours],
        tips_by_day=[int(d) for d in days],
        timezone=metrics.get("timezone") if isinstance(metrics.get("timezone"), str) else None,
        captured_at=snapshot.snapshot.captured_at,
        snapshot_id=snapshot.snapshot.id,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _presence(span: SessionSpan, row: store.Presence, now: datetime) -> SessionPresence:
    end = span.ended_at or now
    start_gap = (row.first_at - span.started_at) if row.leave_first else timedelta(0)
    return SessionPresence(
        started_at=span.started_at,
        ended_at=end,
        summary=PresenceSummary(
            arrival=span.started_at if row.leave_first else row.first_at,
            total=timedelta(seconds=row.open_seconds) + start_gap,
            duplicate_enters=row.duplicate_enters,
            orphan_leaves=row.orphan_leaves,
            leave_without_enter=1 if row.leave_first else 0,
            enter_without_leave=1 if row.open_at_end else 0,
        ),
    )


@dataclass(frozen=True)
class _PersonFacts:
    spending: SpendingFacts
    timing: TimingFacts
    tags: TagFacts
    loyalty: LoyaltyFacts
    engagement: EngagementFacts
    monthly: list[tuple[str, int]]
    spans: list[SessionSpan]
    attended: set[int]
    location: ProfileLocation | None
    attributes: dict[str, tuple[EvidenceKind, str]]


def person_insights(
    db: TransactionSource,
    person_id: int,
    *,
    owner: str,
    timezone: str,
    clock: Clock = utc_now,
    rfm_cache: RfmCache | None = None,
) -> PersonInsights:
    """Spending, timing, tags, loyalty and engagement of one person (their whole group; an
    excluded person's own page still shows their figures), as of now."""
    zone(timezone)
    now = clock()
    with db.transaction() as conn:
        person = persons.get(conn, person_id)
        facts = _person_facts(conn, person.id, owner, timezone, now, rfm_cache)
    spending = spending_insight(facts.spending)
    timing = timing_insight(facts.timing)
    tags = tags_insight(facts.tags)
    loyalty = loyalty_insight(facts.loyalty)
    engagement = engagement_insight(facts.engagement)
    manual = {
        key for key, (kind, _) in facts.attributes.items() if kind is not EvidenceKind.INFERRED
    }
    proposals = [
        proposal
        for proposal in infer_attributes(
            timing=timing, tags=tags, location=facts.location, manual_keys=manual
        )
        if facts.attributes.get(proposal.key, (None, None))[1] != proposal.value
    ]
    first_seen = facts.loyalty.first_seen_at
    points = [
        AttendancePoint(
            session_id=span.id,
            started_at=span.started_at,
            attended=span.id in facts.attended,
            eligible=span.id in facts.attended
            or span.ended_at is None
            or span.ended_at >= first_seen,
        )
        for span in facts.spans[-ATTENDANCE_POINTS:]
    ]
    return PersonInsights(
        person_id=person.id,
        as_of=now,
        timezone=timezone,
        headline=Headline(
            tokens_to_owner=spending.value.tokens_to_owner,
            tips_to_owner=spending.value.tips_to_owner,
            sessions_attended=loyalty.value.attended_sessions,
            last_visit_at=loyalty.value.last_visit_at,
            fan_club_joined_at=loyalty.value.fan_club_joined_at,
            following=loyalty.value.following,
            is_regular=loyalty.value.is_regular,
            at_risk=loyalty.value.at_risk,
        ),
        insights=[spending, timing, tags, loyalty, engagement],
        monthly_tokens=[MonthTokens(month=m, tokens=t) for m, t in facts.monthly],
        attendance=points,
        proposed_attributes=proposals,
    )


def _person_facts(
    conn: Conn,
    person_id: int,
    owner: str,
    timezone: str,
    now: datetime,
    rfm_cache: RfmCache | None,
) -> _PersonFacts:
    ids = persons.group_ids(conn, person_id)
    first_seen = store.first_seen(conn, ids)
    pay = store.person_payments(
        conn, ids, owner, as_of=now, rfm_since=now - RFM_WINDOW, window=WINDOW, tz=timezone
    )
    income = sum(
        t
        for _, _, t in store.room_income(
            conn,
            owner,
            since=now - WINDOW,
            until=now,
            tz="UTC",
            include_since=False,
            include_until=True,
        )
    )
    grid, activity_since = store.activity_grid(conn, ids, tz=timezone, until=now)
    spans = store.sessions(conn, until=now)
    attended = store.attendance(conn, ids, owner)
    recent = [s for s in spans if s.id in attended][-PRESENCE_SESSIONS:]
    paired = store.presence(conn, ids, owner, recent, now=now)
    changes = store.follows(conn, ids, owner, until=now)
    room = store.room_activity(conn, ids, owner)
    latest = snapshots.latest_per_source(conn, person_id)
    profile = profiles.get(conn, person_id)
    tag_sources = _tag_sources(conn, latest)
    attributes = {a.key: (a.evidence_kind, a.value) for a in memory.attributes_of(conn, person_id)}
    cutoffs: RfmCutoffs | None
    if rfm_cache is None:
        cutoffs = _rfm_cutoffs(_audience_rows(conn, owner, now - RFM_WINDOW, now).cutoffs)
    else:
        cutoffs = rfm_cache.get(
            (owner, conn.info.dbname),
            now,
            lambda: _rfm_cutoffs(_audience_rows(conn, owner, now - RFM_WINDOW, now).cutoffs),
        )

    record_since = _earliest(first_seen, pay.first_payment_at)
    first_seen_at = first_seen or pay.first_payment_at or now
    spending = SpendingFacts(
        as_of=now,
        tip_sizes=Distribution.from_counts(pay.tip_sizes),
        first_tip_at=pay.first_tip_at,
        last_tip_at=pay.last_tip_at,
        tokens_by_kind={TransactionType(k): v for k, v in pay.tokens_by_kind.items()},
        tokens_last_30d=pay.tokens_last_30d,
        tokens_prior_30d=pay.tokens_prior_30d,
        owner_tokens_last_30d=income,
        record_since=record_since,
        sources=tuple(sorted(pay.sources)),
        statbate=_wallet(latest),
        person_id=person_id,
        owner=owner,
    )
    timing = TimingFacts(
        as_of=now,
        timezone=timezone,
        activity=HourOfWeek.from_rows(grid),
        activity_since=activity_since,
        sessions=[_presence(s, paired[s.id], now) for s in recent if s.id in paired],
        sources=("cb_events",) if grid else (),
        person_id=person_id,
        owner=owner,
        site_wide=_site_wide(latest.get(SnapshotSource.STATBATE_MEMBER_ACTIVITY)),
    )
    tags = TagFacts(as_of=now, sources=tag_sources, since=None)
    fan_club = next((at for at, kind in changes if kind == "FANCLUB_JOIN"), None)
    visits = [a.last_at for a in attended.values() if a.last_at is not None]
    loyalty = LoyaltyFacts(
        as_of=now,
        first_seen_at=first_seen_at,
        sessions=[
            OwnerSession(started_at=s.started_at, ended_at=s.ended_at, attended=s.id in attended)
            for s in spans
        ],
        last_visit_at=max(visits, default=None),
        follows=[
            FollowChange(at=at, followed=kind == "FOLLOW")
            for at, kind in changes
            if kind in ("FOLLOW", "UNFOLLOW")
        ],
        fan_club_joined_at=fan_club,
        rfm_cutoffs=cutoffs,
        tokens_in_rfm_window=pay.tokens_since_rfm,
        sources=("cb_events",) if attended or changes else (),
        person_id=person_id,
        owner=owner,
    )
    engagement = EngagementFacts(
        as_of=now,
        messages_per_session=Distribution.of(a.chat_messages for a in attended.values()),
        private_messages_received=room.private_messages_in,
        private_messages_sent=room.private_messages_out,
        media_purchases=pay.payments_by_kind.get("media_purchase", 0),
        media_tokens=pay.tokens_by_kind.get("media_purchase", 0),
        since=room.first_at,
        sources=("cb_events",) if room.first_at else (),
        person_id=person_id,
        owner=owner,
    )
    location = None
    if profile is not None and (profile.location or profile.country):
        location = ProfileLocation(
            location=profile.location,
            country=profile.country,
            observed_at=profile.profile_fetched_at or profile.updated_at,
            source="cb_profile" if profile.profile_fetched_at else "affiliate",
        )
    return _PersonFacts(
        spending=spending,
        timing=timing,
        tags=tags,
        loyalty=loyalty,
        engagement=engagement,
        monthly=pay.monthly,
        spans=spans,
        attended=set(attended),
        location=location,
        attributes=attributes,
    )


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


# -- the owner's audience --------------------------------------------------------------------
class SessionPoint(_Frozen):
    session_id: int
    started_at: datetime
    ended_at: datetime | None
    #: Everything paid in the session (anonymous tips included, excluded persons left out).
    tokens: int
    #: People with an action of their own in the session.
    visitors: int


class AudienceView(_Frozen):
    owner: str
    timezone: str
    as_of: datetime
    audience: Audience
    #: How many people were first seen in the room in the window (the list shows the newest),
    #: how many are regulars and how many regulars are at risk (the lists show the first 20).
    newcomers_total: int
    regulars_total: int
    at_risk_total: int
    #: Current names of everyone in the lists.
    names: dict[int, str]
    #: The window's sessions (the latest ones), oldest first, for the charts.
    sessions: list[SessionPoint]


def _clip(
    spans: Sequence[SessionSpan], since: datetime, until: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    clipped = []
    for span in spans:
        start = max(span.started_at, since)
        end = min(span.ended_at or now, until)
        if end > start:
            clipped.append((start, end))
    return clipped


def owner_audience(
    db: TransactionSource,
    *,
    owner: str,
    timezone: str,
    since: datetime | None = None,
    until: datetime | None = None,
    clock: Clock = utc_now,
) -> AudienceView:
    """Top spenders, regulars, newcomers, at-risk regulars and best hours over [since, until)
    (default: the 90 days to now). Sessions count when they started in the window."""
    tz = zone(timezone)
    now = clock()
    until = until or now
    since = since or until - DEFAULT_AUDIENCE_WINDOW
    if since >= until:
        raise InvalidInput("since", "must be before until")
    with db.transaction() as conn:
        spans = [s for s in store.sessions(conn, until=until) if s.started_at >= since]
        session_ids = [s.id for s in spans]
        rows = store.audience(
            conn,
            owner,
            session_ids=session_ids,
            since=since,
            until=until,
            top=TOP,
            regular_min_sessions=REGULAR_MIN_SESSIONS,
        )
        # Every listed person's figures and attendance come with the lists (a newcomer's
        # with their first visit).
        listed = {
            v.person_id: (v, st)
            for v, st in [*rows.spenders, *rows.regulars, *rows.at_risk, *rows.newcomers]
        }
        ids = sorted(listed)
        income = store.room_income(conn, owner, since=since, until=until, tz=timezone)
        tokens = store.session_tokens(conn, owner, spans[-SESSION_SERIES:], now=now)
        names = store.names(conn, ids)
        owner_person = persons.by_current_name(conn, owner)
    members = []
    for pid in ids:
        visitor, stats = listed[pid]
        members.append(
            AudienceMember(
                person_id=pid,
                tokens=visitor.tokens,
                tips=visitor.tips,
                sessions_attended=stats.attended,
                sessions_eligible=stats.eligible,
                first_visit_at=visitor.first_visit_at,
                last_visit_at=visitor.last_visit_at,
                usual_gap_sessions=stats.usual_gap,
                gaps=stats.gaps,
                sessions_since_last_visit=stats.sessions_since_last_visit,
            )
        )
    lists = audience_lists(
        members,
        window=Window(since=since, until=until),
        excluded=() if owner_person is None else (owner_person.id,),
        tokens_by_hour=HourOfWeek.from_rows(income),
        exposure=broadcast_exposure(_clip(spans, since, until, now), tz),
        sources=("cb_events",),
        cutoffs=_rfm_cutoffs(rows.cutoffs),
        people_count=rows.people,
    )
    return AudienceView(
        owner=owner,
        timezone=timezone,
        as_of=now,
        audience=lists,
        newcomers_total=rows.newcomers_total,
        regulars_total=rows.regulars_total,
        at_risk_total=rows.at_risk_total,
        names=names,
        sessions=[
            SessionPoint(
                session_id=s.id,
                started_at=s.started_at,
                ended_at=s.ended_at,
                tokens=tokens[s.id],
                visitors=rows.session_visitors.get(s.id, 0),
            )
            for s in spans[-SESSION_SERIES:]
        ],
    )


# -- one session's recap ---------------------------------------------------------------------
class RecapView(_Frozen):
    session_id: int
    started_at: datetime
    ended_at: datetime | None
    as_of: datetime
    recap: SessionRecap
    #: The sessions before this one the medians rest on.
    compared_with: int
    #: Current names of the top tippers.
    names: dict[int, str]


def session_recap_of(
    db: TransactionSource, session_id: int, *, owner: str, clock: Clock = utc_now
) -> RecapView:
    """One session's figures, each against the owner's median over the sessions before it."""
    now = clock()
    with db.transaction() as conn:
        session = sessions.get(conn, session_id)
        span = SessionSpan(session.id, session.started_at, session.ended_at)
        people = store.session_people(conn, session.id, owner)
        tips = store.session_tips(conn, owner, span, now=now)
        events = store.session_presence_events(conn, owner, span, now=now)
        before = [s for s in store.sessions(conn, until=session.started_at) if s.id != session.id]
        history = store.session_figures(conn, owner, before[-RECAP_HISTORY:], now=now)
        tippers = sorted({pid for pid, _, anonymous in tips if not anonymous})
        names = store.names(conn, tippers)
    visitors = [p for p in people if p.actions > 0]
    recap = session_recap(
        session_start=span.started_at,
        session_end=span.ended_at or now,
        figures={
            "chat_messages": sum(p.chat_messages for p in people),
            "new_followers": sum(p.follows for p in people),
            "unfollows": sum(p.unfollows for p in people),
            "unique_visitors": len(visitors),
        },
        history=list(history.values()),
        tips=[RecapTip(person_id=pid, tokens=t, is_anonymous=a) for pid, t, a in tips],
        presence=events,
        first_seen_in_room={
            p.person_id: p.first_in_room_at for p in visitors if p.first_in_room_at is not None
        },
    )
    return RecapView(
        session_id=session.id,
        started_at=session.started_at,
        ended_at=session.ended_at,
        as_of=now,
        recap=recap,
        compared_with=len(history),
        names={pid: names[pid] for pid in (t.person_id for t in recap.top_tippers) if pid in names},
    )
