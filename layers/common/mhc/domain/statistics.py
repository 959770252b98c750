"""The statistics behind every insight, and the one rule that says how sure a figure is.

Everything here is distribution-free or exact where it can be, because the owner's data is
small, skewed and lumpy (a handful of whales, thousands of 1-token tips):

- a **proportion** (attendance, share of tips seen live) gets a Wilson 95% interval, which
  stays inside [0, 1] and behaves at 0 and n successes, where the textbook normal interval
  collapses to a point;
- a **median** gets a distribution-free order-statistics interval: [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] with the
  largest j whose binomial(n, ½) coverage is still ≥ 95% (exact up to
  `EXACT_ORDER_STATISTICS_MAX_N`, normal approximation above). No such interval exists for
  n < 6, so none is given;
- **quantiles** are the linear-interpolation kind (Hyndman & Fan type 7, numpy's default);
- **peaks** (an hour or a day standing out) must beat the expected share by an exact
  one-sided binomial test, Bonferroni-corrected for the number of buckets looked at, on at
  least `PEAK_MIN_N` observations.

The confidence rule (`confidence_for`, `uncertainty`): n is the number of independent
observations behind a figure (tips for a median tip, sessions for attendance...); below
`MIN_N` an estimate is withheld ("not enough data"), below `MEDIUM_N` it is `low`, below
`HIGH_N` `medium`, and `high` from there. Exact counts (tokens, tips) are facts, always shown;
the rule applies to what is *estimated* from them. docs/analysis.md says the same for the owner.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mhc.domain.models import Confidence

#: Below this many observations an estimate is not shown ("not enough data").
MIN_N = 5
#: From this many observations an estimate is `medium` (below: `low`).
MEDIUM_N = 20
#: From this many observations an estimate is `high`.
HIGH_N = 50
#: A peak (hour, day) is only looked for with at least this many observations.
PEAK_MIN_N = MEDIUM_N
#: The family-wise error rate of the peak test, shared by all buckets looked at.
PEAK_FAMILY_ALPHA = 0.05

LEVEL_95 = 0.95
#: Two-sided 95% normal quantile.
Z_95 = 1.959963984540054
#: Up to this n the median interval's ranks are exact binomial; above, a normal approximation
#: (off by at most one rank there, and each exact step costs a big-integer product).
EXACT_ORDER_STATISTICS_MAX_N = 1000

_NORMAL = NormalDist()


class _Frozen(BaseModel):
    # Built on first use: the API imports these with every router, most requests never build one.
    model_config = ConfigDict(frozen=True, defer_build=True)


IntervalMethod = Literal["wilson", "order_statistics"]


class Interval(_Frozen):
    """A confidence interval: `level` is the nominal level asked for, `coverage` the exact one
    where the method knows it (order statistics give at least the nominal level)."""

    low: float
    high: float
    level: float = LEVEL_95
    method: IntervalMethod
    coverage: float | None = None


class Uncertainty(_Frozen):
    """How sure a figure is: `n` observations, the confidence they earn, an interval where one
    applies, and `not_enough_data` when the figure is withheld."""

    n: int
    confidence: Confidence
    not_enough_data: bool
    interval: Interval | None = None
    #: Why the figure is less certain than n alone says (e.g. "windows differ"), if it is.
    note: str | None = None


class Estimate(_Frozen):
    """A figure estimated from data: `value` is None exactly when there is not enough data."""

    value: float | None
    uncertainty: Uncertainty


def confidence_for(n: int) -> Confidence:
    """`low` below `MEDIUM_N` observations, `medium` below `HIGH_N`, `high` from there."""
    if n >= HIGH_N:
        return Confidence.HIGH
    if n >= MEDIUM_N:
        return Confidence.MEDIUM
    return Confidence.LOW


def enough_data(n: int, minimum: int = MIN_N) -> bool:
    return n >= minimum


def uncertainty(
    n: int,
    *,
    interval: Interval | None = None,
    note: str | None = None,
    minimum: int = MIN_N,
) -> Uncertainty:
    """The uncertainty of a figure resting on `n` observations (the confidence rule)."""
    if n < 0:
        raise ValueError("n must not be negative")
    withheld = not enough_data(n, minimum)
    return Uncertainty(
        n=n,
        confidence=confidence_for(n),
        not_enough_data=withheld,
        interval=None if withheld else interval,
        note=note,
    )


def z_for(level: float, *, sides: Literal[1, 2] = 2) -> float:
    """The normal quantile for a confidence `level` (two-sided by default)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    tail = (1 - level) / sides
    return _NORMAL.inv_cdf(1 - tail)


# -- proportions ----------------------------------------------------------------------------
def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> Interval:
    """Wilson score interval for `successes` out of `trials`; [0, 1] when there are none."""
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError("need 0 <= successes <= trials")
    level = 1 - 2 * (1 - _NORMAL.cdf(z))
    if trials == 0:
        return Interval(low=0.0, high=1.0, level=level, method="wilson")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # Exact ends at 0 and n successes (rounding would otherwise leave 1e-17 outside).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low=low, high=high, level=level, method="wilson")


def proportion(successes: int, trials: int, *, minimum: int = MIN_N) -> Estimate:
    """`successes / trials` with its Wilson 95% interval; withheld below `minimum` trials."""
    certainty = uncertainty(trials, interval=wilson_interval(successes, trials), minimum=minimum)
    value = None if certainty.not_enough_data else successes / trials
    return Estimate(value=value, uncertainty=certainty)


# -- distributions, quantiles, medians ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Distribution:
    """A sample kept as sorted distinct values with cumulative counts.

    Built from raw values or from (value, count) rows, so a service can hand over
    `SELECT tokens, count(*) ... GROUP BY tokens` instead of 20,000 single tips.
    """

    values: tuple[float, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Distribution:
        return cls.from_counts(Counter(values).items())

    @classmethod
    def from_counts(cls, rows: Iterable[tuple[float, int]]) -> Distribution:
        merged: Counter[float] = Counter()
        for value, count in rows:
            if count < 0:
                raise ValueError("counts must not be negative")
            if isinstance(value, float) and math.isnan(value):
                raise ValueError("NaN is not a value")
            if count:
                merged[value] += count
        values = tuple(sorted(merged))
        cumulative: list[int] = []
        running = 0
        for value in values:
            running += merged[value]
            cumulative.append(running)
        return cls(values=values, cumulative=tuple(cumulative))

    @property
    def n(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    @property
    def total(self) -> float:
        previous = 0
        total = 0.0
        for value, running in zip(self.values, self.cumulative, strict=True):
            total += value * (running - previous)
            previous = running
        return total

    @property
    def minimum(self) -> float | None:
        return self.values[0] if self.values else None

    @property
    def maximum(self) -> float | None:
        return self.values[-1] if self.values else None

    def counts(self) -> list[tuple[float, int]]:
        previous = 0
        rows = []
        for value, running in zip(self.values, self.cumulative, strict=True):
            rows.append((value, running - previous))
            previous = running
        return rows

    def order_statistic(self, rank: int) -> float:
        """x₍rank₎, the rank-th smallest value (1-based)."""
        if not 1 <= rank <= self.n:
            raise ValueError(f"rank must be between 1 and {self.n}")
        return self.values[bisect_left(self.cumulative, rank)]

    def quantile(self, p: float) -> float:
        """Type-7 quantile: linear interpolation between order statistics."""
        if not 0 <= p <= 1:
            raise ValueError("p must be between 0 and 1")
        if self.n == 0:
            raise ValueError("no data")
        h = (self.n - 1) * p
        below = math.floor(h)
        low = self.order_statistic(below + 1)
        if below + 1 >= self.n:
            return low
        return low + (h - below) * (self.order_statistic(below + 2) - low)

    def median(self) -> float:
        return self.quantile(0.5)

    def count_at_least(self, threshold: float) -> int:
        """How many observations are ≥ `threshold`."""
        index = bisect_left(self.values, threshold)
        return self.n - (self.cumulative[index - 1] if index else 0)


def quantile(values: Iterable[float], p: float) -> float:
    return Distribution.of(values).quantile(p)


def quantiles(values: Iterable[float], ps: Sequence[float]) -> tuple[float, ...]:
    distribution = Distribution.of(values)
    return tuple(distribution.quantile(p) for p in ps)


def _binomial_half_cdf_normal(n: int, k: int) -> float:
    """P(B ≤ k) for B ~ binomial(n, ½), normal approximation with continuity correction."""
    return _NORMAL.cdf((k + 0.5 - n / 2) / (math.sqrt(n) / 2))


def median_interval_ranks(n: int, level: float = LEVEL_95) -> tuple[int, int, float] | None:
    """The ranks (j, n-j+1) of the distribution-free median interval and its coverage.

    Largest j ≤ (n+1)/2 with P(B ≤ j-1) ≤ (1-level)/2 for B ~ binomial(n, ½); the coverage is
    then 1 - 2·P(B ≤ j-1) ≥ level. None when even (x₍₁₎, x₍ₙ₎) covers less (n < 6 at 95%).
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if n < 1:
        return None
    tail = (1 - level) / 2
    highest = (n + 1) // 2
    if n <= EXACT_ORDER_STATISTICS_MAX_N:
        whole = 1 << n
        term = 1  # C(n, j-1)
        below = 1  # 2^n · P(B ≤ j-1)
        if below / whole > tail:
            return None
        j = 1
        while j < highest:
            term = term * (n - j + 1) // j
            if (below + term) / whole > tail:
                break
            below += term
            j += 1
        return j, n - j + 1, 1 - 2 * below / whole
    z = _NORMAL.inv_cdf(1 - tail)
    j = min(highest, max(1, math.floor(n / 2 - z * math.sqrt(n) / 2)))
    while j > 1 and _binomial_half_cdf_normal(n, j - 1) > tail:
        j -= 1
    while j < highest and _binomial_half_cdf_normal(n, j) <= tail:
        j += 1
    return j, n - j + 1, 1 - 2 * _binomial_half_cdf_normal(n, j - 1)


def median_interval(distribution: Distribution, level: float = LEVEL_95) -> Interval | None:
    ranks = median_interval_ranks(distribution.n, level)
    if ranks is None:
        return None
    low_rank, high_rank, coverage = ranks
    return Interval(
        low=distribution.order_statistic(low_rank),
        high=distribution.order_statistic(high_rank),
        level=level,
        method="order_statistics",
        coverage=coverage,
    )


def median(distribution: Distribution, *, minimum: int = MIN_N) -> Estimate:
    """The median with its order-statistics 95% interval; withheld below `minimum` values."""
    certainty = uncertainty(distribution.n, interval=median_interval(distribution), minimum=minimum)
    value = None if certainty.not_enough_data else distribution.median()
    return Estimate(value=value, uncertainty=certainty)


# -- peaks ----------------------------------------------------------------------------------
def _log_binomial_pmf(k: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def binomial_upper_tail(successes: int, trials: int, p: float) -> float:
    """P(X ≥ successes) for X ~ binomial(trials, p).

    Summed from `successes` away from the mean, where terms only shrink, so the loop stops as
    soon as they no longer matter (a p-value of a peak costs a few dozen steps).
    """
    if not 0 <= successes <= trials:
        raise ValueError("need 0 <= successes <= trials")
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    if successes == 0 or p >= 1:
        return 1.0
    if p <= 0:
        return 0.0
    if successes > trials * p:
        k, term, total = successes, math.exp(_log_binomial_pmf(successes, trials, p)), 0.0
        while True:
            total += term
            if k == trials or term <= total * 1e-17:
                return min(1.0, total)
            term *= (trials - k) / (k + 1) * p / (1 - p)
            k += 1
    # At or below the mean: one minus the lower tail P(X ≤ successes - 1).
    k = successes - 1
    term, total = math.exp(_log_binomial_pmf(k, trials, p)), 0.0
    while True:
        total += term
        if k == 0 or term <= total * 1e-17:
            return max(0.0, 1.0 - total)
        term *= k / (trials - k + 1) * (1 - p) / p
        k -= 1


def peak_buckets(
    counts: Sequence[int],
    *,
    expected: Sequence[float] | None = None,
    family_alpha: float = PEAK_FAMILY_ALPHA,
    minimum: int = PEAK_MIN_N,
) -> tuple[int, ...]:
    """The buckets whose share of all observations is significantly above the expected share.

    Expected shares default to uniform (1/len(counts)); a baseline (e.g. the owner's broadcast
    hours per bucket) is normalised to sum to 1, and buckets with no baseline are never peaks.
    Test: the exact one-sided binomial test of the bucket's count against its expected share,
    at `family_alpha / buckets` (Bonferroni over every bucket looked at, so pure chance names a
    peak in at most 5% of people). Nothing is a peak with fewer than `minimum` observations.
    """
    k = len(counts)
    if k == 0:
        return ()
    if any(c < 0 for c in counts):
        raise ValueError("counts must not be negative")
    n = sum(counts)
    if n < minimum:
        return ()
    if expected is None:
        shares = [1 / k] * k
    else:
        if len(expected) != k:
            raise ValueError("expected must have one share per bucket")
        if any(e < 0 for e in expected):
            raise ValueError("expected shares must not be negative")
        total = sum(expected)
        if total <= 0:
            return ()
        shares = [e / total for e in expected]
    alpha = family_alpha / k
    return tuple(
        i
        for i, count in enumerate(counts)
        if shares[i] > 0
        and count > n * shares[i]
        and binomial_upper_tail(count, n, shares[i]) <= alpha
    )
