"""The statistics and the confidence rule behind every insight (mhc.domain.statistics)."""

import math
import random
from statistics import median as stdlib_median
from statistics import quantiles as stdlib_quantiles

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mhc.domain.models import Confidence
from mhc.domain.statistics import (
    EXACT_ORDER_STATISTICS_MAX_N,
    HIGH_N,
    MEDIUM_N,
    MIN_N,
    PEAK_MIN_N,
    Distribution,
    binomial_upper_tail,
    confidence_for,
    median,
    median_interval_ranks,
    peak_buckets,
    proportion,
    quantile,
    quantiles,
    uncertainty,
    wilson_interval,
    z_for,
)

# -- the confidence rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, Confidence.LOW),
        (MEDIUM_N - 1, Confidence.LOW),
        (MEDIUM_N, Confidence.MEDIUM),
        (HIGH_N - 1, Confidence.MEDIUM),
        (HIGH_N, Confidence.HIGH),
        (10_000, Confidence.HIGH),
    ],
)
def test_confidence_follows_the_documented_thresholds(n: int, expected: Confidence) -> None:
    assert confidence_for(n) is expected


def test_thresholds_are_ordered_as_documented() -> None:
    assert 0 < MIN_N < MEDIUM_N < HIGH_N
    assert PEAK_MIN_N == MEDIUM_N


def test_below_the_minimum_a_figure_is_withheld_and_its_interval_dropped() -> None:
    interval = wilson_interval(1, MIN_N - 1)
    withheld = uncertainty(MIN_N - 1, interval=interval)
    assert withheld.not_enough_data
    assert withheld.interval is None
    assert withheld.confidence is Confidence.LOW
    shown = uncertainty(MIN_N, interval=interval)
    assert not shown.not_enough_data
    assert shown.interval == interval


def test_negative_n_is_a_bug() -> None:
    with pytest.raises(ValueError, match="negative"):
        uncertainty(-1)


def test_z_for_95_percent_two_sided_and_one_sided() -> None:
    assert z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_for(0.95, sides=1) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError, match="level"):
        z_for(1.0)


# -- Wilson -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # The roots of (k/n - p)^2 = z^2 p (1 - p) / n, solved independently.
        (5, 10, 0.2365931, 0.7634069),
        (0, 10, 0.0, 0.2775328),
        (10, 10, 0.7224672, 1.0),
        (1, 20, 0.0088814, 0.2361312),
        (81, 263, 0.2552885, 0.3662096),
    ],
)
def test_wilson_matches_reference_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval.low == pytest.approx(low, abs=1e-6)
    assert interval.high == pytest.approx(high, abs=1e-6)
    assert interval.method == "wilson"
    assert interval.level == pytest.approx(0.95)


def test_wilson_with_no_trials_knows_nothing() -> None:
    interval = wilson_interval(0, 0)
    assert (interval.low, interval.high) == (0.0, 1.0)


@pytest.mark.parametrize(("successes", "trials"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_rejects_impossible_counts(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes, trials)


@given(
    st.integers(min_value=1, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_wilson_interval_contains_the_estimate_and_stays_in_bounds(pair: tuple[int, int]) -> None:
    successes, trials = pair
    interval = wilson_interval(successes, trials)
    assert 0.0 <= interval.low <= successes / trials <= interval.high <= 1.0


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=0, max_value=2000))
def test_wilson_narrows_as_the_same_share_rests_on_more_data(trials: int, seed: int) -> None:
    successes = seed % (trials + 1)
    small = wilson_interval(successes, trials)
    large = wilson_interval(successes * 4, trials * 4)
    assert large.high - large.low < small.high - small.low


def test_proportion_is_withheld_below_the_minimum() -> None:
    few = proportion(2, MIN_N - 1)
    assert few.value is None
    assert few.uncertainty.not_enough_data
    enough = proportion(3, MIN_N)
    assert enough.value == pytest.approx(3 / MIN_N)
    assert enough.uncertainty.interval is not None
    assert enough.uncertainty.n == MIN_N


# -- distributions and quantiles ----------------------------------------------------------------------


def test_distribution_from_values_and_from_counts_agree() -> None:
    values = [5, 1, 5, 100, 25, 25, 25]
    from_values = Distribution.of(values)
    from_counts = Distribution.from_counts([(25, 3), (1, 1), (5, 2), (100, 1), (7, 0)])
    assert from_values == from_counts
    assert from_values.n == 7
    assert from_values.total == sum(values)
    assert (from_values.minimum, from_values.maximum) == (1, 100)
    assert from_values.counts() == [(1, 1), (5, 2), (25, 3), (100, 1)]


def test_counts_rows_for_the_same_value_are_merged() -> None:
    assert Distribution.from_counts([(10, 2), (10, 3)]).counts() == [(10, 5)]


@pytest.mark.parametrize("rows", [[(1, -1)], [(math.nan, 1)]])
def test_distribution_rejects_negative_counts_and_nan(rows: list[tuple[float, int]]) -> None:
    with pytest.raises(ValueError, match=r"negative|NaN"):
        Distribution.from_counts(rows)


def test_empty_distribution() -> None:
    empty = Distribution.of([])
    assert empty.n == 0
    assert empty.total == 0
    assert empty.maximum is None
    with pytest.raises(ValueError, match="no data"):
        empty.quantile(0.5)


def test_order_statistics_are_one_based_and_bounded() -> None:
    d = Distribution.of([30, 10, 20, 20])
    assert [d.order_statistic(r) for r in range(1, 5)] == [10, 20, 20, 30]
    for bad in (0, 5):
        with pytest.raises(ValueError, match="rank"):
            d.order_statistic(bad)


def test_count_at_least() -> None:
    d = Distribution.of([1, 5, 5, 10])
    assert [d.count_at_least(t) for t in (0, 1, 2, 5, 6, 10, 11)] == [4, 4, 3, 3, 1, 1, 0]


@given(
    st.lists(st.integers(min_value=-1000, max_value=1000), min_size=2, max_size=200),
    st.floats(min_value=0, max_value=1),
)
def test_quantile_is_type_7_like_the_standard_library(values: list[int], p: float) -> None:
    ours = quantile(values, p)
    # statistics.quantiles(method="inclusive") is type 7 at the cut points i/100.
    cut = round(p * 100)
    if 1 <= cut <= 99:
        assert quantile(values, cut / 100) == pytest.approx(
            stdlib_quantiles(values, n=100, method="inclusive")[cut - 1]
        )
    assert min(values) <= ours <= max(values)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=300))
def test_median_equals_the_standard_librarys(values: list[int]) -> None:
    assert Distribution.of(values).median() == pytest.approx(stdlib_median(values))


def test_quantiles_of_one_value_and_edges() -> None:
    assert quantiles([7], [0, 0.5, 1]) == (7, 7, 7)
    assert quantiles([1, 2, 3, 4, 5], [0, 0.25, 1]) == (1, 2, 5)
    with pytest.raises(ValueError, match="p must"):
        quantile([1], 1.5)


# -- the median and its order-statistics interval ----------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ranks"),
    [
        # Distribution-free 95% confidence intervals for the median (e.g. Conover, table A3).
        (6, (1, 6)),
        (10, (2, 9)),
        (20, (6, 15)),
        (50, (18, 33)),
        (100, (40, 61)),
    ],
)
def test_median_interval_ranks_match_the_tables(n: int, ranks: tuple[int, int]) -> None:
    found = median_interval_ranks(n)
    assert found is not None
    assert found[:2] == ranks
    assert found[2] >= 0.95


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_no_95_percent_median_interval_exists_below_six(n: int) -> None:
    assert median_interval_ranks(n) is None


def _exact_coverage(n: int, j: int) -> float:
    below = sum(math.comb(n, k) for k in range(j))
    return 1 - 2 * below / 2**n


@settings(max_examples=60)
@given(st.integers(min_value=6, max_value=EXACT_ORDER_STATISTICS_MAX_N))
def test_median_interval_is_the_narrowest_with_95_percent_coverage(n: int) -> None:
    found = median_interval_ranks(n)
    assert found is not None
    j, upper, coverage = found
    assert upper == n - j + 1
    assert coverage == pytest.approx(_exact_coverage(n, j))
    assert coverage >= 0.95
    # One rank narrower would no longer cover 95%.
    if j + 1 <= (n + 1) // 2:
        assert _exact_coverage(n, j + 1) < 0.95


@pytest.mark.parametrize("n", [EXACT_ORDER_STATISTICS_MAX_N + 1, 2000, 5000])
def test_normal_approximation_above_the_exact_range_is_within_one_rank(n: int) -> None:
    found = median_interval_ranks(n)
    assert found is not None
    j = found[0]
    # The exact answer: the largest j with 2^n * P(B <= j-1) <= 0.025 * 2^n.
    below, exact, limit = 0, 0, 2**n * 25 // 1000
    for k in range((n + 1) // 2):
        below += math.comb(n, k)
        if below > limit:
            exact = k  # P(B <= k-1) was still within the tail: j = k
            break
    assert abs(j - exact) <= 1
    assert found[2] == pytest.approx(_exact_coverage(n, j), abs=0.005)


def test_median_interval_covers_the_true_median_about_95_percent_of_the_time() -> None:
    # Given many samples of 30 from a skewed (exponential) population with a known median
    rng = random.Random(17)
    true_median = math.log(2)
    covered = 0
    trials = 2000
    for _ in range(trials):
        sample = Distribution.of(rng.expovariate(1.0) for _ in range(30))
        interval = median(sample).uncertainty.interval
        assert interval is not None
        covered += interval.low <= true_median <= interval.high
    # Then the interval covers it at least at the nominal level (order statistics are
    # conservative: the exact coverage at n=30 is 0.957)
    assert covered / trials >= 0.94


def test_median_estimate_of_one_tip_is_withheld() -> None:
    one = median(Distribution.of([500]))
    assert one.value is None
    assert one.uncertainty.not_enough_data
    assert one.uncertainty.n == 1


def test_median_estimate_with_enough_data_but_no_interval_yet() -> None:
    # n = 5 meets MIN_N, yet no distribution-free 95% interval exists below 6.
    five = median(Distribution.of([1, 2, 3, 4, 100]))
    assert five.value == 3
    assert five.uncertainty.interval is None
    six = median(Distribution.of([1, 2, 3, 4, 100, 100]))
    assert six.value == 3.5
    assert six.uncertainty.interval is not None
    assert (six.uncertainty.interval.low, six.uncertainty.interval.high) == (1, 100)
    assert six.uncertainty.interval.method == "order_statistics"
    assert six.uncertainty.interval.coverage == pytest.approx(1 - 2 / 64)


# -- peaks --------------------------------------------------------------------------------------------


def _exact_upper_tail(successes: int, trials: int, p: float) -> float:
    return sum(
        math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(successes, trials + 1)
    )


@given(
    st.integers(min_value=1, max_value=300).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    ),
    st.floats(min_value=0.001, max_value=0.999),
)
def test_binomial_upper_tail_matches_the_exact_sum(pair: tuple[int, int], p: float) -> None:
    successes, trials = pair
    assert binomial_upper_tail(successes, trials, p) == pytest.approx(
        _exact_upper_tail(successes, trials, p), rel=1e-9, abs=1e-12
    )


def test_binomial_upper_tail_edges() -> None:
    assert binomial_upper_tail(0, 10, 0.3) == 1.0
    assert binomial_upper_tail(3, 10, 1.0) == 1.0
    assert binomial_upper_tail(3, 10, 0.0) == 0.0
    # Far in the tail the value is tiny but not lost to underflow of a first term.
    assert 0 < binomial_upper_tail(60, 100, 0.05) < 1e-40
    with pytest.raises(ValueError, match="successes"):
        binomial_upper_tail(11, 10, 0.5)
    with pytest.raises(ValueError, match="p must"):
        binomial_upper_tail(1, 10, 1.5)


def test_a_clear_peak_is_found_and_the_rest_are_not() -> None:
    counts = [2] * 24
    counts[21] = 40
    assert peak_buckets(counts) == (21,)


def test_a_uniform_spread_has_no_peak() -> None:
    assert peak_buckets([10] * 24) == ()


def test_no_peak_below_the_minimum_even_if_concentrated() -> None:
    counts = [0] * 24
    counts[21] = PEAK_MIN_N - 1
    assert peak_buckets(counts) == ()
    counts[21] = PEAK_MIN_N
    assert peak_buckets(counts) == (21,)


def test_random_uniform_data_rarely_shows_a_peak() -> None:
    # Given 200 people whose 100 active hours fall uniformly over 24 hours
    rng = random.Random(5)
    false_alarms = 0
    for _ in range(200):
        counts = [0] * 24
        for _ in range(100):
            counts[rng.randrange(24)] += 1
        false_alarms += bool(peak_buckets(counts))
    # Then the Bonferroni-corrected exact test keeps false peaks under its 5% family-wise rate
    assert false_alarms / 200 <= 0.05


def test_peaks_against_a_baseline() -> None:
    # The owner broadcasts only at 20:00 and 21:00; a viewer there half and half is no peak,
    # but one who is always there at 21:00 is.
    baseline = [0.0] * 24
    baseline[20] = baseline[21] = 1.0
    even = [0] * 24
    even[20] = even[21] = 30
    assert peak_buckets(even, expected=baseline) == ()
    late = [0] * 24
    late[20], late[21] = 2, 58
    assert peak_buckets(late, expected=baseline) == (21,)
    # A bucket with no baseline is never a peak.
    stray = [0] * 24
    stray[3] = 60
    assert peak_buckets(stray, expected=baseline) == ()


def test_peak_inputs_are_checked() -> None:
    assert peak_buckets([]) == ()
    with pytest.raises(ValueError, match="negative"):
        peak_buckets([1, -1])
    with pytest.raises(ValueError, match="one share per bucket"):
        peak_buckets([30, 0], expected=[1.0])
    assert peak_buckets([30, 0], expected=[0.0, 0.0]) == ()
