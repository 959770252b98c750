"""The live room: who is in the owner's room now and the memory that matters in the moment,
with the session's running totals (rules in `mhc.domain.live_room`).

Read only. Presence comes from the userEnter/userLeave events since the open session began
(none open: the room is empty and `live` is false). Each person is read as their group
(merges), with the Events API's user flags of their latest event, lifetime tokens to the
owner from every source (live tips, imported token history, shows, media; each payment
once), visits, their previous visit, notes, watchlists, attributes and fan club. The owner's
own events never put her in her audience; excluded persons are not listed (only counted in
`hidden`); anonymous tips count in the totals and never under a name.

The steps below are also what alerts read of a person when they arrive.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.analysis.presence import peak_viewers
from mhc.domain.clock import Clock, utc_now
from mhc.domain.live_room import MemoryFacts, Present, present, why_they_matter
from mhc.domain.models import StreamSession
from mhc.domain.sessions import duration_seconds
from mhc.services import sessions
from mhc.store import live_room as store
from mhc.store.live_room import Known, Memory, PersonBrief

NOTES_SHOWN = 2
EXCLUDED_LIST = "Excluded"


class _Frozen(BaseModel):
    # Built on first use: the events poller imports these modules and never builds a view.
    model_config = ConfigDict(frozen=True, defer_build=True)


# The people of the room are plain dataclasses (pydantic serializes and documents them as
# models): 500 of them are built every 2 seconds, several times faster than model_construct.
@dataclass(frozen=True, slots=True)
class WatchlistRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AttributeRef:
    key: str
    value: str
    confidence: str


@dataclass(frozen=True, slots=True)
class RoomPerson:
    person_id: int
    username: str
    #: When their current stay began, and the enter event that began it.
    arrived_at: datetime
    arrival_event_id: str
    #: The Events API's user flags on their latest enter/leave (inFanclub, isMod, hasTokens,
    #: recentTips, gender, subgender, isFollower).
    flags: dict[str, Any]
    #: Tokens to the owner from every source, each payment once (anonymous tips never).
    lifetime_tokens: int
    tokens_this_session: int
    #: Times they entered the owner's room (this stay included).
    visits: int
    #: Their latest visit before this session (None: their first).
    last_visit_at: datetime | None
    notes: list[str]
    watchlists: list[WatchlistRef]
    attributes: list[AttributeRef]
    fan_club: bool
    why: str


class RoomTotals(_Frozen):
    """The session so far, from its enters, leaves and payments (the dashboard's session
    figures count every interaction and cost a scan of the whole session: not every 2 s)."""

    duration_seconds: int
    #: Tips and media purchases, anonymous ones included (excluded persons left out).
    tokens: int
    tips: int
    #: People who came in this session (the owner and excluded persons not counted).
    entered: int
    #: Listed people (the owner and excluded persons are not).
    present: int
    #: Excluded persons in the room (never listed).
    hidden: int
    #: Most people present at once so far (excluded persons and the owner not counted).
    peak: int
    peak_at: datetime | None
    #: Anonymous tips: counted in the tokens, never under a name.
    anonymous_tips: int
    anonymous_tokens: int


class LiveRoom(_Frozen):
    owner: str
    live: bool
    checked_at: datetime
    session: StreamSession | None
    totals: RoomTotals | None
    #: Newest arrivals first.
    people: list[RoomPerson]


def room(db: TransactionSource, *, owner: str, clock: Clock = utc_now) -> LiveRoom:
    """Who is in the owner's room now, newest arrivals first (see the module docstring)."""
    now = clock()
    with db.transaction() as conn:
        session = sessions.open_session(conn)
        if session is None:
            return LiveRoom(
                owner=owner, live=False, checked_at=now, session=None, totals=None, people=[]
            )
        start = session.started_at
        until = max(now, start)
        read = store.room(conn, owner, since=start, until=until, notes=NOTES_SHOWN)
    here = present(read.listed, session_start=start, now=now)
    people = [_person(here_now, read.people[cast(int, here_now.person)]) for here_now in here]
    by_person: dict[Hashable, list[tuple[datetime, bool]]] = {}
    for event in read.listed:
        by_person.setdefault(event.person, []).append((event.at, event.entered))
    peak = peak_viewers(by_person, start, until)
    totals = read.totals
    # Built from typed parts: validating 500 people again would cost more than reading them.
    return LiveRoom.model_construct(
        owner=owner,
        live=True,
        checked_at=now,
        session=session,
        totals=RoomTotals.model_construct(
            duration_seconds=duration_seconds(start, None, now),
            tokens=totals.tokens,
            tips=totals.tips,
            entered=len({e.person for e in read.listed if e.entered}),
            present=len(people),
            hidden=len(present(read.excluded, start, now)),
            peak=peak.count,
            peak_at=peak.at,
            anonymous_tips=totals.anonymous_tips,
            anonymous_tokens=totals.anonymous_tokens,
        ),
        people=people,
    )


def _person(here_now: Present, known: Known) -> RoomPerson:
    flags = dict(here_now.flags)
    fan_club = flags.get("inFanclub") is True or known.fan_club_joined
    on_lists = [WatchlistRef(id=i, name=n) for i, n in known.watchlists]
    facts = MemoryFacts(
        lifetime_tokens=known.tokens,
        tokens_this_session=known.session_tokens,
        visits=known.visits,
        previous_visit_at=known.previous_visit_at,
        watchlists=[w.name for w in on_lists if w.name != EXCLUDED_LIST],
        fan_club=fan_club,
        is_mod=flags.get("isMod") is True,
        latest_note=next(iter(known.notes), None),
    )
    return RoomPerson(
        person_id=cast(int, here_now.person),
        username=known.username,
        arrived_at=here_now.arrived_at,
        arrival_event_id=here_now.arrival_event_id,
        flags=flags,
        lifetime_tokens=known.tokens,
        tokens_this_session=known.session_tokens,
        visits=known.visits,
        last_visit_at=known.previous_visit_at,
        notes=list(known.notes),
        watchlists=on_lists,
        attributes=[AttributeRef(key=k, value=v, confidence=c) for k, v, c in known.attributes],
        fan_club=fan_club,
        why=why_they_matter(facts, arrived_at=here_now.arrived_at),
    )


# -- steps: what alerts read of people as they arrive ----------------------------------------
def previous_presence(
    conn: Conn, owner: str, enters: Sequence[tuple[str, int]], *, since: datetime
) -> dict[str, tuple[datetime, bool]]:
    """The enter or leave before each (event id, person) enter, as (time, entered)."""
    return store.previous_presence(conn, owner, enters, since=since)


def briefs(conn: Conn, person_ids: Sequence[int]) -> dict[int, PersonBrief]:
    return store.persons(conn, person_ids)


def memory_of(conn: Conn, owner: str, before: Mapping[int, datetime]) -> dict[int, Memory]:
    """Lifetime tokens, visits, previous visit (before each person's time), watchlists ..."""
    return store.memory(conn, owner, before, notes=0)


def recent_tips(
    conn: Conn, owner: str, person_ids: Sequence[int], *, since: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    return store.recent_tips(conn, owner, person_ids, since=since)


def attendance(
    conn: Conn, owner: str, person_id: int, *, first_seen: datetime, before: datetime
) -> tuple[int, int]:
    return store.attendance(conn, owner, person_id, first_seen=first_seen, before=before)
