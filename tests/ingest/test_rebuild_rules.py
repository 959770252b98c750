from datetime import UTC, datetime, timedelta

from mhc.domain.sessions import sessions_from_signals

T = datetime(2026, 3, 1, 20, tzinfo=UTC)
GAP = timedelta(minutes=30)


def m(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def test_segments_closer_than_the_gap_merge() -> None:
    signals = [(m(0), True), (m(60), False), (m(80), True), (m(120), False), (m(200), True)]
    assert sessions_from_signals(signals, GAP) == [(m(0), m(120)), (m(200), None)]


def test_repeated_starts_and_stray_stops_are_ignored() -> None:
    signals = [(m(0), False), (m(5), True), (m(6), True), (m(10), False), (m(11), False)]
    assert sessions_from_signals(signals, GAP) == [(m(5), m(10))]
