"""Behavioural insights from pre-aggregated inputs (mhc.domain.analysis), against hand-computed
figures: hours of the week, stays, spending, timing, tags, loyalty, engagement, session recaps,
the owner's audience and inferred attributes."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mhc.domain.analysis import (
    audience,
    engagement,
    hours,
    inferred,
    loyalty,
    presence,
    recap,
    spending,
    tags,
    timing,
)
from mhc.domain.analysis.audience import AudienceMember
from mhc.domain.analysis.hours import (
    BUCKETS,
    Exposure,
    HourOfWeek,
    UnknownTimezone,
    broadcast_exposure,
    bucket_of,
    describe_hours,
    zone,
)
from mhc.domain.analysis.inferred import FAVOURITE_TAGS, USUAL_HOURS, infer_attributes
from mhc.domain.analysis.loyalty import (
    FollowChange,
    LoyaltyFacts,
    OwnerSession,
    RfmSegment,
    loyalty_insight,
    rfm_cutoffs,
    rfm_score,
)
from mhc.domain.analysis.presence import Stay, pair_stays, peak_viewers
from mhc.domain.analysis.recap import RecapTip, compare, session_recap, tip_totals
from mhc.domain.analysis.results import InsightKind, Window
from mhc.domain.analysis.spending import (
    Payment,
    StatbateWallet,
    spending_facts,
    spending_insight,
)
from mhc.domain.analysis.tags import TagFacts, TagSource, TagSourceKind, merge_tags, tags_insight
from mhc.domain.analysis.timing import SessionPresence, TimingFacts, timing_insight
from mhc.domain.models import Confidence
from mhc.domain.statistics import Distribution
from mhc.domain.token_history import TransactionType

BERLIN = ZoneInfo("Europe/Berlin")
AS_OF = datetime(2024, 3, 1, tzinfo=UTC)
S = datetime(2024, 2, 20, 20, 0, tzinfo=UTC)  # a session start


def local(text: str, tz: ZoneInfo = BERLIN, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).astimezone(UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


# -- hour of week, DST-correct -----------------------------------------------------------------------


def test_an_evening_stays_in_its_local_hour_across_dst() -> None:
    # 21:00 in Berlin is 20:00 UTC in winter and 19:00 UTC in summer: the same bucket.
    winter = datetime(2024, 1, 5, 20, 0, tzinfo=UTC)  # a Friday
    summer = datetime(2024, 7, 5, 19, 0, tzinfo=UTC)  # a Friday
    assert bucket_of(winter, BERLIN) == bucket_of(summer, BERLIN) == 4 * 24 + 21


def test_naive_instants_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        bucket_of(datetime(2024, 1, 5, 20, 0), BERLIN)  # noqa: DTZ001
    with pytest.raises(UnknownTimezone, match="IANA"):
        zone("Mars/Olympus_Mons")
    assert zone("UTC").key == "UTC"


def test_active_hours_count_distinct_local_hours_and_the_repeated_dst_hour_twice() -> None:
    instants = [
        datetime(2024, 1, 5, 20, 10, tzinfo=UTC),  # Fri 21:10 Berlin
        datetime(2024, 1, 5, 20, 50, tzinfo=UTC),  # Fri 21:50: the same hour
        datetime(2024, 1, 5, 21, 5, tzinfo=UTC),  # Fri 22:05
        # Fall-back night, 27 Oct 2024: 02:10 CEST and, an hour later, 02:10 CET.
        datetime(2024, 10, 27, 0, 10, tzinfo=UTC),
        datetime(2024, 10, 27, 1, 10, tzinfo=UTC),
    ]
    grid = HourOfWeek.active_hours(instants, BERLIN)
    assert grid.n == 4
    assert grid.counts[4 * 24 + 21] == 1
    assert grid.counts[4 * 24 + 22] == 1
    assert grid.counts[6 * 24 + 2] == 2
    assert grid.by_day_of_week() == (0, 0, 0, 0, 2, 0, 2)
    assert grid.grid()[6][2] == 2


def test_hour_of_week_from_sql_rows_is_validated() -> None:
    grid = HourOfWeek.from_rows([(0, 0, 3), (6, 23, 2), (0, 0, 1)])
    assert grid.counts[0] == 4
    assert grid.counts[BUCKETS - 1] == 2
    assert grid.by_hour_of_day()[23] == 2
    for bad in [(7, 0, 1), (0, 24, 1), (-1, 0, 1)]:
        with pytest.raises(ValueError, match="no hour-of-week bucket"):
            HourOfWeek.from_rows([bad])
    with pytest.raises(ValueError, match="168"):
        HourOfWeek((0,) * 24)
    with pytest.raises(ValueError, match="negative"):
        HourOfWeek((-1,) + (0,) * (BUCKETS - 1))


def test_broadcast_exposure_on_the_spring_forward_night_adds_real_hours() -> None:
    # Sunday 31 Mar 2024 in Berlin: 02:00 does not exist. 00:30-04:30 local is 3 real hours.
    exposure = broadcast_exposure([(local("2024-03-31 00:30"), local("2024-03-31 04:30"))], BERLIN)
    sunday = 6 * 24
    assert exposure.hours[sunday + 0] == pytest.approx(0.5)
    assert exposure.hours[sunday + 1] == pytest.approx(1.0)
    assert exposure.hours[sunday + 2] == 0
    assert exposure.hours[sunday + 3] == pytest.approx(1.0)
    assert exposure.hours[sunday + 4] == pytest.approx(0.5)
    assert sum(exposure.hours) == pytest.approx(3.0)
    assert sum(exposure.sessions) == 4


def test_broadcast_exposure_on_the_fall_back_night_counts_the_repeated_hour() -> None:
    # Sunday 27 Oct 2024: 02:00-03:00 happens twice. 00:00-04:00 local is 5 real hours.
    start = local("2024-10-27 00:00")
    end = local("2024-10-27 04:00")
    assert end - start == timedelta(hours=5)
    exposure = broadcast_exposure([(start, end)], BERLIN)
    sunday = 6 * 24
    assert [exposure.hours[sunday + h] for h in range(4)] == pytest.approx([1, 1, 2, 1])
    assert exposure.sessions[sunday + 2] == 1  # one session, even if it lived the hour twice


def test_broadcast_exposure_in_a_half_hour_zone_and_across_the_week_end() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30
    exposure = broadcast_exposure(
        [(datetime(2024, 1, 1, 0, 0, tzinfo=UTC), datetime(2024, 1, 1, 1, 0, tzinfo=UTC))],
        kolkata,
    )
    assert exposure.hours[5] == pytest.approx(0.5)  # Monday 05:30-06:00
    assert exposure.hours[6] == pytest.approx(0.5)  # Monday 06:00-06:30
    # Sunday 23:00 UTC to Monday 01:00 UTC: the last and first buckets of the week.
    wrap = broadcast_exposure(
        [(datetime(2024, 1, 7, 23, 0, tzinfo=UTC), datetime(2024, 1, 8, 1, 0, tzinfo=UTC))],
        ZoneInfo("UTC"),
    )
    assert (wrap.hours[BUCKETS - 1], wrap.hours[0], wrap.hours[1]) == (1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="168"):
        Exposure(hours=(0.0,), sessions=(0,))


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(min_value=0, max_value=48 * 3600),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
)
def test_broadcast_exposure_always_adds_the_real_duration(
    start: datetime, seconds: int, name: str
) -> None:
    exposure = broadcast_exposure([(start, start + timedelta(seconds=seconds))], zone(name))
    assert sum(exposure.hours) == pytest.approx(seconds / 3600, abs=1e-9)


def test_hours_read_as_ranges() -> None:
    assert describe_hours([21, 20, 22]) == "20:00-23:00"
    assert describe_hours([23, 0, 1, 15]) == "15:00-16:00, 23:00-02:00"
    assert describe_hours(range(24)) == "all day"


# -- stays and peak viewers ----------------------------------------------------------------------------


def test_stays_pair_enters_and_leaves_by_the_documented_rule() -> None:
    end = S + minutes(120)
    # A leave first (there from the start), an enter never closed (until the end).
    first = pair_stays([(S + minutes(30), True), (S + minutes(15), False)], S, end)
    assert first.stays == (
        Stay(S, S + minutes(15), entered=False),
        Stay(S + minutes(30), end, left=False),
    )
    assert (first.leave_without_enter, first.enter_without_leave) == (1, 1)
    assert first.total == minutes(105)
    # A duplicate enter is ignored; an orphan leave after a closed stay too.
    second = pair_stays(
        [
            (S + minutes(20), True),
            (S + minutes(25), True),
            (S + minutes(80), False),
            (S + minutes(90), False),
        ],
        S,
        end,
    )
    assert second.stays == (Stay(S + minutes(20), S + minutes(80)),)
    assert (second.duplicate_enters, second.orphan_leaves) == (1, 1)
    # A leave then an enter at the same instant (feed order): a reconnect, continuous presence.
    reconnect = pair_stays(
        [
            (S + minutes(40), True),
            (S + minutes(70), False),
            (S + minutes(70), True),
            (S + minutes(100), False),
        ],
        S,
        end,
    )
    assert reconnect.total == minutes(60)
    assert reconnect.orphan_leaves == reconnect.duplicate_enters == 0
    # An enter then a leave at the same instant: a bounce, a stay of no length.
    bounce = pair_stays([(S + minutes(50), True), (S + minutes(50), False)], S, end)
    assert bounce.stays == (Stay(S + minutes(50), S + minutes(50)),)
    assert bounce.total == timedelta(0)


def test_events_outside_the_session_are_clamped_and_nonsense_refused() -> None:
    stays = pair_stays([(S - minutes(5), True), (S + minutes(500), False)], S, S + minutes(60))
    assert stays.stays == (Stay(S, S + minutes(60)),)
    assert pair_stays([], S, S).stays == ()
    with pytest.raises(ValueError, match="end before"):
        pair_stays([], S, S - minutes(1))


def test_peak_viewers_by_sweep() -> None:
    end = S + minutes(180)
    events = {
        1: [(S, True), (S + minutes(60), False)],
        2: [(S + minutes(30), True), (S + minutes(90), False)],
        3: [(S + minutes(45), True)],  # never left: until the end
        4: [(S + minutes(20), False)],  # left without entering: there from the start
        5: [(S + minutes(60), True), (S + minutes(61), False)],  # enters as 1 leaves
        6: [(S + minutes(50), True), (S + minutes(50), False)],  # zero length: not counted
        99: [(S + minutes(40), True), (S + minutes(50), False)],  # excluded
    }
    peak = peak_viewers(events, S, end, excluded={99})
    assert (peak.count, peak.at) == (3, S + minutes(45))
    assert peak.people == 5
    assert (peak.leave_without_enter, peak.enter_without_leave) == (1, 1)
    with_excluded = peak_viewers(events, S, end)
    assert with_excluded.count == 4  # the excluded person would have made it 4


def test_duplicate_enters_never_count_anyone_twice() -> None:
    events = {1: [(S, True), (S + minutes(1), True), (S + minutes(2), True)]}
    peak = peak_viewers(events, S, S + minutes(10))
    assert peak.count == 1
    assert peak.duplicate_enters == 2


@given(
    st.dictionaries(
        st.integers(1, 8),
        st.lists(st.tuples(st.integers(0, 100), st.booleans()), max_size=8),
        max_size=8,
    )
)
def test_peak_viewers_equals_a_brute_force_count(spec: dict[int, list[tuple[int, bool]]]) -> None:
    end = S + minutes(100)
    events = {p: [(S + minutes(m), e) for m, e in evs] for p, evs in spec.items()}
    peak = peak_viewers(events, S, end)
    stays = [
        stay
        for evs in events.values()
        for stay in pair_stays(evs, S, end).stays
        if stay.end > stay.start
    ]
    # Present at t when start <= t < end; the maximum is reached at some stay's start.
    brute = max(
        (sum(1 for s in stays if s.start <= t < s.end) for t in [s.start for s in stays]),
        default=0,
    )
    assert peak.count == brute


# -- spending --------------------------------------------------------------------------------------------


def _payments() -> list[Payment]:
    return [
        Payment(AS_OF - days(1), 10),
        Payment(AS_OF - days(2), 25),
        Payment(AS_OF - days(29) - timedelta(hours=23), 25),
        Payment(AS_OF - days(30), 100),  # exactly 30 days: the prior window
        Payment(AS_OF - days(45), 5),
        Payment(AS_OF - days(60), 1000),  # exactly 60 days: neither window
        Payment(AS_OF - days(3), 60, TransactionType.PRIVATE_SHOW),
        Payment(AS_OF - days(1), 500, is_anonymous=True),  # not counted by name
        Payment(AS_OF + timedelta(hours=1), 7),  # after as_of: ignored
    ]


def test_spending_figures_against_hand_computed_values() -> None:
    facts = spending_facts(
        _payments(),
        as_of=AS_OF,
        owner_tokens_last_30d=1200,
        record_since=AS_OF - days(90),
        sources=("cb_events", "token_history"),
        person_id=7,
        owner="the_owner",
    )
    insight = spending_insight(facts)
    value = insight.value
    assert insight.kind is InsightKind.SPENDING
    assert value.tokens_to_owner == 1225
    assert value.tokens_by_kind == {TransactionType.TIP: 1165, TransactionType.PRIVATE_SHOW: 60}
    assert value.tips_to_owner == 6
    # Tips 5, 10, 25, 25, 100, 1000: median 25; n = 6, so the interval is (x(1), x(6)).
    assert value.median_tip.value == 25
    interval = value.median_tip.uncertainty.interval
    assert interval is not None
    assert (interval.low, interval.high) == (5, 1000)
    assert value.largest_tip == 1000
    assert value.first_tip_at == AS_OF - days(60)
    assert value.last_tip_at == AS_OF - days(1)
    assert (value.tokens_last_30d, value.tokens_prior_30d) == (120, 105)
    assert value.share_of_owner_income == pytest.approx(0.1)
    assert [(b.low, b.high, b.tips, b.tokens) for b in value.tip_histogram] == [
        (1, 9, 1, 5),
        (10, 24, 1, 10),
        (25, 49, 2, 50),
        (50, 99, 0, 0),
        (100, 199, 1, 100),
        (200, 499, 0, 0),
        (500, 999, 0, 0),
        (1000, 4999, 1, 1000),
        (5000, None, 0, 0),
    ]
    assert value.share_of_wallet.share is None
    assert insight.uncertainty.n == 6
    assert insight.uncertainty.confidence is Confidence.LOW
    assert insight.evidence.sources == ("cb_events", "token_history")
    assert insight.evidence.counts["tips"] == 6
    assert insight.evidence.query is not None
    assert insight.evidence.query.person_id == 7
    assert insight.evidence.window == Window(since=AS_OF - days(90), until=AS_OF)
    assert "1,225 tokens to you" in insight.summary
    assert "Typical tip 25 (95%: 5-1,000)" in insight.summary


def test_spending_with_no_tips() -> None:
    insight = spending_insight(spending_facts([], as_of=AS_OF, owner_tokens_last_30d=0))
    value = insight.value
    assert (value.tokens_to_owner, value.tips_to_owner, value.largest_tip) == (0, 0, None)
    assert value.median_tip.value is None
    assert value.share_of_owner_income is None  # the owner earned nothing: no share
    assert sum(b.tips for b in value.tip_histogram) == 0
    assert insight.uncertainty.not_enough_data
    assert insight.summary == "No tokens to you yet."


def test_spending_with_one_tip_shows_facts_but_withholds_the_median() -> None:
    insight = spending_insight(
        spending_facts([Payment(AS_OF - days(1), 500)], as_of=AS_OF, owner_tokens_last_30d=1000)
    )
    assert insight.value.tips_to_owner == 1
    assert insight.value.largest_tip == 500
    assert insight.value.median_tip.value is None
    assert insight.uncertainty.not_enough_data
    assert insight.value.share_of_owner_income == pytest.approx(0.5)
    assert "Too few tips for a typical size." in insight.summary


def test_spending_when_every_tip_was_anonymous() -> None:
    anonymous = [Payment(AS_OF - days(i + 1), 100, is_anonymous=True) for i in range(10)]
    insight = spending_insight(spending_facts(anonymous, as_of=AS_OF, owner_tokens_last_30d=1000))
    # Then nothing is counted by name: the person looks like someone who never tipped.
    assert (insight.value.tokens_to_owner, insight.value.tips_to_owner) == (0, 0)
    assert insight.value.tokens_last_30d == 0
    assert insight.value.first_tip_at is None


def test_non_positive_payments_are_a_bug() -> None:
    with pytest.raises(ValueError, match="positive"):
        spending_facts([Payment(AS_OF, 0)], as_of=AS_OF, owner_tokens_last_30d=0)


def _wallet_facts(
    statbate: StatbateWallet, record_since: datetime | None
) -> spending.SpendingFacts:
    return spending_facts(
        [Payment(AS_OF - days(10), 1000), Payment(AS_OF - days(20), 1450)],
        as_of=AS_OF,
        owner_tokens_last_30d=10_000,
        record_since=record_since,
        statbate=statbate,
    )


def test_share_of_wallet_from_statbates_own_figures_is_certain() -> None:
    wallet = StatbateWallet(
        all_time_tokens=12_250,
        captured_at=AS_OF,
        first_tip_at=AS_OF - days(400),
        snapshot_id=31,
        owner_tokens=2450,
        owner_tokens_captured_at=AS_OF - timedelta(hours=2),
    )
    insight = spending_insight(_wallet_facts(wallet, AS_OF - days(30)))
    share = insight.value.share_of_wallet
    assert share.share == pytest.approx(0.2)
    assert (share.numerator_source, share.numerator_tokens) == ("statbate", 2450)
    assert not share.uncertain
    assert insight.value.statbate_all_time_tokens == 12_250
    assert insight.evidence.snapshot_ids == (31,)
    assert "statbate_member" in insight.evidence.sources
    assert "About 20% of their site-wide spending." in insight.summary


def test_share_of_wallet_from_mhcs_tips_is_uncertain_when_the_windows_differ() -> None:
    wallet = StatbateWallet(
        all_time_tokens=24_500, captured_at=AS_OF - days(15), first_tip_at=AS_OF - days(400)
    )
    # MHC's record starts long after Statbate's first tip, and a tip came after the snapshot.
    share = spending_insight(_wallet_facts(wallet, AS_OF - days(30))).value.share_of_wallet
    assert share.share == pytest.approx(2450 / 24_500)
    assert share.numerator_source == "mhc"
    assert share.uncertain
    assert len(share.reasons) == 2
    assert "earlier tips to you may be missing" in share.reasons[0]
    assert "counted on one side only" in share.reasons[1]
    # The same tips, with MHC's record as old as Statbate's and a fresh snapshot: certain.
    fresh = StatbateWallet(
        all_time_tokens=24_500, captured_at=AS_OF, first_tip_at=AS_OF - days(400)
    )
    assert not spending_insight(
        _wallet_facts(fresh, AS_OF - days(400))
    ).value.share_of_wallet.uncertain


def test_share_of_wallet_is_capped_and_flagged_when_one_side_lags() -> None:
    wallet = StatbateWallet(all_time_tokens=2000, captured_at=AS_OF, first_tip_at=AS_OF - days(40))
    share = spending_insight(_wallet_facts(wallet, AS_OF - days(40))).value.share_of_wallet
    assert share.share == 1.0
    assert share.uncertain
    assert "capped" in share.reasons[-1]


def test_share_of_wallet_of_a_range_limited_statbate_figure_is_uncertain() -> None:
    wallet = StatbateWallet(
        all_time_tokens=10_000,
        captured_at=AS_OF,
        first_tip_at=AS_OF - days(400),
        owner_tokens=1000,
        owner_tokens_since=AS_OF - days(90),
        owner_tokens_captured_at=AS_OF - days(10),
    )
    share = spending_insight(_wallet_facts(wallet, None)).value.share_of_wallet
    assert share.share == pytest.approx(0.1)
    assert share.uncertain
    assert len(share.reasons) == 2  # shorter range; fetched ten days apart


def test_no_share_of_wallet_without_a_site_wide_total() -> None:
    wallet = StatbateWallet(all_time_tokens=0, captured_at=AS_OF)
    share = spending_insight(_wallet_facts(wallet, None)).value.share_of_wallet
    assert share.share is None
    assert not share.uncertain


# -- timing ----------------------------------------------------------------------------------------------


def _friday_evenings() -> list[datetime]:
    # Twelve Fridays across the spring DST change, 21:10, 21:40 and 22:05 Berlin time.
    instants = []
    friday = datetime(2024, 2, 2)  # noqa: DTZ001 (a local date)
    for week in range(12):
        date = (friday + timedelta(weeks=week)).date().isoformat()
        instants += [local(f"{date} 21:10"), local(f"{date} 21:40"), local(f"{date} 22:05")]
    instants.append(local("2024-02-05 15:00"))  # one Monday afternoon
    return instants


def _sessions() -> list[SessionPresence]:
    end = minutes(120)
    return [
        SessionPresence(S, S + end, [(S + minutes(10), True), (S + minutes(40), False)]),
        SessionPresence(
            S + days(1),
            S + days(1) + end,
            [
                (S + days(1) + minutes(20), True),
                (S + days(1) + minutes(25), True),
                (S + days(1) + minutes(80), False),
            ],
        ),
        SessionPresence(
            S + days(2),
            S + days(2) + end,
            [(S + days(2) + minutes(15), False), (S + days(2) + minutes(30), True)],
        ),
        SessionPresence(
            S + days(3),
            S + days(3) + end,
            [
                (S + days(3) + minutes(5), True),
                (S + days(3) + minutes(35), False),
                (S + days(3) + minutes(50), False),
            ],
        ),
        SessionPresence(
            S + days(4),
            S + days(4) + end,
            [
                (S + days(4) + minutes(40), True),
                (S + days(4) + minutes(70), False),
                (S + days(4) + minutes(70), True),
                (S + days(4) + minutes(100), False),
            ],
        ),
    ]


def _timing_facts(instants: list[datetime], sessions: list[SessionPresence]) -> TimingFacts:
    return TimingFacts(
        as_of=AS_OF + days(90),
        timezone="Europe/Berlin",
        activity=HourOfWeek.active_hours(instants, BERLIN),
        activity_since=min(instants) if instants else None,
        sessions=sessions,
        sources=("cb_events",),
        person_id=7,
        owner="the_owner",
    )


def test_timing_names_usual_hours_in_local_time_across_dst() -> None:
    insight = timing_insight(_timing_facts(_friday_evenings(), _sessions()))
    value = insight.value
    # 12 Fridays x 2 distinct hours + 1 Monday hour = 25 active hours
    assert value.active_hours == 25
    assert value.by_hour_of_day[21] == value.by_hour_of_day[22] == 12
    assert value.by_hour_of_day[15] == 1
    assert value.by_day_of_week == [1, 0, 0, 0, 24, 0, 0]
    assert value.hour_of_week[4][21] == 12
    assert value.peak_hours_of_day == (21, 22)
    assert value.peak_days_of_week == (4,)
    assert [(s.day, s.hour, s.label) for s in value.peak_hours_of_week] == [
        (4, 21, "Fri 21:00"),
        (4, 22, "Fri 22:00"),
    ]
    assert value.usual_hours == "Fri; 21:00-23:00"
    assert insight.uncertainty.n == 25
    assert insight.uncertainty.confidence is Confidence.MEDIUM
    assert not insight.uncertainty.not_enough_data
    assert "usually Fri; 21:00-23:00 (Europe/Berlin)" in insight.summary


def test_usual_arrival_and_stay_from_enter_and_leave() -> None:
    value = timing_insight(_timing_facts(_friday_evenings(), _sessions())).value
    # Arrivals 10, 20, 0 (there from the start), 5, 40 -> median 10;
    # stays 30, 60, 15 + 90, 30, 30 + 30 -> 30, 30, 60, 60, 105 -> median 60.
    assert value.usual_arrival_minutes.value == 10
    assert value.usual_stay_minutes.value == 60
    assert value.usual_arrival_minutes.uncertainty.n == 5
    assert value.usual_arrival_minutes.uncertainty.interval is None  # n < 6: none exists
    assert value.sessions_with_presence == 5
    irregular = value.irregularities
    assert (irregular.duplicate_enters, irregular.orphan_leaves) == (1, 1)
    assert (irregular.leave_without_enter, irregular.enter_without_leave) == (1, 1)


def test_timing_with_too_little_data_names_no_usual_time() -> None:
    few = _friday_evenings()[:6]  # two Fridays: 4 active hours
    insight = timing_insight(_timing_facts(few, []))
    assert insight.value.active_hours == 4
    assert insight.value.peak_hours_of_day == ()
    assert insight.value.usual_hours is None
    assert insight.uncertainty.not_enough_data
    assert "too few hours" in insight.summary
    assert insight.value.usual_arrival_minutes.value is None


def test_timing_of_a_person_only_seen_in_other_rooms() -> None:
    # Active elsewhere (activity counts any room), never in the owner's sessions.
    insight = timing_insight(_timing_facts(_friday_evenings(), []))
    assert insight.value.usual_hours == "Fri; 21:00-23:00"
    assert insight.value.sessions_with_presence == 0
    assert insight.value.usual_stay_minutes.value is None
    assert insight.value.usual_stay_minutes.uncertainty.not_enough_data


def test_timing_with_no_activity_and_an_unknown_zone() -> None:
    empty = timing_insight(_timing_facts([], []))
    assert empty.summary == "No activity seen yet."
    assert empty.value.active_hours == 0
    with pytest.raises(UnknownTimezone):
        timing_insight(dataclasses.replace(_timing_facts([], []), timezone="Nowhere/Land"))


def test_an_even_spread_has_no_usual_time() -> None:
    # One active hour in each of 24 hours on each day: plenty of data, no peak.
    instants = [local(f"2024-02-{5 + d:02d} {h:02d}:30") for d in range(7) for h in range(24)]
    insight = timing_insight(_timing_facts(instants, []))
    assert insight.value.active_hours == 168
    assert insight.value.usual_hours is None
    assert "no clear usual time" in insight.summary


# -- tags ----------------------------------------------------------------------------------------------------


def _tag_sources() -> list[TagSource]:
    return [
        TagSource(
            TagSourceKind.STATBATE_TAG_SPENDING,
            {"Feet": 600, "#latina": 300, "bigboobs": 100},
            observations=12,
            source="statbate_member",
            snapshot_ids=(5,),
        ),
        TagSource(TagSourceKind.ROOMS_TIPPED, {"feet": 50, " Asian ": 50}, 3, "cb_profile"),
        TagSource(TagSourceKind.ROOMS_VISITED, {"latina": 10, "asian": 30}, 5, "affiliate"),
    ]


def test_tags_are_merged_into_one_weighted_ranked_list() -> None:
    insight = tags_insight(TagFacts(as_of=AS_OF, sources=_tag_sources()))
    ranked = [(t.tag, round(t.weight, 6)) for t in insight.value.tags]
    # Shares per source, weighted 1, 1, 0.5 (sum 2.5):
    # feet (0.6 + 0.5) / 2.5, asian (0.5 + 0.5 * 0.75) / 2.5, latina (0.3 + 0.5 * 0.25) / 2.5,
    # bigboobs 0.1 / 2.5
    assert ranked == [("feet", 0.44), ("asian", 0.35), ("latina", 0.17), ("bigboobs", 0.04)]
    assert sum(t.weight for t in insight.value.tags) == pytest.approx(1.0)
    feet = insight.value.tags[0]
    assert [(s.source, s.share, s.amount) for s in feet.sources] == [
        (TagSourceKind.ROOMS_TIPPED, 0.5, 50),
        (TagSourceKind.STATBATE_TAG_SPENDING, 0.6, 600),
    ]
    assert insight.uncertainty.n == 20
    assert insight.uncertainty.confidence is Confidence.MEDIUM
    assert insight.evidence.sources == ("affiliate", "cb_profile", "statbate_member")
    assert insight.evidence.snapshot_ids == (5,)
    assert insight.summary.startswith("Favours feet (44%), asian (35%), latina (17%)")


def test_tags_with_no_sources_or_only_empty_ones() -> None:
    insight = tags_insight(
        TagFacts(as_of=AS_OF, sources=[TagSource(TagSourceKind.ROOMS_VISITED, {"x": 0}, 4)])
    )
    assert insight.value.tags == ()
    assert insight.value.sources_used == ()
    assert insight.uncertainty.n == 0
    assert insight.summary == "No tag information yet."


def test_two_sources_of_one_kind_are_averaged_and_bad_amounts_refused() -> None:
    merged, used = merge_tags(
        [
            TagSource(TagSourceKind.ROOMS_TIPPED, {"a": 1}, 1),
            TagSource(TagSourceKind.ROOMS_TIPPED, {"b": 1}, 1),
        ]
    )
    assert [(t.tag, t.weight) for t in merged] == [("a", 0.5), ("b", 0.5)]
    assert used == (TagSourceKind.ROOMS_TIPPED,)
    insight = tags_insight(
        TagFacts(
            as_of=AS_OF,
            sources=[
                TagSource(TagSourceKind.ROOMS_TIPPED, {"a": 1}, 2),
                TagSource(TagSourceKind.ROOMS_TIPPED, {"b": 1}, 3),
            ],
        )
    )
    assert insight.evidence.counts == {"rooms": 5, "tags": 2, "rooms_rooms_tipped": 5}
    with pytest.raises(ValueError, match="non-negative"):
        merge_tags([TagSource(TagSourceKind.ROOMS_TIPPED, {"a": -1}, 1)])


# -- loyalty ----------------------------------------------------------------------------------------------

FIRST_SEEN = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


def _owner_sessions(attended: set[int], count: int = 20) -> list[OwnerSession]:
    start = datetime(2024, 1, 1, 20, 0, tzinfo=UTC)
    return [
        OwnerSession(start + days(3 * i), start + days(3 * i) + timedelta(hours=3), i in attended)
        for i in range(count)
    ]


def test_a_drifting_regular_is_at_risk() -> None:
    # Given sessions every 3 days from 1 Jan; first seen 10 Jan, so sessions 3..19 are eligible
    # (17); attended 3..12 (ten in a row), then missed the last seven
    sessions = _owner_sessions(set(range(3, 13)))
    as_of = sessions[-1].started_at + days(1)
    insight = loyalty_insight(
        LoyaltyFacts(
            as_of=as_of,
            first_seen_at=FIRST_SEEN,
            sessions=list(reversed(sessions)),  # any order
            follows=[
                FollowChange(FIRST_SEEN + days(1), True),
                FollowChange(FIRST_SEEN + days(20), False),
                FollowChange(FIRST_SEEN + days(21), True),
            ],
            fan_club_joined_at=FIRST_SEEN + days(5),
            person_id=7,
        )
    )
    value = insight.value
    assert (value.attended_sessions, value.eligible_sessions) == (10, 17)
    assert value.attendance.value == pytest.approx(10 / 17)
    assert value.attendance.uncertainty.interval is not None
    assert value.is_regular
    assert value.usual_gap_sessions.value == 1
    assert value.sessions_since_last_visit == 7
    assert value.at_risk  # a gap of at least 8 sessions > 2 x their usual 1
    assert (value.current_streak, value.longest_streak) == (0, 10)
    assert value.last_visit_at == sessions[12].started_at
    assert value.days_since_last_visit == pytest.approx(22)
    assert value.usual_gap_days.value == pytest.approx(3)
    assert value.tenure_days == pytest.approx((as_of - FIRST_SEEN).total_seconds() / 86400)
    assert (value.following, value.follows, value.unfollows) == (True, 2, 1)
    assert value.last_followed_at == FIRST_SEEN + days(21)
    assert value.fan_club_joined_at == FIRST_SEEN + days(5)
    assert insight.uncertainty.n == 17
    assert "At risk: 7 sessions missed, usually back within 1." in insight.summary


def test_a_regular_who_missed_one_session_is_not_at_risk() -> None:
    sessions = _owner_sessions(set(range(3, 19)))  # missed only the newest
    value = loyalty_insight(
        LoyaltyFacts(as_of=AS_OF + days(60), first_seen_at=FIRST_SEEN, sessions=sessions)
    ).value
    assert value.sessions_since_last_visit == 1
    assert not value.at_risk  # a gap of 2 is not more than 2 x 1
    assert value.is_regular


def test_a_live_session_not_joined_yet_does_not_break_the_streak() -> None:
    sessions = _owner_sessions(set(range(14, 20)))
    live = OwnerSession(sessions[-1].started_at + days(3), None, attended=False)
    value = loyalty_insight(
        LoyaltyFacts(
            as_of=live.started_at + minutes(10),
            first_seen_at=FIRST_SEEN,
            sessions=[*sessions, live],
        )
    ).value
    assert value.current_streak == 6
    assert value.eligible_sessions == 17  # the live one is not counted as missed


def test_loyalty_of_a_person_only_seen_in_other_rooms() -> None:
    value = loyalty_insight(
        LoyaltyFacts(
            as_of=AS_OF + days(60), first_seen_at=FIRST_SEEN, sessions=_owner_sessions(set())
        )
    ).value
    assert (value.attended_sessions, value.eligible_sessions) == (0, 17)
    assert value.attendance.value == 0.0
    assert value.last_visit_at is None
    assert value.sessions_since_last_visit is None
    assert not value.is_regular
    assert not value.at_risk
    assert value.rfm is None
    assert value.following is None


def test_loyalty_with_no_sessions_since_first_seen() -> None:
    insight = loyalty_insight(
        LoyaltyFacts(as_of=AS_OF, first_seen_at=AS_OF - days(1), sessions=_owner_sessions(set()))
    )
    assert insight.value.eligible_sessions == 0
    assert insight.uncertainty.not_enough_data
    assert "none of your sessions since" in insight.summary


def test_rfm_cutoffs_are_quintiles_and_scores_follow_the_documented_segments() -> None:
    cutoffs = rfm_cutoffs(
        [float(d) for d in range(1, 11)],
        [float(f) for f in range(1, 11)],
        [100.0 * m for m in range(1, 11)],
    )
    assert cutoffs is not None
    # Type-7 quantiles of 1..10 at 20/40/60/80%: 2.8, 4.6, 6.4, 8.2.
    assert cutoffs.recency_days == pytest.approx((2.8, 4.6, 6.4, 8.2))
    assert cutoffs.monetary == pytest.approx((280, 460, 640, 820))
    assert cutoffs.n == 10
    old = 400.0
    cases = [
        ((1, 10, 1000, old), (5, 5, 5, RfmSegment.CHAMPION)),
        ((2, 9, 500, old), (5, 5, 3, RfmSegment.LOYAL)),
        ((5, 1, 900, old), (3, 1, 5, RfmSegment.BIG_SPENDER)),
        ((9, 9, 100, old), (1, 5, 1, RfmSegment.COOLING)),
        ((9, 1, 100, old), (1, 1, 1, RfmSegment.HIBERNATING)),
        ((5, 3, 300, old), (3, 2, 2, RfmSegment.OCCASIONAL)),
        ((1, 1, 100, 10.0), (5, 1, 1, RfmSegment.NEWCOMER)),
        ((2.8, 3, 300, old), (5, 2, 2, RfmSegment.OCCASIONAL)),  # on an edge: the better score
    ]
    for (r, f, m, seen), (rs, fs, ms, segment) in cases:
        score = rfm_score(r, f, m, cutoffs, first_seen_days=seen)
        assert (score.recency, score.frequency, score.monetary, score.segment) == (
            rs,
            fs,
            ms,
            segment,
        ), (r, f, m, seen)
    assert rfm_cutoffs([], [], []) is None
    with pytest.raises(ValueError, match="one recency"):
        rfm_cutoffs([1.0], [], [])


def test_loyalty_carries_its_rfm_segment() -> None:
    cutoffs = rfm_cutoffs([1.0] * 5, [1.0] * 5, [0.0] * 5)
    sessions = _owner_sessions(set(range(3, 20)))
    as_of = sessions[-1].started_at + days(1)
    value = loyalty_insight(
        LoyaltyFacts(
            as_of=as_of,
            first_seen_at=FIRST_SEEN,
            sessions=sessions,
            rfm_cutoffs=cutoffs,
            tokens_in_rfm_window=50,
        )
    ).value
    assert value.rfm is not None
    # A visit a day ago against an audience all seen a day ago: a tie takes the better score.
    assert (value.rfm.recency, value.rfm.frequency, value.rfm.monetary) == (5, 5, 5)
    assert value.rfm.segment is RfmSegment.CHAMPION


# -- engagement ------------------------------------------------------------------------------------------


def test_engagement_figures() -> None:
    insight = engagement.engagement_insight(
        engagement.EngagementFacts(
            as_of=AS_OF,
            messages_per_session=Distribution.of([0, 3, 5, 0, 10, 2]),
            private_messages_received=4,
            private_messages_sent=2,
            media_purchases=1,
            media_tokens=250,
            person_id=7,
        )
    )
    value = insight.value
    assert (value.attended_sessions, value.chat_messages) == (6, 20)
    assert value.mean_messages_per_session == pytest.approx(20 / 6)
    assert value.median_messages_per_session.value == 2.5
    assert value.share_of_sessions_with_chat.value == pytest.approx(4 / 6)
    assert (value.media_purchases, value.media_tokens) == (1, 250)
    assert insight.evidence.counts["private_messages"] == 6
    assert insight.uncertainty.n == 6
    assert "20 chat messages in 6 sessions, typically 2.5 per session." in insight.summary


def test_engagement_of_someone_who_never_attended() -> None:
    insight = engagement.engagement_insight(
        engagement.EngagementFacts(
            as_of=AS_OF,
            messages_per_session=Distribution.of([]),
            private_messages_received=3,
            private_messages_sent=0,
            media_purchases=0,
            media_tokens=0,
        )
    )
    assert insight.value.mean_messages_per_session is None
    assert insight.value.share_of_sessions_with_chat.value is None
    assert insight.uncertainty.not_enough_data
    assert insight.summary.startswith("Has not attended a session of yours yet.")


# -- session recap ----------------------------------------------------------------------------------------


def test_compare_with_the_owners_median_session() -> None:
    typical = compare(670, [100, 200, 300, 400, 500])
    assert (typical.median, typical.difference) == (300, 370)
    assert typical.ratio == pytest.approx(670 / 300)
    assert typical.uncertainty.n == 5
    few = compare(10, [1, 2, 3, 4])
    assert (few.median, few.ratio, few.difference) == (None, None, None)
    assert few.uncertainty.not_enough_data
    zero = compare(3, [0, 0, 0, 0, 0])
    assert (zero.median, zero.ratio, zero.difference) == (0, None, 3)


def test_session_recap_against_hand_computed_values() -> None:
    end = S + minutes(180)
    tips = [
        RecapTip(1, 100),
        RecapTip(2, 50),
        RecapTip(1, 20),
        RecapTip(3, 500, is_anonymous=True),
        RecapTip(99, 1000),  # excluded
    ]
    presence_events = {
        1: [(S, True), (S + minutes(60), False)],
        2: [(S + minutes(30), True), (S + minutes(90), False)],
        3: [(S + minutes(45), True)],
        4: [(S + minutes(20), False)],
        5: [(S + minutes(60), True), (S + minutes(61), False)],
        99: [(S + minutes(40), True), (S + minutes(50), False)],
    }
    first_seen = {
        1: S - days(10),
        2: S + minutes(30),
        3: S - days(1),
        4: S,
        5: S - days(100),
        99: S + minutes(40),
    }
    history = [
        {"tokens": t, "tips": n, "peak_viewers": 0, "chat_messages": 100}
        for t, n in [(100, 1), (200, 2), (300, 3), (400, 4), (500, 5)]
    ]
    history[0].pop("chat_messages")  # a figure missing from one past session
    result = session_recap(
        session_start=S,
        session_end=end,
        figures={"chat_messages": 120, "new_followers": 2},
        history=history,
        tips=tips,
        presence=presence_events,
        first_seen_in_room=first_seen,
        excluded={99},
    )
    figures = result.figures
    assert figures["tokens"].value == 670
    assert figures["tokens"].median == 300
    assert figures["tips"].value == 4
    assert figures["tips"].median == 3
    assert figures["peak_viewers"].value == 3
    assert figures["peak_viewers"].ratio is None  # the median session had 0
    assert figures["chat_messages"].median is None  # only 4 past sessions have it
    assert figures["new_followers"].uncertainty.n == 0
    assert (result.new_visitors, result.returning_visitors) == (2, 3)
    assert [(t.person_id, t.tokens, t.tips) for t in result.top_tippers] == [
        (1, 120, 2),
        (2, 50, 1),
    ]
    assert result.anonymous_tokens == 500
    assert result.peak_viewers.at == S + minutes(45)
    assert set(figures) == {
        "chat_messages",
        "new_followers",
        "new_visitors",
        "peak_viewers",
        "returning_visitors",
        "tips",
        "tokens",
    }


def test_a_session_whose_tips_were_all_anonymous() -> None:
    tokens, count, anonymous, tippers = tip_totals(
        [RecapTip(1, 100, is_anonymous=True), RecapTip(2, 5, is_anonymous=True)]
    )
    assert (tokens, count, anonymous, tippers) == (105, 2, 105, ())


def test_top_tippers_rank_ties_by_person_id() -> None:
    *_, tippers = tip_totals([RecapTip(9, 50), RecapTip(3, 50), RecapTip(5, 60)])
    assert [t.person_id for t in tippers] == [5, 3, 9]


# -- the owner's audience ----------------------------------------------------------------------------------

WINDOW = Window(since=AS_OF - days(90), until=AS_OF)


def _member(person_id: int, **figures: object) -> AudienceMember:
    base: dict[str, object] = {
        "tokens": 0,
        "tips": 0,
        "sessions_attended": 0,
        "sessions_eligible": 20,
        "first_visit_at": AS_OF - days(300),
        "last_visit_at": AS_OF - days(1),
        "usual_gap_sessions": None,
        "gaps": 0,
        "sessions_since_last_visit": 0,
    }
    base.update(figures)
    return AudienceMember(person_id=person_id, **base)  # type: ignore[arg-type]


def _members() -> list[AudienceMember]:
    return [
        _member(
            99,
            tokens=1_000_000,
            tips=500,
            sessions_attended=20,
            usual_gap_sessions=1.0,
            gaps=19,
            first_visit_at=AS_OF - days(5),
            sessions_since_last_visit=9,
        ),  # excluded whale
        _member(1, tokens=500, tips=10, sessions_attended=12, usual_gap_sessions=1.0, gaps=11),
        _member(
            2,
            tokens=300,
            tips=3,
            sessions_attended=8,
            usual_gap_sessions=2.0,
            gaps=7,
            sessions_since_last_visit=6,
            last_visit_at=AS_OF - days(20),
        ),  # drifting regular
        _member(3, sessions_attended=2, sessions_eligible=2, first_visit_at=AS_OF - days(4)),
        _member(4, tokens=500, tips=1, sessions_attended=2),
        _member(
            5,
            sessions_attended=0,
            first_visit_at=None,
            last_visit_at=None,
            sessions_since_last_visit=None,
        ),  # only seen in other rooms
    ]


def test_audience_lists_against_hand_computed_values_and_the_exclusion_set() -> None:
    tokens = [0] * BUCKETS
    tokens[4 * 24 + 21], tokens[4 * 24 + 22], tokens[3] = 1000, 900, 500
    live_hours = [0.0] * BUCKETS
    live_sessions = [0] * BUCKETS
    live_hours[4 * 24 + 21], live_sessions[4 * 24 + 21] = 10.0, 10
    live_hours[4 * 24 + 22], live_sessions[4 * 24 + 22] = 5.0, 5
    live_hours[3], live_sessions[3] = 1.0, 1  # one broadcast only: not ranked
    result = audience.audience(
        _members(),
        window=WINDOW,
        excluded={99},
        tokens_by_hour=HourOfWeek(tuple(tokens)),
        exposure=Exposure(hours=tuple(live_hours), sessions=tuple(live_sessions)),
        sources=("cb_events",),
    )
    assert result.people == 5
    assert [(e.person_id, e.value, e.rank) for e in result.top_spenders] == [
        (1, 500, 1),
        (4, 500, 2),  # a tie: by person id
        (2, 300, 3),
    ]
    assert [(e.person_id, e.value) for e in result.regulars] == [(1, 0.6), (2, 0.4)]
    assert result.regulars[0].uncertainty.interval is not None
    assert [e.person_id for e in result.newcomers] == [3]
    assert [(e.person_id, e.value) for e in result.at_risk_regulars] == [(2, 6)]
    assert result.at_risk_regulars[0].uncertainty.n == 7
    assert [(h.label, h.tokens_per_hour) for h in result.best_hours] == [
        ("Fri 22:00", 180),
        ("Fri 21:00", 100),
    ]
    assert result.best_hours[0].uncertainty.n == 5
    assert result.rfm_cutoffs is not None
    assert result.rfm_cutoffs.n == 4  # people who visited, the excluded whale not among them
    # The excluded whale is in none of it.
    every_entry = result.top_spenders + result.regulars + result.newcomers + result.at_risk_regulars
    assert 99 not in {e.person_id for e in every_entry}
    assert result.top_spenders[0].evidence.counts == {
        "tokens": 500,
        "tips": 10,
        "sessions_attended": 12,
        "sessions_eligible": 20,
    }


def test_an_empty_audience() -> None:
    result = audience.audience([], window=WINDOW, excluded=set())
    assert result.people == 0
    assert result.top_spenders == result.regulars == result.best_hours == ()
    assert result.rfm_cutoffs is None


def test_an_attended_session_always_counts_as_eligible() -> None:
    # Rows from two queries can disagree (a session ending as they run): never divide by 0.
    odd = _member(8, sessions_attended=6, sessions_eligible=0, usual_gap_sessions=1.0, gaps=5)
    result = audience.audience([odd], window=WINDOW, excluded=set())
    assert [(e.person_id, e.value) for e in result.regulars] == [(8, 1.0)]


def test_the_audience_of_only_excluded_people_is_empty() -> None:
    result = audience.audience(_members()[:1], window=WINDOW, excluded={99})
    assert result.people == 0
    assert result.top_spenders == ()


# -- inferred attributes ----------------------------------------------------------------------------------


def test_attributes_are_proposed_from_insights_and_never_over_a_manual_value() -> None:
    timing_result = timing_insight(_timing_facts(_friday_evenings(), _sessions()))
    tags_result = tags_insight(TagFacts(as_of=AS_OF, sources=_tag_sources()))
    proposals = infer_attributes(timing=timing_result, tags=tags_result)
    by_key = {p.key: p for p in proposals}
    assert by_key[USUAL_HOURS].value == "Fri; 21:00-23:00 (Europe/Berlin)"
    assert by_key[USUAL_HOURS].confidence is Confidence.MEDIUM
    assert "25 active hours" in by_key[USUAL_HOURS].evidence
    assert by_key[FAVOURITE_TAGS].value == "feet, asian, latina"  # bigboobs is under 10%
    assert by_key[FAVOURITE_TAGS].kind is InsightKind.TAGS
    assert all(len(p.evidence) <= 2000 and len(p.value) <= 2000 for p in proposals)
    # A manual value is never overwritten.
    kept = infer_attributes(timing=timing_result, tags=tags_result, manual_keys={USUAL_HOURS})
    assert [p.key for p in kept] == [FAVOURITE_TAGS]


def test_no_proposal_from_thin_data_and_never_high_confidence() -> None:
    thin = timing_insight(_timing_facts(_friday_evenings()[:6], []))
    few_tags = tags_insight(
        TagFacts(as_of=AS_OF, sources=[TagSource(TagSourceKind.ROOMS_VISITED, {"feet": 3}, 2)])
    )
    assert infer_attributes(timing=thin, tags=few_tags) == ()
    # Plenty of data: still at most medium, because it is inferred.
    many = [TagSource(TagSourceKind.ROOMS_TIPPED, {"feet": 9, "asian": 1}, 500)]
    rich = tags_insight(TagFacts(as_of=AS_OF, sources=many))
    assert rich.uncertainty.confidence is Confidence.HIGH
    (proposal,) = infer_attributes(tags=rich)
    assert proposal.confidence is Confidence.MEDIUM
    low = [TagSource(TagSourceKind.ROOMS_TIPPED, {"feet": 9}, 6)]
    (weak,) = infer_attributes(tags=tags_insight(TagFacts(as_of=AS_OF, sources=low)))
    assert weak.confidence is Confidence.LOW


# -- shared properties -------------------------------------------------------------------------------------


def test_every_insight_serializes_to_plain_json() -> None:
    insights = [
        spending_insight(spending_facts(_payments(), as_of=AS_OF, owner_tokens_last_30d=1200)),
        timing_insight(_timing_facts(_friday_evenings(), _sessions())),
        tags_insight(TagFacts(as_of=AS_OF, sources=_tag_sources())),
        loyalty_insight(
            LoyaltyFacts(as_of=AS_OF, first_seen_at=FIRST_SEEN, sessions=_owner_sessions({3, 4}))
        ),
    ]
    kinds = []
    for insight in insights:
        document = insight.model_dump(mode="json")
        json.dumps(document)
        assert set(document) == {"kind", "title", "summary", "value", "evidence", "uncertainty"}
        assert {"n", "confidence", "not_enough_data"} <= set(document["uncertainty"])
        kinds.append(document["kind"])
    assert kinds == ["spending", "timing", "tags", "loyalty"]


def test_no_analysis_input_carries_a_username() -> None:
    # Inputs are keyed by person id, so a renamed person's insights cannot change with the name:
    # a field holding a name in any input type of the analysis fails this test.
    modules = [
        audience,
        engagement,
        hours,
        inferred,
        loyalty,
        presence,
        recap,
        spending,
        tags,
        timing,
    ]
    inputs = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    ]
    assert len(inputs) >= 12
    for cls in inputs:
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"username", "name", "user"}, cls
