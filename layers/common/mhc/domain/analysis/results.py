"""What every insight says besides its value: its evidence and its uncertainty."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mhc.domain.models import InteractionType
from mhc.domain.statistics import Uncertainty


class Frozen(BaseModel):
    # Built on first use (defer_build): most Lambdas import these without building one.
    model_config = ConfigDict(frozen=True, defer_build=True)


class InsightKind(StrEnum):
    SPENDING = "spending"
    TIMING = "timing"
    TAGS = "tags"
    LOYALTY = "loyalty"
    ENGAGEMENT = "engagement"
    #: What the person's own profile says (proposed attributes only).
    PROFILE = "profile"


class Window(Frozen):
    """The time the figures cover: `since` None means "since the beginning of the record"."""

    since: datetime | None
    until: datetime


class InteractionQuery(Frozen):
    """The interactions behind a figure, as a filter the UI can open (the interactions list)."""

    person_id: int | None = None
    types: tuple[InteractionType, ...] = ()
    #: Whose room: the owner's for in-room figures, None for anywhere.
    broadcaster: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class Evidence(Frozen):
    """What a figure was computed from: counts, the window, the sources (as stored:
    `cb_events`, `statbate_plus`, snapshot sources such as `statbate_member`, `token_history`),
    and where to look (an interactions query, snapshot ids)."""

    counts: dict[str, int] = Field(default_factory=dict)
    window: Window
    sources: tuple[str, ...] = ()
    query: InteractionQuery | None = None
    snapshot_ids: tuple[int, ...] = ()


V = TypeVar("V", bound=BaseModel)


class Insight(Frozen, Generic[V]):
    """One insight of one kind: the figures, what they rest on, and how sure they are.

    `uncertainty` is that of the headline estimate (e.g. the median tip for spending);
    estimates inside `value` carry their own. Exact counts are facts and always shown.
    """

    kind: InsightKind
    title: str
    summary: str
    value: V
    evidence: Evidence
    uncertainty: Uncertainty


def sorted_sources(*groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Source names, deduplicated, in a stable order."""
    return tuple(sorted({source for group in groups for source in group}))


def day(at: datetime | None) -> str:
    """A date as the owner reads it in summaries (ISO, unambiguous in every locale)."""
    return "never" if at is None else at.date().isoformat()


def number_text(value: float) -> str:
    """1234 -> "1,234", 2.5 -> "2.5": whole numbers without decimals, never an exponent."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def tokens_text(tokens: float) -> str:
    whole = round(tokens)
    return f"{whole:,} token" + ("" if whole == 1 else "s")
