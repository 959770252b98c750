"""The owner's vocabulary as typed models: person, alias, snapshot, interaction, session, ..."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mhc.domain.roles import Role


class InteractionType(StrEnum):
    CHAT_MESSAGE = "CHAT_MESSAGE"
    PRIVATE_MESSAGE = "PRIVATE_MESSAGE"
    DIRECT_MESSAGE = "DIRECT_MESSAGE"
    TIP_EVENT = "TIP_EVENT"
    PROFILE_PASTE = "PROFILE_PASTE"
    CHAT_IMPORT = "CHAT_IMPORT"
    MANUAL_NOTE = "MANUAL_NOTE"
    FOLLOW = "FOLLOW"
    UNFOLLOW = "UNFOLLOW"
    USER_ENTER = "USER_ENTER"
    USER_LEAVE = "USER_LEAVE"
    FANCLUB_JOIN = "FANCLUB_JOIN"
    MEDIA_PURCHASE = "MEDIA_PURCHASE"
    ROOM_SUBJECT_CHANGE = "ROOM_SUBJECT_CHANGE"
    #: From the owner's token-history export: what the Events API never reports.
    PRIVATE_SHOW = "PRIVATE_SHOW"
    SPY_SHOW = "SPY_SHOW"
    OTHER_PAYMENT = "OTHER_PAYMENT"


class InteractionSource(StrEnum):
    CB_EVENTS = "cb_events"
    STATBATE_PLUS = "statbate_plus"
    MANUAL = "manual"
    DM_IMPORT = "dm_import"
    TOKEN_HISTORY = "token_history"  # noqa: S105 (a source, not a token)


class SnapshotSource(StrEnum):
    STATBATE_MEMBER = "statbate_member"
    STATBATE_MODEL = "statbate_model"
    CB_STATS = "cb_stats"
    CB_PROFILE = "cb_profile"
    AFFILIATE = "affiliate"
    MANUAL = "manual"
    #: Statbate: what the member spent in the owner's room (members/{site}/{name}/model/{owner}).
    STATBATE_MEMBER_ON_MODEL = "statbate_member_on_model"
    #: Statbate: the member's tokens per room tag, site-wide.
    STATBATE_TAG_SPENDING = "statbate_tag_spending"
    #: Statbate: the member's latest tips, site-wide (rooms tipped).
    STATBATE_MEMBER_TIPS = "statbate_member_tips"
    #: Statbate: the member's tips per hour of day and day of week, site-wide.
    STATBATE_MEMBER_ACTIVITY = "statbate_member_activity"


class SessionSource(StrEnum):
    MANUAL = "manual"
    CB_EVENTS = "cb_events"


class AliasSource(StrEnum):
    STATBATE_DID = "statbate_did"
    STATBATE_RID = "statbate_rid"
    MANUAL = "manual"
    #: The current name of a person merged into this one.
    MERGE = "merge"


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class EvidenceKind(StrEnum):
    SNAPSHOT = "snapshot"
    INTERACTION = "interaction"
    MANUAL = "manual"
    #: Proposed by MHC's analysis and accepted by the owner (the note says from what).
    INFERRED = "inferred"


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_CONFIGURED = "not_configured"
    #: The upstream session (Statbate Plus cookies) has expired: the owner must sign in again.
    AUTH_EXPIRED = "auth_expired"


class _Row(BaseModel):
    # Built on first use (defer_build): each Lambda imports rows it never validates.
    model_config = ConfigDict(frozen=True, from_attributes=True, defer_build=True)


class Person(_Row):
    id: int
    platform: str
    username: str
    username_since: datetime
    role: Role
    role_is_manual: bool
    rid: int | None
    did: int | None
    is_excluded: bool
    #: When MHC first and last observed them (an event, a feed sighting, a snapshot); None
    #: while they have only been looked up.
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: Set when this row was merged into another person: read that person instead.
    merged_into: int | None = None


class PersonAlias(_Row):
    id: int
    person_id: int
    username: str
    valid_from: datetime
    valid_to: datetime
    source: AliasSource


class Snapshot(_Row):
    id: int
    person_id: int
    source: SnapshotSource
    captured_at: datetime
    raw_payload: Any
    normalized_metrics: dict[str, Any]
    created_at: datetime


class SnapshotWithDelta(_Row):
    snapshot: Snapshot
    #: Change since the previous snapshot of the same person and source (None for the first).
    delta: dict[str, int | float | None] | None


class NewInteraction(_Row):
    """An interaction to append; (`source`, `external_id`) makes the append idempotent."""

    person_id: int
    type: InteractionType
    source: InteractionSource
    external_id: str = Field(min_length=1, max_length=200)
    occurred_at: datetime
    broadcaster: str | None = None
    content: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Interaction(_Row):
    id: int
    #: The person it counts as (a merged row reads as the survivor). None for an anonymous tip:
    #: the tipper asked not to be named, so no list or figure names them.
    person_id: int | None
    #: The person's current username (read with the row, so lists need no second lookup).
    person_username: str | None
    is_anonymous: bool = False
    type: InteractionType
    source: InteractionSource
    external_id: str
    occurred_at: datetime
    broadcaster: str | None
    content: str | None
    metadata: dict[str, Any]
    created_at: datetime


class StreamSession(_Row):
    id: int
    started_at: datetime
    ended_at: datetime | None
    source: SessionSource
    created_at: datetime
    updated_at: datetime


class SessionStats(_Row):
    session_id: int
    duration_seconds: int
    interactions: int
    tips: int
    tokens: int
    distinct_visitors: int


class Watchlist(_Row):
    id: int
    name: str
    is_system: bool
    member_count: int


class Attribute(_Row):
    id: int
    person_id: int
    key: str
    value: str
    confidence: Confidence
    evidence_kind: EvidenceKind
    snapshot_id: int | None
    interaction_id: int | None
    evidence_note: str | None
    created_at: datetime
    updated_at: datetime


class JobRun(_Row):
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: JobStatus
    counts: dict[str, Any]
    error: str | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a keyset-paginated list; `next_cursor` is opaque, None on the last page."""

    items: list[T]
    next_cursor: str | None
