"""Tag preferences: one ranked list merged from every source that says something about taste.

Sources: Statbate's tag spending (tokens per tag, site-wide), the tags of rooms the person
tipped (tokens) and of rooms they visited (visits). Each source is first turned into shares
(its amounts over its own total), so tokens and visits become comparable; a tag's weight is
the weighted mean of its shares over the sources present, with the source weights in
`SOURCE_WEIGHTS` (money says more than a visit). Weights over all tags sum to 1.

Tags are compared case-folded, trimmed, without a leading "#". n = the rooms (or models)
behind the sources, as each source reports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mhc.domain.analysis.results import Evidence, Frozen, Insight, InsightKind, Window
from mhc.domain.statistics import uncertainty


class TagSourceKind(StrEnum):
    STATBATE_TAG_SPENDING = "statbate_tag_spending"
    ROOMS_TIPPED = "rooms_tipped"
    ROOMS_VISITED = "rooms_visited"


#: How much each source counts when merged.
SOURCE_WEIGHTS = {
    TagSourceKind.STATBATE_TAG_SPENDING: 1.0,
    TagSourceKind.ROOMS_TIPPED: 1.0,
    TagSourceKind.ROOMS_VISITED: 0.5,
}

MAX_TAG_LENGTH = 64


@dataclass(frozen=True, slots=True)
class TagSource:
    kind: TagSourceKind
    #: Tag -> amount (tokens for spending and tips, visits for visits).
    amounts: Mapping[str, float]
    #: Rooms (or models) behind the amounts: this source's share of n.
    observations: int
    #: Where the amounts come from, as stored (e.g. "statbate_member", "cb_profile").
    source: str = ""
    snapshot_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TagFacts:
    as_of: datetime
    sources: Sequence[TagSource]
    since: datetime | None = None


class TagShare(Frozen):
    source: TagSourceKind
    share: float
    amount: float


class TagWeight(Frozen):
    tag: str
    weight: float
    sources: tuple[TagShare, ...]


class TagsValue(Frozen):
    tags: tuple[TagWeight, ...]
    sources_used: tuple[TagSourceKind, ...]


def normalize_tag(tag: str) -> str:
    return tag.strip().lstrip("#").strip().casefold()[:MAX_TAG_LENGTH]


def merge_tags(
    sources: Sequence[TagSource],
) -> tuple[tuple[TagWeight, ...], tuple[TagSourceKind, ...]]:
    """Merged, ranked tags (weight desc, then tag) and the sources that had any weight."""
    shares: dict[str, dict[TagSourceKind, tuple[float, float]]] = {}
    used: dict[TagSourceKind, float] = {}
    for source in sources:
        cleaned: dict[str, float] = {}
        for tag, amount in source.amounts.items():
            if math.isnan(amount) or amount < 0:
                raise ValueError("tag amounts must be non-negative numbers")
            name = normalize_tag(tag)
            if name and amount > 0:
                cleaned[name] = cleaned.get(name, 0.0) + amount
        total = sum(cleaned.values())
        if total <= 0:
            continue
        weight = SOURCE_WEIGHTS[source.kind]
        used[source.kind] = used.get(source.kind, 0.0) + weight
        for name, amount in cleaned.items():
            per_tag = shares.setdefault(name, {})
            previous_share, previous_amount = per_tag.get(source.kind, (0.0, 0.0))
            per_tag[source.kind] = (
                previous_share + weight * amount / total,
                previous_amount + amount,
            )
    weight_sum = sum(used.values())
    merged = [
        TagWeight(
            tag=name,
            weight=sum(weighted for weighted, _ in per_source.values()) / weight_sum,
            sources=tuple(
                TagShare(
                    source=kind,
                    # a kind given twice is averaged over its copies
                    share=weighted / used[kind],
                    amount=amount,
                )
                for kind, (weighted, amount) in sorted(per_source.items())
            ),
        )
        for name, per_source in shares.items()
    ]
    merged.sort(key=lambda t: (-t.weight, t.tag))
    return tuple(merged), tuple(sorted(used))


def _counts(
    sources: Sequence[TagSource], used: tuple[TagSourceKind, ...], rooms: int, tags: int
) -> dict[str, int]:
    counts = {"rooms": rooms, "tags": tags}
    for source in sources:
        if source.kind in used:
            key = f"rooms_{source.kind.value}"
            counts[key] = counts.get(key, 0) + source.observations
    return counts


def tags_insight(facts: TagFacts) -> Insight[TagsValue]:
    tags, used = merge_tags(facts.sources)
    n = sum(s.observations for s in facts.sources if s.kind in used)
    value = TagsValue(tags=tags, sources_used=used)
    if tags:
        top = ", ".join(f"{t.tag} ({t.weight:.0%})" for t in tags[:3])
        summary = f"Favours {top}, from {n} rooms across {len(used)} source(s)."
    else:
        summary = "No tag information yet."
    return Insight(
        kind=InsightKind.TAGS,
        title="Tags",
        summary=summary,
        value=value,
        evidence=Evidence(
            counts=_counts(facts.sources, used, n, len(tags)),
            window=Window(since=facts.since, until=facts.as_of),
            sources=tuple(sorted({s.source for s in facts.sources if s.source and s.kind in used})),
            snapshot_ids=tuple(
                sorted({i for s in facts.sources if s.kind in used for i in s.snapshot_ids})
            ),
        ),
        uncertainty=uncertainty(n),
    )
