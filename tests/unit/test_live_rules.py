"""Pure live-status rules: the fresh signal observed last, lag taken off, decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mhc.domain.live import feed_signal, live_status, session_signal, stats_signal

NOW = datetime(2026, 6, 1, 22, 0, tzinfo=UTC)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_stats_figures_lag_so_a_stop_event_just_before_the_snapshot_still_wins() -> None:
    # The session ended 3 min ago; the Stats API, fetched 1 min ago, still reports the room
    # online (its figures may be 5 min old)
    stop = session_signal(ago(120), ago(3), manual=False, now=NOW)
    online = stats_signal(ago(1), {"time_online": 117}, now=NOW)
    status = live_status([stop, online])
    assert (status.is_live, status.source) == (False, "stream_sessions")


def test_stats_well_after_a_stop_say_the_owner_is_back() -> None:
    stop = session_signal(ago(120), ago(40), manual=True, now=NOW)
    online = stats_signal(ago(2), {"time_online": 20}, now=NOW)
    status = live_status([stop, online])
    assert (status.is_live, status.since) == (True, ago(22))
    assert stop.detail == "the last session ended (started by hand)"


def stats_fresh(minutes_ago: float) -> bool:
    signal = stats_signal(ago(minutes_ago), {"time_online": 5}, now=NOW)
    assert signal is not None
    return signal.fresh


def test_freshness_windows_are_15_minutes_for_stats_and_10_for_the_feed() -> None:
    assert stats_fresh(15)
    assert not stats_fresh(15.1)
    assert feed_signal(ago(10), now=NOW).fresh
    assert not feed_signal(ago(10.1), now=NOW).fresh


def test_unusable_time_online_values_are_no_signal() -> None:
    for value in (None, True, "95", -2, 9.5):
        assert stats_signal(ago(1), {"time_online": value}, now=NOW) is None
    assert stats_signal(ago(1), {}, now=NOW) is None


def test_an_open_session_never_goes_stale() -> None:
    status = live_status([session_signal(ago(600), None, manual=False, now=NOW)])
    assert (status.is_live, status.since, status.decided_by is not None) == (True, ago(600), True)
