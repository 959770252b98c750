"""Pure job rules: due-ness and order, priority of persons, broadcast matching, followers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mhc.domain.broadcasts import ObservedBroadcast, plan_broadcasts, same_broadcast
from mhc.domain.collection import Target, contact_window, prioritize
from mhc.domain.errors import InvalidInput
from mhc.domain.jobs import (
    REQUIRED_SETTINGS,
    Job,
    JobKind,
    configured_again,
    due_jobs,
    merge_config,
    next_run,
    parse_interval,
    parse_setting,
)
from mhc.domain.models import JobRun, JobStatus
from mhc.domain.profiles import follower_changes
from mhc.domain.roles import Role

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def job(name: str, kind: JobKind, *, enabled: bool = True, next_at: datetime | None = None) -> Job:
    return Job(
        name=name,
        kind=kind,
        enabled=enabled,
        interval_seconds=300,
        config={},
        last_run_at=None,
        last_status=None,
        next_run_at=next_at,
        created_at=NOW,
        updated_at=NOW,
    )


def test_due_jobs_are_enabled_and_ordered_cheapest_kind_first() -> None:
    jobs = [
        job("profiles", JobKind.PROFILE_COLLECTION),
        job("later", JobKind.CB_STATS, next_at=NOW + timedelta(seconds=1)),
        job("off", JobKind.CB_STATS, enabled=False),
        job("sweep", JobKind.AFFILIATE_SWEEP, next_at=NOW),
        job("stats", JobKind.CB_STATS, next_at=NOW - timedelta(minutes=1)),
    ]
    assert [j.name for j in due_jobs(jobs, NOW)] == ["stats", "sweep", "profiles"]


def run_of(status: JobStatus, counts: dict[str, object]) -> JobRun:
    return JobRun(
        id=1,
        job="cb_stats",
        started_at=NOW,
        finished_at=NOW,
        status=status,
        counts=counts,
        error=None,
    )


def test_a_job_is_configured_again_only_when_it_waited_for_settings_now_all_there() -> None:
    waiting = job("cb_stats", JobKind.CB_STATS).model_copy(
        update={"last_status": JobStatus.NOT_CONFIGURED}
    )
    lacked = run_of(JobStatus.NOT_CONFIGURED, {"missing": ["MHC_STATS_TOKEN"]})
    assert configured_again(waiting, lacked, []) is True
    # still missing something, disabled, or not configured for a reason no setting names
    assert configured_again(waiting, lacked, ["MHC_OWNER_USERNAME"]) is False
    assert configured_again(waiting.model_copy(update={"enabled": False}), lacked, []) is False
    assert configured_again(waiting, run_of(JobStatus.NOT_CONFIGURED, {}), []) is False
    assert configured_again(waiting, None, []) is False
    # a job that already ran since is not "waiting"
    ran = waiting.model_copy(update={"last_status": JobStatus.SUCCEEDED})
    assert configured_again(ran, lacked, []) is False


def test_every_kind_declares_its_required_settings() -> None:
    assert set(REQUIRED_SETTINGS) == set(JobKind)
    assert REQUIRED_SETTINGS[JobKind.CB_STATS] == ("MHC_OWNER_USERNAME", "MHC_STATS_TOKEN")


def test_next_run_waits_for_a_cool_down() -> None:
    assert next_run(NOW, timedelta(minutes=5), None) == NOW + timedelta(minutes=5)
    assert next_run(NOW, timedelta(minutes=5), NOW + timedelta(minutes=17)) == NOW + timedelta(
        minutes=17
    )


def target(pid: int, **kw: object) -> Target:
    values: dict[str, object] = {
        "person_id": pid,
        "username": f"p{pid}",
        "role": Role.VIEWER,
        "watchlisted": False,
        "last_contact_at": None,
        "last_collected_at": None,
    }
    values.update(kw)
    return Target(**values)  # type: ignore[arg-type]


def test_prioritize_watchlist_then_recent_contact_then_stalest() -> None:
    day = timedelta(days=1)
    targets = [
        target(1, last_collected_at=NOW - 10 * day),  # stale other
        target(2, last_contact_at=NOW - day, last_collected_at=NOW - 3 * day),  # recent contact
        target(3, watchlisted=True, last_collected_at=NOW - 2 * day),
        target(4),  # never collected other
        target(5, watchlisted=True, last_collected_at=NOW - timedelta(hours=1)),  # fresh
        target(6, watchlisted=True, retry_after=NOW + day),  # waiting after a 404
        target(7, last_contact_at=NOW - 30 * day),  # old contact = other, never collected
    ]
    order = prioritize(
        targets, now=NOW, recent_since=NOW - timedelta(days=14), fresh_for=day, limit=10
    )
    # never collected first, and among those the more recent contact first
    assert [t.person_id for t in order] == [3, 2, 7, 4, 1]
    assert [
        t.person_id
        for t in prioritize(
            targets, now=NOW, recent_since=NOW - timedelta(days=14), fresh_for=day, limit=2
        )
    ] == [3, 2]


def test_recent_days_zero_means_no_recent_contact_tier() -> None:
    day = timedelta(days=1)
    assert contact_window(NOW, 14) == NOW - 14 * day
    assert contact_window(NOW, 0) is None
    # A contact from yesterday: second tier with a window, same tier as strangers without one
    targets = [
        Target(1, "stranger", Role.UNKNOWN, False, None, NOW - 3 * day),
        Target(2, "yesterday", Role.UNKNOWN, False, NOW - day, NOW - 2 * day),
    ]
    with_window = prioritize(
        targets, now=NOW, recent_since=contact_window(NOW, 14), fresh_for=day, limit=10
    )
    without = prioritize(
        targets, now=NOW, recent_since=contact_window(NOW, 0), fresh_for=day, limit=10
    )
    assert [t.person_id for t in with_window] == [2, 1]
    assert [t.person_id for t in without] == [1, 2]  # longest uncollected first


def test_sightings_within_ten_minutes_are_one_broadcast() -> None:
    assert same_broadcast(NOW, NOW + timedelta(minutes=10))
    assert not same_broadcast(NOW, NOW - timedelta(minutes=10, seconds=1))
    plan = plan_broadcasts(
        [
            ObservedBroadcast(1, NOW + timedelta(minutes=3), NOW + timedelta(hours=1), 5),
            ObservedBroadcast(2, NOW + timedelta(minutes=30), NOW + timedelta(hours=1), None),
            ObservedBroadcast(3, NOW, NOW, 1),
        ],
        {1: (100, NOW), 2: (200, NOW)},
    )
    assert [(bid, s.person_id) for bid, s in plan.extend] == [(100, 1)]
    assert [s.person_id for s in plan.start] == [2, 3]


def test_follower_changes_only_when_known_and_different() -> None:
    assert follower_changes({1: 10, 2: 20, 3: None}, {1: 10, 2: 21, 3: 5, 4: None, 5: 0}) == {
        2: 21,
        3: 5,
        5: 0,
    }


def test_merge_config_is_partial_and_validated() -> None:
    stored = {"limit": 40}
    assert merge_config(JobKind.STATBATE_REFRESH, stored, {"batch_size": 9}) == {
        "limit": 40,
        "batch_size": 9,
    }
    with pytest.raises(InvalidInput, match=r"config\.limit"):
        merge_config(JobKind.STATBATE_REFRESH, stored, {"limit": -1})
    assert stored == {"limit": 40}


def test_cli_values() -> None:
    assert parse_setting("limit=5") == ("limit", 5)
    assert parse_setting('roles=["MODEL"]') == ("roles", ["MODEL"])
    assert parse_setting("name=plain text") == ("name", "plain text")
    assert parse_interval("6h") == 6 * 3600
    assert parse_interval("300") == 300
    with pytest.raises(InvalidInput):
        parse_interval("soon")
