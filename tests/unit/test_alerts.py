"""Alert rules: validation, evaluation at arrival or follow, and thresholds from the owner's history."""

from datetime import UTC, datetime, timedelta

import pytest
from mhc.domain.alerts import (
    MAX_RULES,
    AlertKind,
    AlertRules,
    AlertTrigger,
    BigTipRule,
    LifetimeTokensRule,
    NewFollowerTipperRule,
    PersonFacts,
    ReturningRegularRule,
    Trigger,
    WatchlistRule,
    evaluate,
    lookback_days,
    parse_rules,
    suggest_big_tip,
    suggest_lifetime_tokens,
)
from mhc.domain.errors import InvalidInput
from mhc.domain.statistics import MIN_N

NOW = datetime(2024, 3, 1, 21, 0, tzinfo=UTC)
ARRIVAL = AlertTrigger(Trigger.ARRIVAL, NOW, "event-1")
FOLLOW = AlertTrigger(Trigger.FOLLOW, NOW, "event-2")

RULES = parse_rules(
    {
        "rules": [
            {"id": "whale", "kind": "lifetime_tokens", "min_tokens": 10_000, "sound": True},
            {"id": "big-tip", "kind": "big_tip", "min_tokens": 1000, "within_days": 30},
            {"id": "friends", "kind": "watchlist", "watchlist_id": 1},
            {"id": "back", "kind": "returning_regular", "min_days_away": 14},
            {"id": "fan", "kind": "new_follower_tipper"},
            {"id": "off", "kind": "lifetime_tokens", "min_tokens": 1, "enabled": False},
        ]
    }
)


def facts(**changes: object) -> PersonFacts:
    base: dict[str, object] = {
        "person_id": 7,
        "is_excluded": False,
        "is_owner": False,
        "is_anonymous": False,
        "lifetime_tokens": 0,
    }
    base.update(changes)
    return PersonFacts(**base)  # type: ignore[arg-type]


def fired(person: PersonFacts, trigger: AlertTrigger = ARRIVAL) -> list[str]:
    return [alert.rule_id for alert in evaluate(RULES, person, trigger)]


# -- rules as data ---------------------------------------------------------------------------------


def test_rules_parse_into_typed_models_and_round_trip() -> None:
    kinds = [type(rule) for rule in RULES.rules]
    assert kinds == [
        LifetimeTokensRule,
        BigTipRule,
        WatchlistRule,
        ReturningRegularRule,
        NewFollowerTipperRule,
        LifetimeTokensRule,
    ]
    document = RULES.model_dump(mode="json")
    assert document["rules"][4] == {
        "id": "fan",
        "enabled": True,
        "sound": False,
        "kind": "new_follower_tipper",
        "min_tokens": 1,
    }
    assert parse_rules(document) == RULES
    assert parse_rules({}) == AlertRules()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"rules": [{"id": "x", "kind": "lifetime_tokens", "min_tokens": 0}]},
            "rules.0.lifetime_tokens.min_tokens",
        ),
        (
            {"rules": [{"id": "x", "kind": "big_tip", "min_tokens": 5}]},
            "rules.0.big_tip.within_days",
        ),
        ({"rules": [{"id": "x", "kind": "teleport"}]}, "rules.0"),
        (
            {"rules": [{"id": "Bad Id", "kind": "watchlist", "watchlist_id": 1}]},
            "rules.0.watchlist.id",
        ),
        (
            {"rules": [{"id": "x", "kind": "watchlist", "watchlist_id": 1, "extra": 1}]},
            "rules.0.watchlist.extra",
        ),
        (
            {"rules": [{"id": "x", "kind": "returning_regular", "min_days_away": 99999}]},
            "rules.0.returning_regular.min_days_away",
        ),
        ({"rulez": []}, "rulez"),
    ],
)
def test_a_bad_rule_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_rules(data)
    assert info.value.field == field


def test_rule_ids_are_unique_and_the_set_is_bounded() -> None:
    twice = {"rules": [{"id": "a", "kind": "watchlist", "watchlist_id": 1}] * 2}
    with pytest.raises(InvalidInput, match="'a' is used twice"):
        parse_rules(twice)
    many = {
        "rules": [
            {"id": f"r{i}", "kind": "watchlist", "watchlist_id": 1} for i in range(MAX_RULES + 1)
        ]
    }
    with pytest.raises(InvalidInput, match=str(MAX_RULES)):
        parse_rules(many)


def test_lookback_covers_the_longest_enabled_big_tip_rule() -> None:
    rules = parse_rules(
        {
            "rules": [
                {"id": "a", "kind": "big_tip", "min_tokens": 5, "within_days": 7},
                {"id": "b", "kind": "big_tip", "min_tokens": 5, "within_days": 90},
                {
                    "id": "c",
                    "kind": "big_tip",
                    "min_tokens": 5,
                    "within_days": 365,
                    "enabled": False,
                },
            ]
        }
    )
    assert lookback_days(rules) == 90
    assert lookback_days(AlertRules()) == 0


# -- evaluation ------------------------------------------------------------------------------------


def test_a_whale_arriving_fires_the_lifetime_rule_with_a_stable_key() -> None:
    (alert,) = evaluate(RULES, facts(lifetime_tokens=12_345), ARRIVAL)
    assert alert.rule_id == "whale"
    assert alert.kind is AlertKind.LIFETIME_TOKENS
    assert alert.key == "whale:event-1"
    assert (alert.person_id, alert.trigger, alert.at, alert.sound) == (
        7,
        Trigger.ARRIVAL,
        NOW,
        True,
    )
    assert alert.reason == "12,345 tokens to you in all (≥ 10,000)"
    # Evaluating the same arrival again gives the same alert: storing it is idempotent.
    assert evaluate(RULES, facts(lifetime_tokens=12_345), ARRIVAL) == (alert,)
    assert fired(facts(lifetime_tokens=9_999)) == []


def test_a_big_tip_counts_only_inside_its_window() -> None:
    inside = facts(recent_tips=[(NOW - timedelta(days=29), 1500), (NOW - timedelta(days=1), 20)])
    assert fired(inside) == ["big-tip"]
    edge = facts(recent_tips=[(NOW - timedelta(days=30), 1000)])
    assert fired(edge) == ["big-tip"]
    outside = facts(recent_tips=[(NOW - timedelta(days=30, seconds=1), 5000)])
    assert fired(outside) == []
    small = facts(recent_tips=[(NOW - timedelta(days=1), 999)])
    assert fired(small) == []


def test_watchlist_members_fire_their_rule() -> None:
    assert fired(facts(watchlist_ids=frozenset({1, 3}))) == ["friends"]
    assert fired(facts(watchlist_ids=frozenset({2}))) == []


def test_a_regular_back_after_two_weeks_fires_once_per_arrival() -> None:
    regular = {"sessions_attended": 10, "sessions_eligible": 20}
    back = facts(previous_visit_at=NOW - timedelta(days=14), **regular)
    assert fired(back) == ["back"]
    # The next arrival the same night has a previous visit minutes ago: no second alert.
    again = facts(previous_visit_at=NOW - timedelta(minutes=5), **regular)
    assert fired(again) == []
    # Not a regular (too few sessions, or too small a share), or a first visit: no alert.
    assert (
        fired(
            facts(
                previous_visit_at=NOW - timedelta(days=30), sessions_attended=5, sessions_eligible=5
            )
        )
        == []
    )
    assert (
        fired(
            facts(
                previous_visit_at=NOW - timedelta(days=30),
                sessions_attended=6,
                sessions_eligible=30,
            )
        )
        == []
    )
    assert fired(facts(**regular)) == []


def test_a_new_follower_who_tipped_fires_on_the_follow_only() -> None:
    tipper = facts(lifetime_tokens=25)
    assert fired(tipper, FOLLOW) == ["fan"]
    assert fired(tipper, ARRIVAL) == []  # the follow rule is not about visits
    assert fired(facts(lifetime_tokens=0), FOLLOW) == []
    # Arrival rules do not fire on a follow.
    assert fired(facts(lifetime_tokens=50_000), FOLLOW) == ["fan"]


def test_several_rules_fire_together_in_rule_order() -> None:
    person = facts(
        lifetime_tokens=50_000,
        recent_tips=[(NOW - timedelta(days=2), 2000)],
        watchlist_ids=frozenset({1}),
    )
    alerts = evaluate(RULES, person, ARRIVAL)
    assert [a.rule_id for a in alerts] == ["whale", "big-tip", "friends"]
    assert len({a.key for a in alerts}) == 3


@pytest.mark.parametrize("who", ["is_excluded", "is_anonymous", "is_owner"])
def test_never_an_alert_for_the_excluded_the_anonymous_or_the_owner(who: str) -> None:
    everything = facts(
        lifetime_tokens=1_000_000,
        recent_tips=[(NOW, 5000)],
        watchlist_ids=frozenset({1}),
        previous_visit_at=NOW - timedelta(days=100),
        sessions_attended=50,
        sessions_eligible=50,
        **{who: True},
    )
    assert evaluate(RULES, everything, ARRIVAL) == ()
    assert evaluate(RULES, everything, FOLLOW) == ()


def test_a_disabled_rule_never_fires() -> None:
    only_off = parse_rules(
        {"rules": [{"id": "off", "kind": "lifetime_tokens", "min_tokens": 1, "enabled": False}]}
    )
    assert evaluate(only_off, facts(lifetime_tokens=100), ARRIVAL) == ()


# -- threshold suggestions ---------------------------------------------------------------------------


def test_lifetime_threshold_is_what_the_top_one_percent_reached() -> None:
    # Given 1,000 tipping people with 1..1000 tokens, 500 who never tipped, and an excluded whale
    lifetime = {i: i for i in range(1, 1001)}
    lifetime.update({2000 + i: 0 for i in range(500)})
    lifetime[99_999] = 10_000_000
    suggestion = suggest_lifetime_tokens(lifetime, excluded={99_999})
    # Then the top 1% (10 people) reached 991 or more
    assert suggestion.threshold == 991
    assert (suggestion.n, suggestion.at_or_above) == (1000, 10)
    assert suggestion.kind is AlertKind.LIFETIME_TOKENS
    assert suggestion.reasoning == (
        "The top 1% of the 1,000 people with any lifetime tokens to you (10 people) reached "
        "991 or more; 10 are at or above it."
    )
    assert not suggestion.uncertainty.not_enough_data


def test_ties_at_the_threshold_are_counted() -> None:
    suggestion = suggest_lifetime_tokens(
        {i: 100 if i < 5 else i for i in range(200)}, excluded=set()
    )
    # 200 tippers (ids 0-4 gave 100, ids 5-199 their id): the top 2 (1%) gave 199 and 198.
    assert suggestion.threshold == 198
    assert suggestion.at_or_above == 2
    flat = suggest_lifetime_tokens(dict.fromkeys(range(300), 50), excluded=set())
    assert (flat.threshold, flat.at_or_above) == (50, 300)
    assert "300 are at or above it" in flat.reasoning


def test_a_small_room_gets_its_very_top_and_says_so() -> None:
    suggestion = suggest_lifetime_tokens(
        {1: 10, 2: 500, 3: 40, 4: 7, 5: 3000, 6: 1}, excluded=set()
    )
    assert suggestion.threshold == 3000
    assert suggestion.at_or_above == 1
    assert "fewer than 100 people that is the very top" in suggestion.reasoning
    assert "(1 person)" in suggestion.reasoning


def test_no_suggestion_without_enough_people() -> None:
    few = dict.fromkeys(range(MIN_N - 1), 100)
    suggestion = suggest_lifetime_tokens(few, excluded=set())
    assert suggestion.threshold is None
    assert suggestion.uncertainty.not_enough_data
    assert suggestion.reasoning.startswith(f"Only {MIN_N - 1} people")
    empty = suggest_lifetime_tokens({}, excluded=set())
    assert (empty.threshold, empty.n) == (None, 0)


def test_big_tip_threshold_from_each_persons_largest_tip() -> None:
    largest = {i: (i % 50) * 10 + 10 for i in range(500)}  # 10..500, ten people each
    suggestion = suggest_big_tip(largest, within_days=30, excluded={0})
    assert suggestion.kind is AlertKind.BIG_TIP
    assert suggestion.n == 499
    assert suggestion.threshold == 500  # the top 5 (1% of 499) all gave 500
    assert suggestion.at_or_above == 10
    assert "tip in the last 30 days" in suggestion.reasoning
    with pytest.raises(ValueError, match="top_share"):
        suggest_big_tip(largest, within_days=30, excluded=set(), top_share=1.5)
