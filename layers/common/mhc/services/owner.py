"""The owner's dashboard: live status, current session, latest Stats API figures, recent tips.

Read only: the owner's person row is never created here. Every section says where its figures
come from (`provider`: chaturbate, statbate, or mhc for figures computed from captured events).
The live status weighs every live signal (`mhc.domain.live`) and says which one decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.live import (
    LiveSignal,
    LiveStatus,
    Provider,
    feed_signal,
    live_status,
    session_signal,
    stats_signal,
)
from mhc.domain.models import (
    SessionSource,
    SessionStats,
    SnapshotSource,
    SnapshotWithDelta,
    StreamSession,
)
from mhc.services import interactions, persons, profiles, sessions, snapshots

RECENT_TIPS = 20
RECENT_SESSIONS = 10


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SourcedSnapshot(_Frozen):
    provider: Provider
    source: SnapshotSource
    snapshot: SnapshotWithDelta | None
    #: Change in followers since the previous snapshot (None without two snapshots).
    follower_delta: int | float | None = None


class SessionWithStats(_Frozen):
    provider: Provider = "mhc"
    source: str = "cb_events"
    session: StreamSession
    stats: SessionStats


class Tip(_Frozen):
    interaction_id: int
    occurred_at: datetime
    tokens: int | None
    message: str | None
    is_anonymous: bool
    #: None for an anonymous tip: the tipper asked not to be shown by name.
    person_id: int | None
    username: str | None


class RecentTips(_Frozen):
    provider: Provider = "chaturbate"
    source: str = "cb_events"
    items: list[Tip]


class OwnerDashboard(_Frozen):
    owner: str
    person_id: int | None
    live: LiveStatus
    current_session: SessionWithStats | None
    stats: SourcedSnapshot
    statbate: SourcedSnapshot
    recent_tips: RecentTips
    recent_sessions: list[SessionWithStats]


def _tokens(metadata: dict[str, Any]) -> int | None:
    value = metadata.get("tokens")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _message(metadata: dict[str, Any], content: str | None) -> str | None:
    value = metadata.get("message")
    return value if isinstance(value, str) else content


def _live_signals(
    conn: Conn,
    person_id: int | None,
    latest_session: StreamSession | None,
    cb_stats: SnapshotWithDelta | None,
    now: datetime,
) -> list[LiveSignal | None]:
    """Every live signal there is: the open (or else latest) session, the latest Stats API
    snapshot, the latest affiliate feed sighting."""
    signals: list[LiveSignal | None] = []
    if latest_session is not None:
        signals.append(
            session_signal(
                latest_session.started_at,
                latest_session.ended_at,
                manual=latest_session.source is SessionSource.MANUAL,
                now=now,
            )
        )
    if cb_stats is not None and isinstance(cb_stats.snapshot.raw_payload, Mapping):
        signals.append(
            stats_signal(cb_stats.snapshot.captured_at, cb_stats.snapshot.raw_payload, now=now)
        )
    if person_id is not None:
        seen = profiles.last_seen_online(
            conn, [person_id], profiles.get_many(conn, [person_id])
        ).get(person_id)
        if seen is not None:
            signals.append(feed_signal(seen, now=now))
    return signals


def dashboard(db: TransactionSource, owner: str, *, clock: Clock = utc_now) -> OwnerDashboard:
    now = clock()
    with db.transaction() as conn:
        person = persons.by_current_name(conn, owner)
        latest = snapshots.latest_per_source(conn, person.id) if person is not None else {}
        current = sessions.open_session(conn)
        recent = sessions.recent(conn, limit=RECENT_SESSIONS)
        tips = interactions.recent_tips(conn, owner, limit=RECENT_TIPS)
        live = live_status(
            _live_signals(
                conn,
                None if person is None else person.id,
                current or (recent[0] if recent else None),
                latest.get(SnapshotSource.CB_STATS),
                now,
            )
        )
        current_view = (
            None
            if current is None
            else SessionWithStats(
                session=current, stats=sessions.stats_of(conn, current, owner=owner, now=now)
            )
        )
        recent_views = [
            SessionWithStats(session=s, stats=sessions.stats_of(conn, s, owner=owner, now=now))
            for s in recent
        ]
    cb_stats = latest.get(SnapshotSource.CB_STATS)
    follower_delta = None
    if cb_stats is not None and cb_stats.delta is not None:
        follower_delta = cb_stats.delta.get("num_followers")
    items = []
    for interaction in tips:
        anonymous = interaction.metadata.get("isAnon") is True
        items.append(
            Tip(
                interaction_id=interaction.id,
                occurred_at=interaction.occurred_at,
                tokens=_tokens(interaction.metadata),
                message=_message(interaction.metadata, interaction.content),
                is_anonymous=anonymous,
                person_id=None if anonymous else interaction.person_id,
                username=None if anonymous else interaction.person_username,
            )
        )
    return OwnerDashboard(
        owner=owner,
        person_id=None if person is None else person.id,
        live=live,
        current_session=current_view,
        stats=SourcedSnapshot(
            provider="chaturbate",
            source=SnapshotSource.CB_STATS,
            snapshot=cb_stats,
            follower_delta=follower_delta,
        ),
        statbate=SourcedSnapshot(
            provider="statbate",
            source=SnapshotSource.STATBATE_MODEL,
            snapshot=latest.get(SnapshotSource.STATBATE_MODEL),
        ),
        recent_tips=RecentTips(items=items),
        recent_sessions=recent_views,
    )
