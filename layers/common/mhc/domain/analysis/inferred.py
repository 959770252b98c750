"""Attributes proposed from insights, for the owner to accept with a click.

A proposal is never `high` (it is inferred, not known): `medium` when the insight behind it
is medium or high confidence, else `low`. Nothing is proposed when the insight withheld its
figure, and never for a key the owner already set by hand (`manual_keys`): a manual value is
never overwritten.

- `usual_hours`: the timing insight's peaks in words, with the timezone;
- `favourite_tags`: up to `FAVOURITE_TAGS` tags holding at least `FAVOURITE_TAG_MIN_WEIGHT`
  of the merged tag weight;
- `location`: what the person's broadcaster profile says (location, else country), `medium`:
  their own words, unverified.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime

from mhc.domain.analysis.results import Frozen, Insight, InsightKind, day
from mhc.domain.analysis.tags import TagsValue
from mhc.domain.analysis.timing import TimingValue
from mhc.domain.models import Confidence
from mhc.domain.statistics import Uncertainty

USUAL_HOURS = "usual_hours"
FAVOURITE_TAGS = "favourite_tags"
FAVOURITE_TAG_COUNT = 3
FAVOURITE_TAG_MIN_WEIGHT = 0.10
LOCATION = "location"


@dataclass(frozen=True, slots=True)
class ProfileLocation:
    """Where a broadcaster's profile says they are, and when MHC read it."""

    location: str | None
    country: str | None
    observed_at: datetime | None
    #: Where it was read: `cb_profile` (profile JSON) or `affiliate` (the feed).
    source: str


class InferredAttribute(Frozen):
    key: str
    value: str
    confidence: Confidence
    #: Why: the figures behind it, in words (fits `attributes.evidence_note`).
    evidence: str
    kind: InsightKind


def _confidence(certainty: Uncertainty) -> Confidence:
    if certainty.confidence in (Confidence.MEDIUM, Confidence.HIGH):
        return Confidence.MEDIUM
    return Confidence.LOW


def infer_attributes(
    *,
    timing: Insight[TimingValue] | None = None,
    tags: Insight[TagsValue] | None = None,
    location: ProfileLocation | None = None,
    manual_keys: Set[str] = frozenset(),
) -> tuple[InferredAttribute, ...]:
    proposals: list[InferredAttribute] = []
    place = None if location is None else (location.location or location.country or "").strip()
    if location is not None and place and LOCATION not in manual_keys:
        proposals.append(
            InferredAttribute(
                key=LOCATION,
                value=place[:200],
                confidence=Confidence.MEDIUM,
                evidence=(
                    f"Their profile ({location.source}) says so, read "
                    f"{day(location.observed_at)}; not verified."
                ),
                kind=InsightKind.PROFILE,
            )
        )
    if (
        timing is not None
        and USUAL_HOURS not in manual_keys
        and not timing.uncertainty.not_enough_data
        and timing.value.usual_hours is not None
    ):
        proposals.append(
            InferredAttribute(
                key=USUAL_HOURS,
                value=f"{timing.value.usual_hours} ({timing.value.timezone})",
                confidence=_confidence(timing.uncertainty),
                evidence=(
                    f"Peaks in {timing.value.active_hours} active hours "
                    f"({day(timing.evidence.window.since)} to {day(timing.evidence.window.until)}),"
                    " each well above an even spread (binomial test, Bonferroni)."
                ),
                kind=InsightKind.TIMING,
            )
        )
    if (
        tags is not None
        and FAVOURITE_TAGS not in manual_keys
        and not tags.uncertainty.not_enough_data
    ):
        favourites = [t for t in tags.value.tags if t.weight >= FAVOURITE_TAG_MIN_WEIGHT]
        favourites = favourites[:FAVOURITE_TAG_COUNT]
        if favourites:
            proposals.append(
                InferredAttribute(
                    key=FAVOURITE_TAGS,
                    value=", ".join(t.tag for t in favourites),
                    confidence=_confidence(tags.uncertainty),
                    evidence=(
                        "Tag weights "
                        + ", ".join(f"{t.tag} {t.weight:.0%}" for t in favourites)
                        + f" from {tags.uncertainty.n} rooms ("
                        + ", ".join(s.value for s in tags.value.sources_used)
                        + ")."
                    ),
                    kind=InsightKind.TAGS,
                )
            )
    return tuple(proposals)
