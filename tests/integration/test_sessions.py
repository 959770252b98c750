from datetime import UTC, datetime, timedelta

from helpers import person_id
from mhc.db.connection import Database
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.services import interactions, sessions

T0 = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
OWNER = "the_owner"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_start_end_current_and_merge_gap(db: Database) -> None:
    clock = Clock(T0)
    first = sessions.start(db, clock=clock)
    assert sessions.start(db, clock=clock).id == first.id  # starting twice is harmless
    clock.now = T0 + timedelta(hours=1)
    ended = sessions.end(db, clock=clock)
    assert ended is not None
    assert ended.ended_at == T0 + timedelta(hours=1)
    assert sessions.current(db, owner=OWNER, clock=clock).live is False
    assert sessions.end(db, clock=clock) is None  # ending twice is harmless
    # A segment 20 minutes later continues the same session
    clock.now = T0 + timedelta(hours=1, minutes=20)
    resumed = sessions.start(db, clock=clock)
    assert resumed.id == first.id
    assert resumed.ended_at is None
    sessions.end(db, clock=clock)
    # One 31 minutes after the end is a new session
    clock.now = T0 + timedelta(hours=1, minutes=51)
    second = sessions.start(db, clock=clock)
    assert second.id != first.id
    assert [s.id for s in sessions.list_recent(db)] == [second.id, first.id]


def test_stats_count_the_owners_room_during_the_session(db: Database) -> None:
    clock = Clock(T0)
    session = sessions.start(db, clock=clock)
    viewer = person_id(db, "viewer_a", at=T0)
    other = person_id(db, "viewer_b", at=T0)
    excluded = person_id(db, "smk_lover", at=T0)
    owner = person_id(db, OWNER, at=T0)

    def add(
        pid: int, n: int, kind: InteractionType, room: str = OWNER, tokens: int | None = None
    ) -> None:
        with db.transaction() as conn:
            interactions.record(
                conn,
                NewInteraction(
                    person_id=pid,
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"e{n}",
                    occurred_at=T0 + timedelta(minutes=n),
                    broadcaster=room,
                    metadata={"tokens": tokens} if tokens else {},
                ),
            )

    add(viewer, 1, InteractionType.USER_ENTER)
    add(viewer, 2, InteractionType.TIP_EVENT, tokens=25)
    add(other, 3, InteractionType.TIP_EVENT, tokens=100)
    add(excluded, 4, InteractionType.TIP_EVENT, tokens=999)  # never counted
    add(owner, 5, InteractionType.CHAT_MESSAGE)  # the owner is not a visitor
    add(viewer, 6, InteractionType.TIP_EVENT, room="someone_else", tokens=50)  # elsewhere
    add(viewer, 200, InteractionType.TIP_EVENT, tokens=7)  # after the session
    clock.now = T0 + timedelta(minutes=90)
    sessions.end(db, clock=clock)
    stats = sessions.detail(db, session.id, owner=OWNER, clock=clock).stats
    assert stats.model_dump() == {
        "session_id": session.id,
        "duration_seconds": 5400,
        "interactions": 4,
        "tips": 2,
        "tokens": 125,
        "distinct_visitors": 2,
    }
