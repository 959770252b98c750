"""Alerts: the owner's rules, their evaluation when someone arrives, and suggested thresholds.

Rules are typed and validated (the owner edits them through the API). Evaluation is pure: the
service gathers a person's facts at the moment of the trigger and gets back the alerts to store.
Triggers: an **arrival** (userEnter) evaluates every rule but `new_follower_tipper`, which is
evaluated on a **follow** (it is about the follow, not the visit). Each alert has a `key` =
rule id + the triggering event id, so storing it is idempotent and a rule fires at most once
per arrival. Never for an excluded person, an anonymous user or the owner.

Thresholds are suggested from the owner's own history: the top `TOP_SHARE` of people by the
figure the rule uses (lifetime tokens; largest single tip in the window), as the value the
k-th biggest reached (k = ⌈n·share⌉, at least 1), with its reasoning and n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from mhc.domain.analysis.loyalty import is_regular
from mhc.domain.errors import InvalidInput
from mhc.domain.statistics import Distribution, Uncertainty, uncertainty

MAX_RULES = 50
MAX_TOKENS = 10_000_000
MAX_DAYS = 3650
TOP_SHARE = 0.01


class AlertKind(StrEnum):
    LIFETIME_TOKENS = "lifetime_tokens"
    BIG_TIP = "big_tip"
    WATCHLIST = "watchlist"
    RETURNING_REGULAR = "returning_regular"
    NEW_FOLLOWER_TIPPER = "new_follower_tipper"


class Trigger(StrEnum):
    ARRIVAL = "arrival"
    FOLLOW = "follow"


class _Rule(BaseModel):
    # Booleans and numbers are JSON's own (`0` is not false, `"5"` is not 5), like every body.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: The owner's name for the rule, unique among the rules (lower case, digits, - and _).
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    enabled: StrictBool = True
    #: Play a sound in the browser when it fires (the Live page's choice to honour).
    sound: StrictBool = False


class LifetimeTokensRule(_Rule):
    """Someone whose lifetime tokens to the owner (all sources) reach `min_tokens` arrives."""

    kind: Literal[AlertKind.LIFETIME_TOKENS] = AlertKind.LIFETIME_TOKENS
    min_tokens: StrictInt = Field(ge=1, le=MAX_TOKENS)


class BigTipRule(_Rule):
    """Someone who gave a single tip of at least `min_tokens` in the last `within_days` arrives."""

    kind: Literal[AlertKind.BIG_TIP] = AlertKind.BIG_TIP
    min_tokens: StrictInt = Field(ge=1, le=MAX_TOKENS)
    within_days: StrictInt = Field(ge=1, le=MAX_DAYS)


class WatchlistRule(_Rule):
    """A member of the watchlist arrives."""

    kind: Literal[AlertKind.WATCHLIST] = AlertKind.WATCHLIST
    watchlist_id: StrictInt = Field(ge=1, le=2**63 - 1)


class ReturningRegularRule(_Rule):
    """A regular (`loyalty.is_regular`) comes back after at least `min_days_away` days."""

    kind: Literal[AlertKind.RETURNING_REGULAR] = AlertKind.RETURNING_REGULAR
    min_days_away: StrictInt = Field(ge=1, le=MAX_DAYS)


class NewFollowerTipperRule(_Rule):
    """Someone who has tipped the owner at least `min_tokens` in all starts following."""

    kind: Literal[AlertKind.NEW_FOLLOWER_TIPPER] = AlertKind.NEW_FOLLOWER_TIPPER
    min_tokens: StrictInt = Field(default=1, ge=1, le=MAX_TOKENS)


AlertRule = Annotated[
    LifetimeTokensRule | BigTipRule | WatchlistRule | ReturningRegularRule | NewFollowerTipperRule,
    Field(discriminator="kind"),
]


class AlertRules(BaseModel):
    """The owner's whole rule set (PUT replaces it)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rules: tuple[AlertRule, ...] = Field(default=(), max_length=MAX_RULES)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[AlertRule, ...]) -> tuple[AlertRule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return rules


def parse_rules(data: Any) -> AlertRules:
    """The owner's rules from JSON; InvalidInput names the first bad field (`rules.0.min_tokens`)."""
    try:
        return AlertRules.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        raise InvalidInput(location or "rules", message) from None


def lookback_days(rules: AlertRules) -> int:
    """How far back a service must read tips for the enabled big-tip rules (0: not at all)."""
    return max(
        (r.within_days for r in rules.rules if isinstance(r, BigTipRule) and r.enabled), default=0
    )


@dataclass(frozen=True, slots=True)
class AlertTrigger:
    kind: Trigger
    at: datetime
    #: The Events API event id of the enter or follow (makes the alert idempotent).
    event_id: str


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What is known about the person at the trigger (before it, for visits)."""

    person_id: int
    is_excluded: bool
    is_owner: bool
    is_anonymous: bool
    lifetime_tokens: int
    #: (time, tokens) of their tips to the owner, at least `lookback_days` back.
    recent_tips: Sequence[tuple[datetime, int]] = ()
    watchlist_ids: Set[int] = frozenset()
    sessions_attended: int = 0
    sessions_eligible: int = 0
    #: Their last visit to the owner's room before this arrival (None: first visit).
    previous_visit_at: datetime | None = None


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    key: str
    rule_id: str
    kind: AlertKind
    person_id: int
    trigger: Trigger
    event_id: str
    at: datetime
    reason: str
    sound: bool


class AlertView(Alert):
    """A stored alert as the owner reads it: its person as the survivor of any merge since."""

    username: str


def _fires(rule: AlertRule, facts: PersonFacts, trigger: AlertTrigger) -> str | None:
    """The reason the rule fires, or None."""
    if isinstance(rule, NewFollowerTipperRule):
        if trigger.kind is Trigger.FOLLOW and facts.lifetime_tokens >= rule.min_tokens:
            return f"New follower who has given you {facts.lifetime_tokens:,} tokens"
        return None
    if trigger.kind is not Trigger.ARRIVAL:
        return None
    if isinstance(rule, LifetimeTokensRule):
        if facts.lifetime_tokens >= rule.min_tokens:
            return f"{facts.lifetime_tokens:,} tokens to you in all (≥ {rule.min_tokens:,})"
        return None
    if isinstance(rule, BigTipRule):
        since = trigger.at - timedelta(days=rule.within_days)
        biggest = max((t for at, t in facts.recent_tips if since <= at <= trigger.at), default=0)
        if biggest >= rule.min_tokens:
            return (
                f"Tipped {biggest:,} tokens at once in the last {rule.within_days} days "
                f"(≥ {rule.min_tokens:,})"
            )
        return None
    if isinstance(rule, WatchlistRule):
        return "On your watchlist" if rule.watchlist_id in facts.watchlist_ids else None
    if isinstance(rule, ReturningRegularRule):
        if facts.previous_visit_at is None:
            return None
        if not is_regular(facts.sessions_attended, facts.sessions_eligible):
            return None
        away = trigger.at - facts.previous_visit_at
        if away >= timedelta(days=rule.min_days_away):
            return f"A regular back after {away.days} days away"
        return None
    raise AssertionError(f"unhandled rule {rule!r}")  # pragma: no cover


def evaluate(rules: AlertRules, facts: PersonFacts, trigger: AlertTrigger) -> tuple[Alert, ...]:
    """The alerts `trigger` raises for this person, in rule order (none for the excluded, the
    anonymous and the owner)."""
    if facts.is_excluded or facts.is_anonymous or facts.is_owner:
        return ()
    alerts: list[Alert] = []
    for rule in rules.rules:
        if not rule.enabled:
            continue
        reason = _fires(rule, facts, trigger)
        if reason is None:
            continue
        alerts.append(
            Alert(
                key=f"{rule.id}:{trigger.event_id}",
                rule_id=rule.id,
                kind=rule.kind,
                person_id=facts.person_id,
                trigger=trigger.kind,
                event_id=trigger.event_id,
                at=trigger.at,
                reason=reason,
                sound=rule.sound,
            )
        )
    return tuple(alerts)


# -- threshold suggestions ----------------------------------------------------------------------
class ThresholdSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: AlertKind
    #: None when there is not enough data to suggest anything.
    threshold: int | None
    top_share: float
    #: People the suggestion was computed from (those with a value above 0).
    n: int
    #: People at or above the threshold (ties can make it more than the top share).
    at_or_above: int
    reasoning: str
    uncertainty: Uncertainty


def suggest_threshold(
    kind: AlertKind,
    values: Mapping[int, int],
    *,
    excluded: Set[int],
    top_share: float = TOP_SHARE,
    what: str,
) -> ThresholdSuggestion:
    """The value reached by the top `top_share` of people (see the module docstring).

    `values` is one figure per person id; zeros (people who never tipped) and `excluded`
    people are left out. `what` names the figure in the reasoning ("lifetime tokens").
    """
    if not 0 < top_share < 1:
        raise ValueError("top_share must be between 0 and 1")
    kept = [v for person, v in values.items() if person not in excluded and v > 0]
    distribution = Distribution.of(kept)
    n = distribution.n
    certainty = uncertainty(n)
    percent = f"{top_share:.0%}" if top_share >= 0.01 else f"{top_share:.1%}"
    if certainty.not_enough_data:
        return ThresholdSuggestion(
            kind=kind,
            threshold=None,
            top_share=top_share,
            n=n,
            at_or_above=0,
            reasoning=f"Only {n} people with any {what} yet: too few to suggest a threshold.",
            uncertainty=certainty,
        )
    k = max(1, math.ceil(n * top_share))
    threshold = int(distribution.order_statistic(n - k + 1))
    at_or_above = distribution.count_at_least(threshold)
    reasoning = (
        f"The top {percent} of the {n:,} people with any {what} ({k:,} "
        f"{'person' if k == 1 else 'people'}) reached {threshold:,} or more; "
        f"{at_or_above:,} {'is' if at_or_above == 1 else 'are'} at or above it."
    )
    if n * top_share < 1:
        reasoning += f" With fewer than {math.ceil(1 / top_share):,} people that is the very top."
    return ThresholdSuggestion(
        kind=kind,
        threshold=threshold,
        top_share=top_share,
        n=n,
        at_or_above=at_or_above,
        reasoning=reasoning,
        uncertainty=certainty,
    )


def suggest_lifetime_tokens(
    lifetime_tokens: Mapping[int, int], *, excluded: Set[int], top_share: float = TOP_SHARE
) -> ThresholdSuggestion:
    return suggest_threshold(
        AlertKind.LIFETIME_TOKENS,
        lifetime_tokens,
        excluded=excluded,
        top_share=top_share,
        what="lifetime tokens to you",
    )


def suggest_big_tip(
    largest_tip: Mapping[int, int],
    *,
    within_days: int,
    excluded: Set[int],
    top_share: float = TOP_SHARE,
) -> ThresholdSuggestion:
    """From each person's largest single tip in the last `within_days` days."""
    return suggest_threshold(
        AlertKind.BIG_TIP,
        largest_tip,
        excluded=excluded,
        top_share=top_share,
        what=f"tip in the last {within_days} days (largest single tip)",
    )
