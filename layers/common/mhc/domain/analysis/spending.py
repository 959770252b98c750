"""Spending: what a person gave the owner, how they tip, and their share of wallet.

Anonymous tips are not counted by name (the tipper asked for it, as everywhere in MHC): they
are left out of a person's figures but stay in the owner's income. The 30-day windows are
(as_of - 30 d, as_of] and (as_of - 60 d, as_of - 30 d].

Share of wallet = tokens to the owner / tokens spent site-wide (Statbate `all_time_tokens`).
Statbate sees public tips only, so the numerator is tips only: Statbate's own figure for this
member on the owner's room (`members/{site}/{name}/model/{owner}`) when known, which measures
both sides the same way, else MHC's own tip total. The share is marked uncertain, with the
reasons, when the two sides cover different windows (see `_wallet`), and capped at 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from mhc.domain.analysis.results import (
    Evidence,
    Frozen,
    Insight,
    InsightKind,
    InteractionQuery,
    Window,
    day,
    number_text,
    tokens_text,
)
from mhc.domain.models import InteractionType
from mhc.domain.statistics import Distribution, Estimate, median
from mhc.domain.token_history import TransactionType

WINDOW = timedelta(days=30)
#: Snapshots and ranges this close count as the same moment.
SAME_TIME_TOLERANCE = timedelta(days=1)
#: Tip-size histogram: each bucket holds tips from its edge up to (not including) the next.
TIP_SIZE_EDGES = (1, 10, 25, 50, 100, 200, 500, 1000, 5000)


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment to the owner, for `spending_facts` (a service may aggregate in SQL instead)."""

    at: datetime
    tokens: int
    kind: TransactionType = TransactionType.TIP
    is_anonymous: bool = False


@dataclass(frozen=True, slots=True)
class StatbateWallet:
    """Statbate's view of the member: site-wide spending, and on the owner if fetched."""

    all_time_tokens: int | None
    captured_at: datetime
    #: The member's first tip anywhere, per Statbate.
    first_tip_at: datetime | None = None
    snapshot_id: int | None = None
    #: `total.tokens` of members/{site}/{name}/model/{owner}.
    owner_tokens: int | None = None
    #: Start of the range that figure was asked for (None = all time).
    owner_tokens_since: datetime | None = None
    owner_tokens_captured_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SpendingFacts:
    """A person's payments to the owner, aggregated (all sources, named only)."""

    as_of: datetime
    #: Tip sizes (anonymous tips left out), e.g. from `GROUP BY tokens`.
    tip_sizes: Distribution
    first_tip_at: datetime | None
    last_tip_at: datetime | None
    tokens_by_kind: Mapping[TransactionType, int]
    tokens_last_30d: int
    tokens_prior_30d: int
    #: Everything the owner earned in the last 30 days, from everyone (anonymous included).
    owner_tokens_last_30d: int
    #: Where MHC's record of this person starts (first capture or import), None = unknown.
    record_since: datetime | None = None
    sources: tuple[str, ...] = ()
    statbate: StatbateWallet | None = None
    person_id: int | None = None
    owner: str | None = None


def spending_facts(
    payments: Iterable[Payment],
    *,
    as_of: datetime,
    owner_tokens_last_30d: int,
    record_since: datetime | None = None,
    sources: tuple[str, ...] = (),
    statbate: StatbateWallet | None = None,
    person_id: int | None = None,
    owner: str | None = None,
) -> SpendingFacts:
    """Aggregate single payments (anonymous ones are left out; future ones ignored)."""
    sizes: list[int] = []
    by_kind: dict[TransactionType, int] = {}
    first = last = None
    last_30 = prior_30 = 0
    for payment in payments:
        if payment.tokens <= 0:
            raise ValueError("a payment has a positive number of tokens")
        if payment.at > as_of:
            continue
        if payment.is_anonymous:
            continue
        by_kind[payment.kind] = by_kind.get(payment.kind, 0) + payment.tokens
        age = as_of - payment.at
        if age < WINDOW:
            last_30 += payment.tokens
        elif age < 2 * WINDOW:
            prior_30 += payment.tokens
        if payment.kind is TransactionType.TIP:
            sizes.append(payment.tokens)
            first = payment.at if first is None else min(first, payment.at)
            last = payment.at if last is None else max(last, payment.at)
    return SpendingFacts(
        as_of=as_of,
        tip_sizes=Distribution.of(sizes),
        first_tip_at=first,
        last_tip_at=last,
        tokens_by_kind=by_kind,
        tokens_last_30d=last_30,
        tokens_prior_30d=prior_30,
        owner_tokens_last_30d=owner_tokens_last_30d,
        record_since=record_since,
        sources=sources,
        statbate=statbate,
        person_id=person_id,
        owner=owner,
    )


class HistogramBucket(Frozen):
    """Tips from `low` up to `high` inclusive (`high` None: no upper end)."""

    low: int
    high: int | None
    tips: int
    tokens: int


class ShareOfWallet(Frozen):
    share: float | None
    #: Where the numerator comes from: "statbate" (member on model) or "mhc" (own tips).
    numerator_source: str | None
    numerator_tokens: int | None
    all_time_tokens: int | None
    uncertain: bool
    reasons: tuple[str, ...]


class SpendingValue(Frozen):
    tokens_to_owner: int
    tokens_by_kind: dict[TransactionType, int]
    tips_to_owner: int
    median_tip: Estimate
    largest_tip: int | None
    first_tip_at: datetime | None
    last_tip_at: datetime | None
    tokens_last_30d: int
    tokens_prior_30d: int
    #: The person's tokens in the last 30 days over everything the owner earned then.
    share_of_owner_income: float | None
    statbate_all_time_tokens: int | None
    statbate_tokens_to_owner: int | None
    share_of_wallet: ShareOfWallet
    tip_histogram: tuple[HistogramBucket, ...]


def tip_histogram(sizes: Distribution) -> tuple[HistogramBucket, ...]:
    """Tips per size bucket (`TIP_SIZE_EDGES`); every bucket present, empty ones with 0."""
    tips = [0] * len(TIP_SIZE_EDGES)
    tokens = [0] * len(TIP_SIZE_EDGES)
    for value, count in sizes.counts():
        index = sum(1 for edge in TIP_SIZE_EDGES if value >= edge) - 1
        if index < 0:
            raise ValueError("tip sizes are at least 1 token")
        tips[index] += count
        tokens[index] += int(value) * count
    return tuple(
        HistogramBucket(
            low=low,
            high=TIP_SIZE_EDGES[i + 1] - 1 if i + 1 < len(TIP_SIZE_EDGES) else None,
            tips=tips[i],
            tokens=tokens[i],
        )
        for i, low in enumerate(TIP_SIZE_EDGES)
    )


def _wallet(facts: SpendingFacts, tip_tokens: int) -> ShareOfWallet:
    """Share of wallet, uncertain when:

    - MHC's own tips are the numerator and MHC's record starts after Statbate's first tip (tips
      before it are unknown to MHC) or tips were seen after Statbate's snapshot;
    - Statbate's member-on-model figure covers a shorter range than all time, or was fetched
      more than a day apart from the site-wide figure;
    - the numerator exceeds the site-wide total (one side lags): the share is capped at 1.
    """
    wallet = facts.statbate
    if wallet is None or not wallet.all_time_tokens or wallet.all_time_tokens <= 0:
        return ShareOfWallet(
            share=None,
            numerator_source=None,
            numerator_tokens=None,
            all_time_tokens=None if wallet is None else wallet.all_time_tokens,
            uncertain=False,
            reasons=(),
        )
    reasons: list[str] = []
    if wallet.owner_tokens is not None:
        source, numerator = "statbate", wallet.owner_tokens
        if wallet.owner_tokens_since is not None and (
            wallet.first_tip_at is None
            or wallet.owner_tokens_since - wallet.first_tip_at > SAME_TIME_TOLERANCE
        ):
            reasons.append(
                f"Statbate's figure for your room starts {day(wallet.owner_tokens_since)}, "
                f"its site-wide total at {day(wallet.first_tip_at)}"
            )
        fetched = wallet.owner_tokens_captured_at or wallet.captured_at
        if abs(fetched - wallet.captured_at) > SAME_TIME_TOLERANCE:
            reasons.append(
                f"the two Statbate figures were fetched on {day(fetched)} and "
                f"{day(wallet.captured_at)}"
            )
    else:
        source, numerator = "mhc", tip_tokens
        if facts.record_since is None or (
            wallet.first_tip_at is not None
            and facts.record_since - wallet.first_tip_at > SAME_TIME_TOLERANCE
        ):
            reasons.append(
                f"MHC's record starts {day(facts.record_since)}, Statbate's at "
                f"{day(wallet.first_tip_at)}: earlier tips to you may be missing"
            )
        if facts.last_tip_at is not None and facts.last_tip_at > wallet.captured_at:
            reasons.append(
                f"tips after Statbate's snapshot of {day(wallet.captured_at)} are counted "
                "on one side only"
            )
    share = numerator / wallet.all_time_tokens
    if share > 1:
        reasons.append("more than the site-wide total: one side lags; capped at 100%")
        share = 1.0
    return ShareOfWallet(
        share=share,
        numerator_source=source,
        numerator_tokens=numerator,
        all_time_tokens=wallet.all_time_tokens,
        uncertain=bool(reasons),
        reasons=tuple(reasons),
    )


def spending_insight(facts: SpendingFacts) -> Insight[SpendingValue]:
    sizes = facts.tip_sizes
    tip_tokens = int(sizes.total)
    total = sum(facts.tokens_by_kind.values())
    typical = median(sizes)
    wallet = _wallet(facts, tip_tokens)
    income = facts.owner_tokens_last_30d
    value = SpendingValue(
        tokens_to_owner=total,
        tokens_by_kind=dict(facts.tokens_by_kind),
        tips_to_owner=sizes.n,
        median_tip=typical,
        largest_tip=None if sizes.maximum is None else int(sizes.maximum),
        first_tip_at=facts.first_tip_at,
        last_tip_at=facts.last_tip_at,
        tokens_last_30d=facts.tokens_last_30d,
        tokens_prior_30d=facts.tokens_prior_30d,
        share_of_owner_income=None if income <= 0 else facts.tokens_last_30d / income,
        statbate_all_time_tokens=None if facts.statbate is None else facts.statbate.all_time_tokens,
        statbate_tokens_to_owner=None if facts.statbate is None else facts.statbate.owner_tokens,
        share_of_wallet=wallet,
        tip_histogram=tip_histogram(sizes),
    )
    sources = set(facts.sources)
    snapshot_ids: tuple[int, ...] = ()
    if facts.statbate is not None:
        sources.add("statbate_member")
        if facts.statbate.snapshot_id is not None:
            snapshot_ids = (facts.statbate.snapshot_id,)
    return Insight(
        kind=InsightKind.SPENDING,
        title="Spending",
        summary=_summary(value, facts),
        value=value,
        evidence=Evidence(
            counts={
                "tips": sizes.n,
                "tokens": total,
                "tip_tokens": tip_tokens,
                "owner_tokens_last_30d": income,
            },
            window=Window(since=facts.record_since, until=facts.as_of),
            sources=tuple(sorted(sources)),
            query=InteractionQuery(
                person_id=facts.person_id,
                types=(InteractionType.TIP_EVENT, InteractionType.MEDIA_PURCHASE),
                broadcaster=facts.owner,
                until=facts.as_of,
            ),
            snapshot_ids=snapshot_ids,
        ),
        uncertainty=typical.uncertainty,
    )


def _summary(value: SpendingValue, facts: SpendingFacts) -> str:
    if value.tokens_to_owner == 0:
        text = "No tokens to you yet."
    else:
        text = f"{tokens_text(value.tokens_to_owner)} to you"
        if value.tips_to_owner:
            plural = "" if value.tips_to_owner == 1 else "s"
            text += f", {value.tips_to_owner:,} tip{plural} since {day(value.first_tip_at)}"
        text += "."
        if value.median_tip.value is not None:
            interval = value.median_tip.uncertainty.interval
            text += f" Typical tip {number_text(value.median_tip.value)}"
            if interval is not None:
                text += f" (95%: {number_text(interval.low)}-{number_text(interval.high)})"
            text += "."
        elif value.tips_to_owner:
            text += " Too few tips for a typical size."
        text += (
            f" Last 30 days: {tokens_text(value.tokens_last_30d)} "
            f"(prior 30: {value.tokens_prior_30d:,})."
        )
    share = value.share_of_wallet.share
    if share is not None:
        text += f" About {share:.0%} of their site-wide spending"
        text += " (uncertain)." if value.share_of_wallet.uncertain else "."
    return text
