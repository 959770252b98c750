"""Who is in the room, what is an arrival, why a person matters (pure rules)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from mhc.domain.analysis.presence import pair_stays
from mhc.domain.live_room import (
    MemoryFacts,
    PresenceEvent,
    is_arrival,
    present,
    why_they_matter,
)

START = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def enter(person: str, minutes: float, event_id: str = "", **flags: object) -> PresenceEvent:
    return PresenceEvent(person, at(minutes), True, event_id or f"{person}-in-{minutes}", flags)


def leave(person: str, minutes: float) -> PresenceEvent:
    return PresenceEvent(person, at(minutes), False, f"{person}-out-{minutes}")


def test_present_people_newest_arrival_first_with_their_latest_flags() -> None:
    events = [
        enter("alice", 1),
        enter("bob", 2),
        enter("carol", 3),
        leave("bob", 4),
        enter("alice", 5, inFanclub=True),  # a second tab: ignored, but the flags are news
    ]
    room = present(events, START, at(10))
    assert [(p.person, p.arrived_at) for p in room] == [("carol", at(3)), ("alice", at(1))]
    assert room[1].arrival_event_id == "alice-in-1"
    assert room[1].flags == {"inFanclub": True}


def test_a_reconnect_keeps_the_arrival_and_a_later_return_is_a_new_one() -> None:
    reconnect = [enter("alice", 1), leave("alice", 5), enter("alice", 5)]
    (stay,) = present(reconnect, START, at(10))
    assert (stay.arrived_at, stay.arrival_event_id) == (at(1), "alice-in-1")
    back = [enter("alice", 1), leave("alice", 5), enter("alice", 7)]
    (stay,) = present(back, START, at(10))
    assert (stay.arrived_at, stay.arrival_event_id) == (at(7), "alice-in-7")


def test_a_leave_without_enter_and_orphan_leaves_change_nothing() -> None:
    assert present([leave("alice", 1)], START, at(10)) == []
    events = [leave("bob", 1), enter("bob", 2), leave("bob", 3), leave("bob", 3.5), enter("bob", 4)]
    (stay,) = present(events, START, at(10))
    assert stay.arrived_at == at(4)


def test_present_agrees_with_the_pairing_rule_on_random_sequences() -> None:
    rng = random.Random(18)
    for _ in range(500):
        events = sorted(
            (
                PresenceEvent("p", at(rng.choice(range(20))), rng.random() < 0.5, str(n))
                for n in range(rng.randint(0, 8))
            ),
            key=lambda e: e.at,
        )
        stays = pair_stays(((e.at, e.entered) for e in events), START, at(30))
        expected = bool(stays.stays) and not stays.stays[-1].left
        room = present(events, START, at(30))
        assert bool(room) == expected, events
        if room:
            # The arrival is where the open stay starts, or the earlier start it continues
            assert room[0].arrived_at <= stays.stays[-1].start


def test_present_exactly_when_the_latest_event_is_an_enter() -> None:
    # The room's SQL (`store.live_room`) reads the memory of whoever's latest enter/leave in
    # feed order is an enter: the same people `present` finds.
    rng = random.Random(105)
    for _ in range(500):
        events = [
            PresenceEvent(rng.choice("abc"), at(rng.choice(range(10))), rng.random() < 0.6, str(n))
            for n in range(rng.randint(0, 12))
        ]
        events.sort(key=lambda e: e.at)  # feed order: by time, ties as delivered
        latest = {e.person: e.entered for e in events}
        here = {p.person for p in present(events, START, at(30))}
        assert here == {person for person, entered in latest.items() if entered}, events


def test_an_enter_is_an_arrival_unless_already_present() -> None:
    session = at(0)
    assert is_arrival(None, at(5), session_start=session)
    assert not is_arrival((at(2), True), at(5), session_start=session)  # a second tab
    assert not is_arrival((at(5), False), at(5), session_start=session)  # a reconnect
    assert is_arrival((at(3), False), at(5), session_start=session)  # came back
    # An enter left open by the previous broadcast is not a stay in this one
    assert is_arrival((at(-30), True), at(5), session_start=session)
    # Without a session, an enter more than 12 hours old is not a stay either
    assert is_arrival((at(-13 * 60), True), at(5), session_start=None)
    assert not is_arrival((at(-11 * 60), True), at(5), session_start=None)


def test_why_they_matter_says_the_most_telling_first() -> None:
    line = why_they_matter(
        MemoryFacts(
            lifetime_tokens=12_500,
            top_spender_from=10_000,
            watchlists=("Friends",),
            previous_visit_at=at(-30 * 24 * 60),
            fan_club=True,
        ),
        arrived_at=at(0),
    )
    assert line == "On Friends · Top spender: 12,500 tokens to you in all · Back after 30 days"
    assert why_they_matter(MemoryFacts(), arrived_at=at(0)) == "First visit"
    assert (
        why_they_matter(MemoryFacts(visits=3, previous_visit_at=at(-60)), arrived_at=at(0))
        == "3 visits, no tips yet"
    )
    noted = why_they_matter(
        MemoryFacts(visits=1, previous_visit_at=at(-60), latest_note="likes\npurple " * 20),
        arrived_at=at(0),
    )
    assert noted.startswith("Note: likes purple likes")
    assert noted.endswith("…")


def test_ingest_keeps_every_row_the_follow_up_steps_read() -> None:
    # Ingest hands the follow-up steps only rows of FOLLOW_UP_TYPES: a type either step reads
    # and ingest drops would silently never link or alert.
    from mhc.domain.ingest import FOLLOW_UP_TYPES
    from mhc.services import alerts, token_history

    assert token_history._LINKABLE <= FOLLOW_UP_TYPES
    assert set(alerts._TRIGGERS) <= FOLLOW_UP_TYPES
