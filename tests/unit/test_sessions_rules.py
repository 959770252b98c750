from datetime import UTC, datetime, timedelta

from mhc.domain.sessions import continues_session, duration_seconds

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
GAP = timedelta(minutes=30)


def test_segment_within_gap_continues() -> None:
    assert continues_session(T0, T0 + timedelta(minutes=29), GAP)
    assert continues_session(T0, T0 + GAP, GAP)


def test_segment_after_gap_is_a_new_session() -> None:
    assert not continues_session(T0, T0 + GAP + timedelta(seconds=1), GAP)
    assert not continues_session(None, T0, GAP)


def test_duration_of_open_session_runs_to_now() -> None:
    assert duration_seconds(T0, None, T0 + timedelta(minutes=5)) == 300
    assert duration_seconds(T0, T0 + timedelta(seconds=90), T0 + timedelta(days=1)) == 90
