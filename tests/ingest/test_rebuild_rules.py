from datetime import UTC, datetime, timedelta
from itertools import pairwise

from mhc.domain.sessions import RebuildPlan, StoredSession, plan_rebuild, sessions_from_signals

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


# -- reconciling rebuilt spans with the stored sessions ------------------------------------------
def stored(sid: int, start: int, end: int | None, source: str = "cb_events") -> StoredSession:
    return StoredSession(sid, m(start), None if end is None else m(end), source == "manual")


def test_unchanged_spans_keep_their_sessions_and_ids() -> None:
    existing = [stored(1, 0, 60), stored(2, 200, None)]
    plan = plan_rebuild(existing, [(m(0), m(60)), (m(200), None)])
    assert plan == RebuildPlan(kept=[1, 2], update=[], insert=[], delete=[], merged=[])


def test_a_longer_gap_merges_two_sessions_into_the_earlier_id() -> None:
    existing = [stored(1, 0, 60), stored(2, 80, 120)]
    plan = plan_rebuild(existing, [(m(0), m(120))])
    assert (plan.update, plan.delete, plan.insert) == ([(1, m(0), m(120))], [2], [])


def test_a_shorter_gap_splits_a_session_keeping_the_first_part_s_id() -> None:
    existing = [stored(1, 0, 120)]
    plan = plan_rebuild(existing, [(m(0), m(60)), (m(80), m(120))])
    assert plan.update == [(1, m(0), m(60))]
    assert plan.insert == [(m(80), m(120))]
    assert plan.delete == []


def test_a_span_overlapping_a_manual_session_merges_into_it() -> None:
    # Given a manual session 21:00-21:30 and a broadcast seen 20:50-23:00 in the events
    existing = [stored(7, 60, 90, "manual")]
    plan = plan_rebuild(existing, [(m(50), m(180))])
    # Then the manual session keeps its id and covers both; no event session is made
    assert plan.update == [(7, m(50), m(180))]
    assert (plan.insert, plan.delete, plan.merged) == ([], [], [(m(50), m(180))])


def test_an_event_session_overlapping_a_manual_one_is_folded_into_it() -> None:
    # Given the double-counting state an old rebuild left: an event session over a manual one
    existing = [stored(3, 60, 120, "manual"), stored(4, 62, 120)]
    plan = plan_rebuild(existing, [(m(62), m(120))])
    assert plan.kept == [3]
    assert (plan.update, plan.delete, plan.insert) == ([], [4], [])


def test_one_broadcast_spanning_two_manual_sessions_makes_them_one() -> None:
    existing = [stored(1, 10, 20, "manual"), stored(2, 40, 50, "manual")]
    plan = plan_rebuild(existing, [(m(0), m(60))])
    assert (plan.update, plan.delete) == ([(1, m(0), m(60))], [2])


def test_an_open_span_and_an_open_manual_session_are_one_open_session() -> None:
    existing = [stored(5, 30, None, "manual")]
    plan = plan_rebuild(existing, [(m(0), m(10)), (m(40), None)])
    assert plan.kept == [5]
    assert plan.insert == [(m(0), m(10))]


def test_manual_sessions_alone_are_never_touched() -> None:
    existing = [stored(1, 0, 10, "manual"), stored(2, 10, 20, "manual"), stored(3, 30, 40)]
    plan = plan_rebuild(existing, [])
    assert (plan.kept, plan.delete) == ([1, 2], [3])


def test_the_result_never_overlaps() -> None:
    existing = [
        stored(1, 0, 30, "manual"),
        stored(2, 25, 70),
        stored(3, 100, 130, "manual"),
        stored(4, 140, None),
    ]
    spans = [(m(20), m(50)), (m(60), m(110)), (m(150), None)]
    plan = plan_rebuild(existing, spans)
    by_id = {s.id: (s.started_at, s.ended_at) for s in existing}
    for sid, start, end in plan.update:
        by_id[sid] = (start, end)
    for sid in plan.delete:
        del by_id[sid]
    result = sorted([*by_id.values(), *plan.insert], key=lambda span: span[0])
    for (_, end), (start, _) in pairwise(result):
        assert end is not None
        assert end <= start
    assert [end for _, end in result].count(None) == 1
