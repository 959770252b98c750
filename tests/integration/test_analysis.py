"""Insights, the audience and a recap over a known history, checked against values computed by
hand from the story in `tests/analysis_world.py` (the arithmetic is written out, not re-derived
with the code under test)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from analysis_world import NOW, OWNER, RITA_SEPT, TZ, World, at, build, start
from mhc.db.connection import Database
from mhc.domain.models import InteractionType, SnapshotSource
from mhc.domain.statistics import Distribution
from mhc.services import analysis, persons
from mhc.store import analysis as store

Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95% interval, written out from its formula."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if k == 0 else centre - half, 1.0 if k == n else centre + half)


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


@pytest.fixture
def world(db: Database) -> World:
    return build(db)


def insights(db: Database, person_id: int) -> dict[str, Any]:
    result = analysis.person_insights(db, person_id, owner=OWNER, timezone=TZ, clock=lambda: NOW)
    return result.model_dump(mode="json")


def by_kind(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {insight["kind"]: insight for insight in result["insights"]}


# -- the regular ---------------------------------------------------------------------------
def test_the_regulars_spending(db: Database, world: World) -> None:
    spending = by_kind(insights(db, world.rita))["spending"]
    value = spending["value"]
    # Tips 40 (Sep), 35 (Dec), 10, 25, 100, 10, 50 = 270; media 30 in S6.
    assert value["tokens_to_owner"] == 300
    assert value["tokens_by_kind"] == {"tip": 270, "media_purchase": 30}
    assert value["tips_to_owner"] == 7
    # Sorted 10, 10, 25, 35, 40, 50, 100: the 4th; n = 7 gives ranks 1 and 7, coverage
    # 1 - 2 * (1/128).
    assert value["median_tip"]["value"] == 35
    interval = value["median_tip"]["uncertainty"]["interval"]
    assert (interval["low"], interval["high"]) == (10, 100)
    assert interval["coverage"] == pytest.approx(1 - 2 / 128)
    assert value["median_tip"]["uncertainty"]["confidence"] == "low"
    assert value["largest_tip"] == 100
    assert value["first_tip_at"] == "2025-09-01T20:30:00Z"
    assert value["last_tip_at"] == "2026-02-23T20:30:00Z"
    # (Jan 25 12:00, Feb 24 12:00]: S5 100 + S6 media 30 + S7 10 + S8 50; the 30 before: S1
    # 10 + S3 25 (Dec 1 is before Dec 26).
    assert value["tokens_last_30d"] == 190
    assert value["tokens_prior_30d"] == 35
    # The room's last 30 days: S4 200 anonymous + 15, S5 100, S6 30, S7 10, S8 50 + 5 = 410
    # (the excluded whale's 5000 was in S2 and would not count anyway).
    assert value["share_of_owner_income"] == pytest.approx(190 / 410)
    assert value["statbate_all_time_tokens"] == 10_000
    assert value["statbate_tokens_to_owner"] == 2000
    wallet = value["share_of_wallet"]
    assert (wallet["share"], wallet["numerator_source"], wallet["uncertain"]) == (
        0.2,
        "statbate",
        False,
    )
    assert [(b["low"], b["tips"], b["tokens"]) for b in value["tip_histogram"] if b["tips"]] == [
        (10, 2, 20),  # 10, 10
        (25, 3, 100),  # 25, 35, 40
        (50, 1, 50),
        (100, 1, 100),
    ]
    evidence = spending["evidence"]
    assert evidence["counts"] == {
        "tips": 7,
        "tokens": 300,
        "tip_tokens": 270,
        "owner_tokens_last_30d": 410,
    }
    assert evidence["window"] == {"since": "2025-09-01T20:00:00Z", "until": "2026-02-24T12:00:00Z"}
    assert evidence["sources"] == ["cb_events", "statbate_member"]
    assert evidence["snapshot_ids"] == [world.rita_snapshots[SnapshotSource.STATBATE_MEMBER]]
    assert evidence["query"]["person_id"] == world.rita
    assert evidence["query"]["types"] == ["TIP_EVENT", "MEDIA_PURCHASE"]
    assert evidence["query"]["broadcaster"] == OWNER


def test_the_regulars_timing_in_the_owners_timezone(db: Database, world: World) -> None:
    timing = by_kind(insights(db, world.rita))["timing"]
    value = timing["value"]
    # Each session: 21:xx, 22:10 (leave) and 23:05-23:30 Berlin; plus Sep 1 22:30 (summer
    # time) and Dec 1 21:30, both Mondays: 24 + 2 = 26 distinct hours, all on Mondays.
    assert value["active_hours"] == 26
    assert value["by_hour_of_day"][21:] == [9, 9, 8]
    assert sum(value["by_hour_of_day"]) == 26
    assert value["by_day_of_week"] == [26, 0, 0, 0, 0, 0, 0]
    assert value["hour_of_week"][0][21:] == [9, 9, 8]
    assert value["peak_hours_of_day"] == [21, 22, 23]
    assert value["peak_days_of_week"] == [0]
    assert value["usual_hours"] == "Mon; 21:00-00:00"
    assert timing["uncertainty"]["n"] == 26
    assert timing["uncertainty"]["confidence"] == "medium"
    # Enter +10, leave +70, enter +125, leave +150: arrives at 10, stays 60 + 25.
    assert value["usual_arrival_minutes"]["value"] == 10
    assert value["usual_stay_minutes"]["value"] == 85
    assert value["sessions_with_presence"] == 8
    assert value["irregularities"] == {
        "duplicate_enters": 0,
        "orphan_leaves": 0,
        "leave_without_enter": 0,
        "enter_without_leave": 0,
    }
    assert timing["evidence"]["counts"] == {
        "active_hours": 26,
        "sessions_with_presence": 8,
        "sessions": 8,
    }
    # Statbate's tips everywhere, as context: 30 at 21:00 and 10 at 14:00, Mondays and Saturdays
    site = value["site_wide_tips"]
    assert (site["tips"], site["tips_by_hour"][21], site["tips_by_hour"][14]) == (40, 30, 10)
    assert site["tips_by_day"] == [25, 0, 0, 0, 0, 15, 0]
    assert timing["evidence"]["sources"] == ["cb_events", "statbate_member_activity"]
    assert timing["evidence"]["snapshot_ids"] == [
        world.rita_snapshots[SnapshotSource.STATBATE_MEMBER_ACTIVITY]
    ]


def test_the_regulars_tags_merge_three_sources(db: Database, world: World) -> None:
    tags = by_kind(insights(db, world.rita))["tags"]
    weights = {t["tag"]: t["weight"] for t in tags["value"]["tags"]}
    # Statbate: feet 300, asian 100 -> .75/.25 (weight 1). Rooms tipped: model_a (feet,
    # lovense) 100, model_b (asian) 50 -> .4/.4/.2 (weight 1). Rooms messaged: model_a ->
    # feet .5, lovense .5 (weight .5; model_c has no profile). Sum of weights 2.5.
    assert weights == pytest.approx(
        {
            "feet": (0.75 + 0.4 + 0.5 * 0.5) / 2.5,
            "lovense": (0.4 + 0.5 * 0.5) / 2.5,
            "asian": (0.25 + 0.2) / 2.5,
        }
    )
    assert [t["tag"] for t in tags["value"]["tags"]] == ["feet", "lovense", "asian"]
    # n: 6 rooms behind Statbate's list + 2 rooms tipped + 1 messaged with known tags.
    assert tags["uncertainty"]["n"] == 9
    assert tags["evidence"]["sources"] == [
        "statbate_member",
        "statbate_member_tips",
        "statbate_tag_spending",
    ]
    assert tags["evidence"]["snapshot_ids"] == sorted(
        world.rita_snapshots[s]
        for s in (
            SnapshotSource.STATBATE_MEMBER,
            SnapshotSource.STATBATE_TAG_SPENDING,
            SnapshotSource.STATBATE_MEMBER_TIPS,
        )
    )


def test_the_regulars_loyalty_and_engagement(db: Database, world: World) -> None:
    result = by_kind(insights(db, world.rita))
    loyalty = result["loyalty"]["value"]
    assert (loyalty["attended_sessions"], loyalty["eligible_sessions"]) == (8, 8)
    assert loyalty["attendance"]["value"] == 1.0
    low, high = wilson(8, 8)
    assert loyalty["attendance"]["uncertainty"]["interval"]["low"] == pytest.approx(low)
    assert loyalty["attendance"]["uncertainty"]["interval"]["high"] == high
    assert loyalty["first_seen_at"] == "2025-09-01T20:00:00Z"
    assert loyalty["tenure_days"] == pytest.approx(days(NOW - (RITA_SEPT - timedelta(minutes=30))))
    assert loyalty["last_visit_at"] == "2026-02-23T22:30:00Z"  # S8 + 150 min
    assert loyalty["days_since_last_visit"] == pytest.approx(13.5 / 24)
    assert (loyalty["current_streak"], loyalty["longest_streak"]) == (8, 8)
    assert loyalty["is_regular"] is True
    assert loyalty["usual_gap_sessions"]["value"] == 1
    assert loyalty["usual_gap_days"]["value"] == 7
    assert (loyalty["sessions_since_last_visit"], loyalty["at_risk"]) == (0, False)
    assert (loyalty["following"], loyalty["follows"], loyalty["unfollows"]) == (True, 1, 0)
    assert loyalty["last_followed_at"] == "2026-01-05T20:15:00Z"
    assert loyalty["fan_club_joined_at"] == "2026-01-12T20:15:00Z"
    # Highest recency, frequency and money of the five visitors of the last 90 days.
    assert loyalty["rfm"] == {"recency": 5, "frequency": 5, "monetary": 5, "segment": "champion"}
    assert result["loyalty"]["evidence"]["counts"]["rfm_audience"] == 5

    engagement = result["engagement"]["value"]
    # Chat per session 1, 2, 0, 1, 3, 1, 2, 1: sorted 0 1 1 1 1 2 2 3, median 1.
    assert engagement["chat_messages"] == 11
    assert engagement["mean_messages_per_session"] == 11 / 8
    assert engagement["median_messages_per_session"]["value"] == 1
    assert engagement["share_of_sessions_with_chat"]["value"] == 7 / 8
    low, high = wilson(7, 8)
    interval = engagement["share_of_sessions_with_chat"]["uncertainty"]["interval"]
    assert (interval["low"], interval["high"]) == pytest.approx((low, high))
    assert (engagement["private_messages_received"], engagement["private_messages_sent"]) == (1, 1)
    assert (engagement["media_purchases"], engagement["media_tokens"]) == (1, 30)


def test_the_headline_charts_and_proposals(db: Database, world: World) -> None:
    result = insights(db, world.rita)
    assert result["headline"] == {
        "tokens_to_owner": 300,
        "tips_to_owner": 7,
        "sessions_attended": 8,
        "last_visit_at": "2026-02-23T22:30:00Z",
        "fan_club_joined_at": "2026-01-12T20:15:00Z",
        "following": True,
        "is_regular": True,
        "at_risk": False,
    }
    assert result["monthly_tokens"] == [
        {"month": "2025-09", "tokens": 40},
        {"month": "2025-12", "tokens": 35},
        {"month": "2026-01", "tokens": 35},
        {"month": "2026-02", "tokens": 190},
    ]
    assert [p["attended"] for p in result["attendance"]] == [True] * 8
    proposals = {p["key"]: p for p in result["proposed_attributes"]}
    assert proposals["usual_hours"]["value"] == "Mon; 21:00-00:00 (Europe/Berlin)"
    assert proposals["usual_hours"]["confidence"] == "medium"  # n = 26 hours
    assert proposals["favourite_tags"]["value"] == "feet, lovense, asian"
    assert proposals["favourite_tags"]["confidence"] == "low"  # n = 9 rooms


# -- the drifting regular, the newcomer, the merged and the anonymous ------------------------
def test_the_drifting_regular_is_at_risk(db: Database, world: World) -> None:
    result = insights(db, world.dan)
    loyalty = by_kind(result)["loyalty"]["value"]
    assert (loyalty["attended_sessions"], loyalty["eligible_sessions"]) == (6, 8)
    assert loyalty["is_regular"] is True
    # Gaps 1, 1, 1, 1, 1; two sessions missed since: 2 + 1 > 2 x 1.
    assert loyalty["usual_gap_sessions"]["value"] == 1
    assert (loyalty["sessions_since_last_visit"], loyalty["at_risk"]) == (2, True)
    assert (loyalty["current_streak"], loyalty["longest_streak"]) == (0, 6)
    assert (loyalty["following"], loyalty["follows"], loyalty["unfollows"]) == (False, 1, 1)
    low, high = wilson(6, 8)
    interval = loyalty["attendance"]["uncertainty"]["interval"]
    assert (interval["low"], interval["high"]) == pytest.approx((low, high))
    spending = by_kind(result)["spending"]["value"]
    assert (
        spending["tokens_to_owner"],
        spending["tokens_last_30d"],
        spending["tokens_prior_30d"],
    ) == (
        20,
        0,
        20,
    )
    assert spending["median_tip"] == {
        "value": None,
        "uncertainty": {
            "n": 1,
            "confidence": "low",
            "not_enough_data": True,
            "interval": None,
            "note": None,
        },
    }
    timing = by_kind(result)["timing"]["value"]
    assert (timing["usual_arrival_minutes"]["value"], timing["usual_stay_minutes"]["value"]) == (
        5,
        30,
    )
    assert result["headline"]["at_risk"] is True


def test_the_newcomer(db: Database, world: World) -> None:
    result = insights(db, world.nia)
    loyalty = by_kind(result)["loyalty"]["value"]
    assert (loyalty["attended_sessions"], loyalty["eligible_sessions"]) == (1, 1)
    assert loyalty["attendance"]["value"] is None  # 1 session: not enough data
    assert loyalty["attendance"]["uncertainty"]["not_enough_data"] is True
    assert loyalty["following"] is True
    timing = by_kind(result)["timing"]
    assert timing["value"]["usual_hours"] is None
    assert timing["uncertainty"]["not_enough_data"] is True  # 2 active hours < 20
    assert result["proposed_attributes"] == []


def test_a_merged_person_is_read_as_one_through_either_row(db: Database, world: World) -> None:
    survivor = insights(db, world.mo)
    assert insights(db, world.mo_old) == survivor  # the merged row reads as its survivor
    spending = by_kind(survivor)["spending"]["value"]
    assert (spending["tokens_to_owner"], spending["tips_to_owner"]) == (70, 3)
    loyalty = by_kind(survivor)["loyalty"]["value"]
    # mo_old was first seen 10 minutes before S1: every session is eligible.
    assert (loyalty["attended_sessions"], loyalty["eligible_sessions"]) == (3, 8)
    assert survivor["person_id"] == world.mo


def test_anonymous_tips_are_never_the_tippers(db: Database, world: World) -> None:
    spending = by_kind(insights(db, world.andy))["spending"]["value"]
    assert (spending["tokens_to_owner"], spending["tips_to_owner"]) == (15, 1)
    assert spending["largest_tip"] == 15


def test_an_excluded_persons_own_page_still_shows_their_history(db: Database, world: World) -> None:
    spending = by_kind(insights(db, world.smk))["spending"]
    assert spending["value"]["tokens_to_owner"] == 5000
    assert (spending["value"]["tokens_last_30d"], spending["value"]["tokens_prior_30d"]) == (
        0,
        5000,
    )
    # ...but the room's income, which they are out of, is the others' (S4..S8 = 410).
    assert spending["value"]["share_of_owner_income"] == 0.0
    assert spending["evidence"]["counts"]["owner_tokens_last_30d"] == 410


def test_someone_only_looked_up_has_facts_of_zero(db: Database, world: World) -> None:
    with db.transaction() as conn:
        stranger, _ = persons.find_or_create(conn, "stranger", seen_at=None, at=NOW)
    result = insights(db, stranger.id)
    assert result["headline"]["tokens_to_owner"] == 0
    assert result["headline"]["sessions_attended"] == 0
    loyalty = by_kind(result)["loyalty"]["value"]
    assert loyalty["eligible_sessions"] == 0  # never seen: no session held against them


# -- the audience -------------------------------------------------------------------------------
def test_the_audience_lists(db: Database, world: World) -> None:
    view = analysis.owner_audience(db, owner=OWNER, timezone=TZ, clock=lambda: NOW).model_dump(
        mode="json"
    )
    lists = view["audience"]
    # rita, dan, nia, mo, andy; never the owner or the excluded whale.
    assert lists["people"] == 5
    assert view["names"] == {
        str(world.rita): "rita",
        str(world.dan): "dan",
        str(world.nia): "nia",
        str(world.mo): "mo_new",
        str(world.andy): "andy",
    }
    # In the 90 days: rita 35 (Dec) + 195 + 30 media; mo 20 + 20 + 30; the Sep tip is older.
    assert [(e["person_id"], e["value"]) for e in lists["top_spenders"]] == [
        (world.rita, 260),
        (world.mo, 70),
        (world.dan, 20),
        (world.andy, 15),
        (world.nia, 5),
    ]
    assert [(e["person_id"], e["value"]) for e in lists["regulars"]] == [
        (world.rita, 1.0),
        (world.dan, 0.75),
    ]
    # First own action in the room within the window, newest first (rita's was in September).
    assert [e["person_id"] for e in lists["newcomers"]] == [
        world.nia,
        world.andy,
        world.mo,
        world.dan,
    ]
    assert view["newcomers_total"] == 4
    assert [(e["person_id"], e["value"]) for e in lists["at_risk_regulars"]] == [(world.dan, 2)]
    # Every tip (anonymous included, the whale's not) in Monday 21:00-22:00 Berlin but rita's
    # 100 at 22:05; eight one-hour broadcasts in each of the three hours.
    best = [(h["label"], h["tokens"], h["broadcast_hours"]) for h in lists["best_hours"]]
    assert best == [("Mon 21:00", 470, 8.0), ("Mon 22:00", 100, 8.0), ("Mon 23:00", 0, 8.0)]
    # RFM edges (type-7 quintiles of five visitors): recency in days since the last visit:
    recency = sorted(
        days(NOW - t)
        for t in (at(8, 150), at(8, 80), at(4, 20), at(3, 90), at(6, 35))  # rita nia andy mo dan
    )
    r = recency
    assert lists["rfm_cutoffs"]["recency_days"] == pytest.approx(
        [
            r[0] + 0.8 * (r[1] - r[0]),
            r[1] + 0.6 * (r[2] - r[1]),
            r[2] + 0.4 * (r[3] - r[2]),
            r[3] + 0.2 * (r[4] - r[3]),
        ]
    )
    assert lists["rfm_cutoffs"]["frequency"] == pytest.approx([1, 2.2, 4.2, 6.4])  # 1 1 3 6 8
    assert lists["rfm_cutoffs"]["monetary"] == pytest.approx([13, 18, 40, 108])  # 5 15 20 70 260
    assert [(s["session_id"], s["tokens"], s["visitors"]) for s in view["sessions"]] == list(
        zip(
            world.sessions,
            (30, 40, 55, 215, 100, 30, 10, 55),
            (3, 3, 3, 3, 2, 2, 1, 2),
            strict=True,
        )
    )


def test_an_audience_window_counts_only_its_sessions_and_payments(
    db: Database, world: World
) -> None:
    view = analysis.owner_audience(
        db,
        owner=OWNER,
        timezone=TZ,
        since=start(7),
        until=start(8) + timedelta(days=1),
        clock=lambda: NOW,
    ).model_dump(mode="json")
    lists = view["audience"]
    assert [(e["person_id"], e["value"]) for e in lists["top_spenders"]] == [
        (world.rita, 60),
        (world.nia, 5),
    ]
    assert lists["regulars"] == []  # two sessions: nobody reaches six
    assert [e["person_id"] for e in lists["newcomers"]] == [world.nia]
    assert lists["people"] == 2


@pytest.mark.parametrize(("first", "last"), [(1, 8), (7, 8), (8, 8), (2, 5), (3, 3)])
def test_the_audience_statement_agrees_with_a_recount_for_any_window(
    db: Database, world: World, first: int, last: int
) -> None:
    """The audience in one statement (decision 123) against figures recounted one person and
    one session at a time from the summaries: recency edges are type-7 quintiles of each
    visitor's last visit, each listed person carries the attendance `attendance_stats` gives
    them (the same in every list), only newcomers carry a first visit, and each session's
    visitors are the people with an own action in it (merged rows once, excluded persons and
    the owner never)."""
    since, until = start(first), start(last) + timedelta(days=1)
    with db.transaction() as conn:
        ids = [s.id for s in store.sessions(conn, until=until) if s.started_at >= since]
        rows = store.audience(
            conn,
            OWNER,
            session_ids=ids,
            since=since,
            until=until,
            top=20,
            regular_min_sessions=2,  # dan's and rita's attendance is judged in short windows too
        )
        counted = """FROM session_attendance sa JOIN persons r ON r.id = sa.person_id
                     JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
                     WHERE sa.session_id = ANY(%(ids)s) AND sa.actions > 0
                       AND NOT p.is_excluded AND p.username <> %(owner)s"""
        last_visits = conn.execute(
            f"SELECT max(sa.last_at) AS at {counted} GROUP BY p.id",
            {"ids": ids, "owner": OWNER},
        ).fetchall()
        per_session = conn.execute(
            f"SELECT sa.session_id, count(DISTINCT p.id) AS n {counted} GROUP BY 1",
            {"ids": ids, "owner": OWNER},
        ).fetchall()
        listed = [*rows.spenders, *rows.regulars, *rows.at_risk, *rows.newcomers]
        stats = store.attendance_stats(
            conn,
            OWNER,
            sorted({v.person_id for v, _ in listed}),
            session_ids=ids,
            since=since,
            regular_min_sessions=2,
        )
    assert listed
    if last_visits:
        recency = Distribution.of(days(until - r["at"]) for r in last_visits)
        assert rows.cutoffs is not None
        assert rows.cutoffs.n == len(last_visits)
        assert rows.cutoffs.recency_days == pytest.approx(
            tuple(recency.quantile(p) for p in (0.2, 0.4, 0.6, 0.8))
        )
    assert rows.session_visitors == {int(r["session_id"]): int(r["n"]) for r in per_session}
    newcomers = {v.person_id for v, _ in rows.newcomers}
    seen: dict[int, tuple[store.Visitor, store.AttendanceStats]] = {}
    for visitor, attendance in listed:
        assert attendance == stats[visitor.person_id]
        assert seen.setdefault(visitor.person_id, (visitor, attendance)) == (visitor, attendance)
        assert (visitor.first_visit_at is not None) == (visitor.person_id in newcomers)


def test_an_empty_window_and_a_backwards_one(db: Database, world: World) -> None:
    from mhc.domain.errors import InvalidInput

    early = datetime(2020, 1, 1, tzinfo=UTC)
    view = analysis.owner_audience(
        db,
        owner=OWNER,
        timezone=TZ,
        since=early,
        until=early + timedelta(days=1),
        clock=lambda: NOW,
    )
    assert view.audience.people == 0
    assert view.audience.rfm_cutoffs is None
    with pytest.raises(InvalidInput):
        analysis.owner_audience(db, owner=OWNER, timezone=TZ, since=NOW, until=early)


# -- a recap ------------------------------------------------------------------------------------
def test_the_recap_of_the_last_session(db: Database, world: World) -> None:
    view = analysis.session_recap_of(db, world.sessions[7], owner=OWNER, clock=lambda: NOW)
    recap = view.recap.model_dump(mode="json")
    assert view.compared_with == 7
    figures = {
        name: (f["value"], f["median"], f["ratio"], f["difference"])
        for name, f in recap["figures"].items()
    }
    # S1..S7 tokens 30 40 55 215 100 0 10 -> median 40; S8: rita 50 + nia 5.
    assert figures["tokens"] == (55, 40, 55 / 40, 15)
    assert figures["tips"] == (2, 2, 1, 0)  # 2 2 2 2 1 0 1
    assert figures["chat_messages"] == (2, 2, 1, 0)  # 2 3 1 2 4 2 2
    assert figures["new_followers"] == (1, 0, None, 1)  # 2 0 0 0 0 0 0
    assert figures["unfollows"] == (0, 0, None, 0)  # 0 0 0 0 0 1 0
    assert figures["unique_visitors"] == (2, 3, 2 / 3, -1)  # 3 3 3 3 2 2 1
    assert figures["new_visitors"] == (1, 0, None, 1)  # 2 0 0 1 0 0 0
    assert figures["returning_visitors"] == (1, 2, 0.5, -1)  # 1 3 3 2 2 2 1
    assert figures["peak_viewers"] == (2, 2, 1, 0)  # 2 2 2 3 2 2 1
    assert recap["figures"]["tokens"]["uncertainty"]["n"] == 7
    assert recap["top_tippers"] == [
        {"person_id": world.rita, "tokens": 50, "tips": 1},
        {"person_id": world.nia, "tokens": 5, "tips": 1},
    ]
    assert recap["peak_viewers"]["count"] == 2
    assert recap["peak_viewers"]["at"] == "2026-02-23T20:40:00Z"  # nia arrives while rita is in
    assert view.names == {world.rita: "rita", world.nia: "nia"}


def test_the_recap_of_the_session_with_anonymous_tips_and_the_whale(
    db: Database, world: World
) -> None:
    s2 = analysis.session_recap_of(db, world.sessions[1], owner=OWNER, clock=lambda: NOW).recap
    assert s2.figures["tokens"].value == 40  # dan 20 + mo 20; the whale's 5000 is not counted
    assert [t.person_id for t in s2.top_tippers] == [world.dan, world.mo]  # ties by id
    assert s2.figures["tokens"].median is None  # one session before: not enough history
    s4 = analysis.session_recap_of(db, world.sessions[3], owner=OWNER, clock=lambda: NOW).recap
    assert s4.figures["tokens"].value == 215
    assert s4.anonymous_tokens == 200
    assert [(t.person_id, t.tokens) for t in s4.top_tippers] == [(world.andy, 15)]
    assert s4.figures["peak_viewers"].value == 3  # andy, dan and rita at +10
    assert (s4.new_visitors, s4.returning_visitors) == (1, 2)


def test_a_live_sessions_recap_runs_to_now(db: Database, world: World) -> None:
    from mhc.domain.models import InteractionSource, NewInteraction, SessionSource
    from mhc.services import interactions, sessions

    live_start = NOW - timedelta(minutes=30)
    with db.transaction() as conn:
        live = sessions.open_segment(conn, live_start, SessionSource.MANUAL)
        interactions.record(
            conn,
            NewInteraction(
                person_id=world.rita,
                type=InteractionType.USER_ENTER,
                source=InteractionSource.CB_EVENTS,
                external_id="live-enter",
                occurred_at=live_start + timedelta(minutes=5),
                broadcaster=OWNER,
            ),
        )
    recap = analysis.session_recap_of(db, live.id, owner=OWNER, clock=lambda: NOW).recap
    assert recap.figures["unique_visitors"].value == 1
    assert recap.peak_viewers.count == 1
    assert recap.peak_viewers.enter_without_leave == 1
    # and rita's streak is intact: a live session she is in counts as attended.
    loyalty = by_kind(insights(db, world.rita))["loyalty"]["value"]
    assert (loyalty["attended_sessions"], loyalty["current_streak"]) == (9, 9)


def test_a_recap_of_an_unknown_session_is_not_found(db: Database, world: World) -> None:
    from mhc.domain.errors import NotFound

    with pytest.raises(NotFound):
        analysis.session_recap_of(db, 10_000, owner=OWNER, clock=lambda: NOW)


def test_a_person_only_seen_in_other_rooms(db: Database, world: World) -> None:
    # Given a broadcaster the owner visited: the owner tipped in her room (the owner's action,
    # carried as `actor`) and she changed her room's subject (her own action)
    from mhc.domain.models import InteractionSource, NewInteraction
    from mhc.services import interactions

    when = start(8) + timedelta(hours=12)
    with db.transaction() as conn:
        model = persons.by_current_name(conn, "model_a")
        assert model is not None
        for key, kind, metadata in (
            (
                "elsewhere-tip",
                InteractionType.TIP_EVENT,
                {"tokens": 50, "actor": OWNER, "elsewhere": True},
            ),
            ("elsewhere-subject", InteractionType.ROOM_SUBJECT_CHANGE, {"elsewhere": True}),
        ):
            interactions.record(
                conn,
                NewInteraction(
                    person_id=model.id,
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=key,
                    occurred_at=when,
                    broadcaster="model_a",
                    metadata=metadata,
                ),
            )
    result = by_kind(insights(db, model.id))
    # Then nothing is hers to the owner, her own action is an active hour, she attended nothing
    assert result["spending"]["value"]["tokens_to_owner"] == 0
    assert result["spending"]["evidence"]["counts"]["owner_tokens_last_30d"] == 410
    assert result["timing"]["value"]["active_hours"] == 1
    loyalty = result["loyalty"]["value"]
    assert loyalty["attended_sessions"] == 0
    assert loyalty["last_visit_at"] is None
    assert loyalty["eligible_sessions"] == 8  # first seen a month before S1
