"""Request bodies and the small response envelopes that are the API's own (not use-case models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)

from mhc.domain import date_range
from mhc.domain.models import Confidence, EvidenceKind, Interaction, StreamSession
from mhc.domain.roles import Role


def _in_range(moment: datetime) -> datetime:
    if not date_range.is_sane(moment):
        raise ValueError(f"must be within {date_range.DESCRIPTION}")
    return moment


#: Every date the API accepts, in a body or a query: timezone-aware and within
#: `mhc.domain.date_range` (a year-10000 alias date made its person unreadable).
DateTimeInRange = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(description=f"ISO 8601 with a timezone, within {date_range.DESCRIPTION}"),
]


class _Body(BaseModel):
    """A request body: unknown fields are refused, and booleans and numbers must be JSON's own
    (`0` is not false, `"5"` is not 5: the document says boolean and integer)."""

    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: str
    database: str
    schema_version: int | None
    version: str


class LookupRequest(_Body):
    username: str | None = Field(default=None, max_length=64, examples=["alice_01"])
    role: Role | None = None
    pasted_text: str | None = Field(default=None, max_length=50_000)
    #: The names chosen among those the paste holds (`POST /api/paste/read`); null: all of them.
    usernames: list[str] | None = Field(default=None, max_length=50)
    include_statbate: StrictBool = False
    include_my_room: StrictBool = False


class NoteRequest(_Body):
    text: str = Field(min_length=1, max_length=10_000)
    idempotency_key: str | None = Field(default=None, max_length=100)


class NoteResult(BaseModel):
    interaction: Interaction
    created: bool


class AttributeRequest(_Body):
    value: str = Field(min_length=1, max_length=2000)
    confidence: Confidence
    evidence_kind: EvidenceKind = EvidenceKind.MANUAL
    snapshot_id: StrictInt | None = Field(default=None, ge=1, le=2**63 - 1)
    interaction_id: StrictInt | None = Field(default=None, ge=1, le=2**63 - 1)
    evidence_note: str | None = Field(default=None, max_length=2000)


class PersonPatch(_Body):
    """Change the role and/or exclusion. `role: null` hands the role back to the automatic rules."""

    role: Role | None = None
    is_excluded: StrictBool | None = None


class AliasRequest(_Body):
    old_username: str = Field(min_length=1, max_length=64)
    valid_from: DateTimeInRange | None = None
    valid_to: DateTimeInRange | None = None


class SessionResult(BaseModel):
    session: StreamSession | None


class MembershipResult(BaseModel):
    watchlist_id: int
    person_id: int
    member: bool
    changed: bool


class MergeRequest(_Body):
    """`from` is merged into the person of the path (or, for unmerge, taken back out of it)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_id: int = Field(alias="from", ge=1, le=2**63 - 1, description="the other person's id")


class PasteRequest(_Body):
    pasted_text: str = Field(min_length=1, max_length=50_000)
