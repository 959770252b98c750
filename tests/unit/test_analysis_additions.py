"""The domain pieces the analysis service relies on: presence summaries computed elsewhere,
audience edges computed in SQL, location proposals, Statbate's site-wide hours, and the
normalizers of Statbate's member analysis answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mhc.domain.analysis.audience import AudienceMember, audience
from mhc.domain.analysis.hours import HourOfWeek
from mhc.domain.analysis.inferred import LOCATION, ProfileLocation, infer_attributes
from mhc.domain.analysis.loyalty import RfmCutoffs
from mhc.domain.analysis.presence import PresenceSummary, pair_stays
from mhc.domain.analysis.results import Window
from mhc.domain.analysis.timing import SessionPresence, SiteWideTips, TimingFacts, timing_insight
from mhc.domain.metrics import (
    normalize_statbate_member_activity,
    normalize_statbate_member_on_model,
    normalize_statbate_member_tips,
    normalize_statbate_tag_spending,
)

T = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T + timedelta(minutes=n)


def test_a_summary_computed_elsewhere_counts_as_the_events_would() -> None:
    events = [(minutes(5), False), (minutes(10), True), (minutes(12), True), (minutes(40), False)]
    end = minutes(60)
    from_events = SessionPresence(T, end, events=events)
    summary = pair_stays(events, T, end).summary()
    assert summary == PresenceSummary(
        arrival=T,  # a leave first: there from the start
        total=timedelta(minutes=5 + 30),
        duplicate_enters=1,
        orphan_leaves=0,
        leave_without_enter=1,
        enter_without_leave=0,
    )
    from_summary = SessionPresence(T, end, summary=summary)
    facts = [
        TimingFacts(
            as_of=end,
            timezone="UTC",
            activity=HourOfWeek.empty(),
            activity_since=None,
            sessions=[s] * 5,
        )
        for s in (from_events, from_summary)
    ]
    assert timing_insight(facts[0]) == timing_insight(facts[1])


def test_site_wide_tips_are_shown_with_their_snapshot_and_never_as_a_peak() -> None:
    hours = [0] * 24
    hours[21] = 40
    site = SiteWideTips(hours, [40, 0, 0, 0, 0, 0, 0], "Europe/Berlin", T, snapshot_id=7)
    insight = timing_insight(
        TimingFacts(
            as_of=T,
            timezone="UTC",
            activity=HourOfWeek.empty(),
            activity_since=None,
            site_wide=site,
        )
    )
    assert insight.value.site_wide_tips is not None
    assert insight.value.site_wide_tips.tips == 40
    assert insight.value.peak_hours_of_day == ()  # 40 tips at one hour name no usual time
    assert insight.evidence.sources == ("statbate_member_activity",)
    assert insight.evidence.snapshot_ids == (7,)
    with pytest.raises(ValueError, match="24 hours"):
        timing_insight(
            TimingFacts(
                as_of=T,
                timezone="UTC",
                activity=HourOfWeek.empty(),
                activity_since=None,
                site_wide=SiteWideTips([1], [1] * 7, None, T),
            )
        )


def test_audience_edges_and_head_count_computed_in_sql_are_used_as_given() -> None:
    cutoffs = RfmCutoffs(
        recency_days=(1, 2, 3, 4), frequency=(1, 1, 2, 3), monetary=(0, 5, 9, 50), n=900
    )
    member = AudienceMember(
        person_id=1,
        tokens=10,
        tips=1,
        sessions_attended=1,
        sessions_eligible=1,
        first_visit_at=T,
        last_visit_at=T,
        usual_gap_sessions=None,
        gaps=0,
        sessions_since_last_visit=0,
    )
    result = audience(
        [member], window=Window(since=None, until=T), excluded=(), cutoffs=cutoffs, people_count=900
    )
    assert result.rfm_cutoffs == cutoffs
    assert result.people == 900
    own = audience([member], window=Window(since=None, until=T), excluded=())
    assert own.people == 1
    assert own.rfm_cutoffs is not None
    assert own.rfm_cutoffs.n == 1


def test_location_is_proposed_from_the_profile_never_over_a_manual_value() -> None:
    read = ProfileLocation(
        location=" Berlin, Germany ", country="DE", observed_at=T, source="cb_profile"
    )
    [proposal] = infer_attributes(location=read)
    assert (proposal.key, proposal.value, proposal.confidence) == (
        LOCATION,
        "Berlin, Germany",
        "medium",
    )
    assert "cb_profile" in proposal.evidence
    assert "2026-03-02" in proposal.evidence
    country_only = ProfileLocation(
        location=None, country="Germany", observed_at=None, source="affiliate"
    )
    assert infer_attributes(location=country_only)[0].value == "Germany"
    assert infer_attributes(location=read, manual_keys={LOCATION}) == ()
    blank = ProfileLocation(location=" ", country=None, observed_at=T, source="affiliate")
    assert infer_attributes(location=blank) == ()


def test_member_on_model_keeps_the_range_it_covers() -> None:
    body = {
        "data": {"total": {"tokens": 10, "tips": 2, "usd": True}},
        "meta": {"range": ["a", "b"]},
    }
    assert normalize_statbate_member_on_model(body) == {
        "tokens": 10,
        "tips": 2,
        "usd": None,
        "range_start": "a",
        "range_end": "b",
    }
    assert normalize_statbate_member_on_model({"data": None})["tokens"] is None


def test_tag_spending_sums_by_name_and_skips_what_is_not_a_tag_amount() -> None:
    body = {
        "data": [
            {"tag": "feet", "total_tokens": 10, "models_count": 3},
            {"name": "feet", "total_tokens": 5, "models_count": 9},
            {"value": "asian", "total_tokens": "many"},
            {"tag": "", "total_tokens": 4},
            {"tag": "goth", "total_tokens": -1},
            "junk",
        ]
    }
    assert normalize_statbate_tag_spending(body) == {
        "tags": {"feet": 15},
        "rooms": 9,
        "tag_count": 1,
    }
    assert normalize_statbate_tag_spending({"data": {}}) == {"tags": {}, "rooms": 0, "tag_count": 0}


def test_member_tips_fold_room_names_and_skip_bad_rows() -> None:
    body = {
        "data": [
            {"model": "Room_A", "tokens": 5},
            {"model": "room_a", "tokens": 7},
            {"model": "room_b", "tokens": 0},
            {"model": None, "tokens": 3},
        ],
        "meta": {"range": ["x", "y"]},
    }
    assert normalize_statbate_member_tips(body) == {
        "tips": 2,
        "tokens": 12,
        "rooms": {"room_a": 12},
        "range_start": "x",
        "range_end": "y",
    }


def test_activity_reads_hours_and_days_within_range_only() -> None:
    body = {
        "data": {
            "hourly": [{"hour": 23, "tip_count": 2}, {"hour": 24, "tip_count": 9}, {"hour": "1"}],
            "daily": [{"day_of_week": 7, "tip_count": 3}, {"day_of_week": 0, "tip_count": 1}],
        },
        "meta": {"timezone": "Europe/Berlin"},
    }
    metrics = normalize_statbate_member_activity(body)
    assert metrics["tips_by_hour"][23] == 2
    assert sum(metrics["tips_by_hour"]) == 2
    assert metrics["tips_by_day"] == [0, 0, 0, 0, 0, 0, 3]
    assert metrics["timezone"] == "Europe/Berlin"


def test_engagement_counts_read_in_the_singular_when_there_is_one() -> None:
    from mhc.domain.analysis.engagement import EngagementFacts, engagement_insight
    from mhc.domain.statistics import Distribution

    def summary(received: int, purchases: int) -> str:
        return engagement_insight(
            EngagementFacts(
                as_of=T,
                messages_per_session=Distribution.of([1]),
                private_messages_received=received,
                private_messages_sent=0,
                media_purchases=purchases,
                media_tokens=0,
            )
        ).summary

    assert summary(1, 1).endswith("1 private message to you, 1 media purchase.")
    assert summary(2, 0).endswith("2 private messages to you, 0 media purchases.")
