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
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.analysis.presence import peak_viewers
from mhc.domain.clock import Clock, utc_now
from mhc.domain.live_room import MemoryFacts, PresenceEvent, present, why_they_matter
from mhc.domain.models import SessionStats, StreamSession
from mhc.services import sessions
from mhc.store import live_room as store
from mhc.store.live_room import PersonBrief, PresenceRow, Totals

NOTES_SHOWN = 2
EXCLUDED_LIST = "Excluded"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class WatchlistRef(_Frozen):
    id: int
    name: str


class AttributeRef(_Frozen):
    key: str
    value: str
    confidence: str


class RoomPerson(_Frozen):
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
    """The session so far: the session figures the dashboard shows, and the room's own."""

    stats: SessionStats
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
        rows = store.presence(conn, owner, since=start, until=max(now, start))
        skip = {r.person_id for r in rows if r.is_excluded or r.username == owner}
        hidden = {r.person_id for r in rows if r.is_excluded and r.username != owner}
        here = present(
            (_event(r) for r in rows if r.person_id not in skip), session_start=start, now=now
        )
        hidden_here = len(present((_event(r) for r in rows if r.person_id in hidden), start, now))
        ids = [cast(int, p.person) for p in here]
        names = {r.person_id: r.username for r in rows}
        totals = store.totals(conn, owner, ids)
        previous = store.previous_visits(conn, owner, dict.fromkeys(ids, start))
        notes = store.notes(conn, ids, per_person=NOTES_SHOWN)
        lists = store.watchlists(conn, ids)
        attributes = store.attributes(conn, ids)
        joined = store.joined_fan_club(conn, ids)
        payments = store.session_payments(conn, owner, since=start, until=max(now, start))
        stats = sessions.stats_of(conn, session, owner=owner, now=now)
    people = []
    for here_now in here:
        pid = cast(int, here_now.person)
        total = totals.get(pid, Totals(0, 0))
        flags = dict(here_now.flags)
        fan_club = flags.get("inFanclub") is True or pid in joined
        on_lists = [WatchlistRef(id=i, name=n) for i, n in lists.get(pid, [])]
        facts = MemoryFacts(
            lifetime_tokens=total.tokens,
            tokens_this_session=payments.by_person.get(pid, 0),
            visits=total.visits,
            previous_visit_at=previous.get(pid),
            watchlists=[w.name for w in on_lists if w.name != EXCLUDED_LIST],
            fan_club=fan_club,
            is_mod=flags.get("isMod") is True,
            latest_note=next(iter(notes.get(pid, [])), None),
        )
        people.append(
            RoomPerson(
                person_id=pid,
                username=names[pid],
                arrived_at=here_now.arrived_at,
                arrival_event_id=here_now.arrival_event_id,
                flags=flags,
                lifetime_tokens=total.tokens,
                tokens_this_session=facts.tokens_this_session,
                visits=total.visits,
                last_visit_at=previous.get(pid),
                notes=notes.get(pid, []),
                watchlists=on_lists,
                attributes=[
                    AttributeRef(key=k, value=v, confidence=c)
                    for k, v, c in attributes.get(pid, [])
                ],
                fan_club=fan_club,
                why=why_they_matter(facts, arrived_at=here_now.arrived_at),
            )
        )
    peak = peak_viewers(_by_person(rows, skip), start, max(now, start))
    return LiveRoom(
        owner=owner,
        live=True,
        checked_at=now,
        session=session,
        totals=RoomTotals(
            stats=stats,
            present=len(people),
            hidden=hidden_here,
            peak=peak.count,
            peak_at=peak.at,
            anonymous_tips=payments.anonymous_tips,
            anonymous_tokens=payments.anonymous_tokens,
        ),
        people=people,
    )


def _event(row: PresenceRow) -> PresenceEvent:
    return PresenceEvent(row.person_id, row.at, row.entered, row.event_id, row.flags)


def _by_person(
    rows: Sequence[PresenceRow], skip: set[int]
) -> dict[Hashable, list[tuple[datetime, bool]]]:
    found: dict[Hashable, list[tuple[datetime, bool]]] = {}
    for row in rows:
        if row.person_id not in skip:
            found.setdefault(row.person_id, []).append((row.at, row.entered))
    return found


# -- steps: what alerts read of people as they arrive ----------------------------------------
def presence_of(
    conn: Conn, owner: str, person_ids: Sequence[int], *, since: datetime, until: datetime
) -> list[PresenceRow]:
    """These people's enters and leaves in the owner's room in [since, until], feed order."""
    return store.presence(conn, owner, since=since, until=until, person_ids=person_ids)


def briefs(conn: Conn, person_ids: Sequence[int]) -> dict[int, PersonBrief]:
    return store.persons(conn, person_ids)


def lifetime(conn: Conn, owner: str, person_ids: Sequence[int]) -> dict[int, Totals]:
    return store.totals(conn, owner, person_ids)


def previous_visits(conn: Conn, owner: str, before: Mapping[int, datetime]) -> dict[int, datetime]:
    return store.previous_visits(conn, owner, before)


def watchlist_ids(conn: Conn, person_ids: Sequence[int]) -> dict[int, set[int]]:
    return {p: {i for i, _ in lists} for p, lists in store.watchlists(conn, person_ids).items()}


def recent_tips(
    conn: Conn, owner: str, person_ids: Sequence[int], *, since: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    return store.recent_tips(conn, owner, person_ids, since=since)


def attendance(
    conn: Conn, owner: str, person_id: int, *, first_seen: datetime, before: datetime
) -> tuple[int, int]:
    return store.attendance(conn, owner, person_id, first_seen=first_seen, before=before)
