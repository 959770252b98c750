"""A known history for the analysis tests, built through the production paths.

The owner broadcasts eight Mondays in a row, 20:00-23:00 UTC (21:00-00:00 in Europe/Berlin,
winter time), sessions S1..S8 from 2026-01-05. "Now" is the Tuesday after S8, 12:00 UTC.

- rita (the regular): every session; enters at +10 min, leaves at +70, back at +125, leaves
  at +150; chats [1, 2, 0, 1, 3, 1, 2, 1] times; tips 10 (S1), 25 (S3), 100 (S5, at +65),
  10 (S7), 50 (S8), and outside any session 40 (2025-09-01) and 35 (2025-12-01); buys media
  for 30 in S6; follows in S1, joins the fan club in S2; one private message each way in S3.
  Statbate knows her: 10,000 tokens site-wide, 2,000 in this room, tag spending and tips.
- dan (the drifting regular): S1..S6 (enter +5, chat +6, tip 20 in S2 at +8, leave +35),
  follows in S1, unfollows in S6, misses S7 and S8.
- nia (the newcomer): S8 only (enter +40, tip 5 at +45, chat +46, follows +47, leave +80).
- smk_lover (the excluded whale): S2 (enter +1, tip 5000 at +2, leave +100).
- mo, seen as mo_old in S1 and S2 (enter +50, tip 20 at +55, leave +90) and as mo_new in S3
  (tip 30); the owner merged mo_old into mo_new.
- andy (anonymous tips): S4 (enter +1, 200 tokens anonymously at +3, 15 named at +4, leave
  +20).
- the owner chats in her own room in S1 (never counted as audience).

Sessions S1-S4 exist before their interactions are stored, S5-S8 are created after them (both
ways the attendance summary is kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mhc.db.connection import Database
from mhc.domain.models import (
    InteractionSource,
    InteractionType,
    NewInteraction,
    SessionSource,
    SnapshotSource,
)
from mhc.domain.roles import Role
from mhc.services import interactions, persons, profiles, sessions, snapshots
from mhc.services.profiles import FeedProfile, FeedRoom

OWNER = "the_owner"
TZ = "Europe/Berlin"
S1 = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
LENGTH = timedelta(hours=3)
NOW = datetime(2026, 2, 24, 12, 0, tzinfo=UTC)
STATBATE_AT = NOW - timedelta(hours=1)
RITA_SEPT = datetime(2025, 9, 1, 20, 30, tzinfo=UTC)
RITA_DEC = datetime(2025, 12, 1, 20, 30, tzinfo=UTC)
RITA_CHATS = (1, 2, 0, 1, 3, 1, 2, 1)
RITA_TIPS = {1: (30, 10), 3: (30, 25), 5: (65, 100), 7: (30, 10), 8: (30, 50)}


def start(k: int) -> datetime:
    """Session k's start (1-based)."""
    return S1 + timedelta(days=7 * (k - 1))


def at(k: int, minutes: int) -> datetime:
    return start(k) + timedelta(minutes=minutes)


@dataclass(frozen=True)
class World:
    owner: int
    rita: int
    dan: int
    nia: int
    smk: int
    mo: int
    mo_old: int
    andy: int
    sessions: tuple[int, ...]
    rita_snapshots: dict[SnapshotSource, int]


class _Rows:
    def __init__(self, owner: str, shift: timedelta) -> None:
        self.items: list[NewInteraction] = []
        self.owner = owner
        self.shift = shift

    def add(
        self,
        person: int,
        kind: InteractionType,
        when: datetime,
        *,
        tokens: int | None = None,
        anonymous: bool = False,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        meta = dict(metadata or {})
        when = when + self.shift
        if tokens is not None:
            meta["tokens"] = tokens
        if anonymous:
            meta["isAnon"] = True
        self.items.append(
            NewInteraction(
                person_id=person,
                type=kind,
                source=InteractionSource.CB_EVENTS,
                external_id=f"w-{len(self.items)}-{kind.value}-{when.timestamp()}",
                occurred_at=when,
                broadcaster=self.owner,
                content=content,
                metadata=meta,
            )
        )


def build(db: Database, *, owner_name: str = OWNER, shift: timedelta = timedelta(0)) -> World:
    """The history above; `shift` moves every instant (the e2e walk brings it up to now, in
    whole weeks), `owner_name` is whose room it happens in."""
    with db.transaction() as conn:

        def person(name: str, first_seen: datetime, role: Role = Role.VIEWER) -> int:
            return persons.find_or_create(conn, name, role=role, seen_at=first_seen + shift)[0].id

        owner = person(owner_name, S1 - timedelta(days=200), Role.MODEL)
        rita = person("rita", RITA_SEPT - timedelta(minutes=30))
        dan = person("dan", start(1) - timedelta(minutes=30))
        nia = person("nia", at(8, 40))
        smk = person("smk_lover", at(2, 1))
        mo_old = person("mo_old", start(1) - timedelta(minutes=10))
        mo = person("mo_new", start(3) - timedelta(minutes=5))
        andy = person("andy", start(4) - timedelta(minutes=2))
        model_a = person("model_a", S1 - timedelta(days=30), Role.MODEL)
        model_b = person("model_b", S1 - timedelta(days=30), Role.MODEL)
        profiles.record_feed(
            conn,
            [
                FeedRoom(_feed(model_a, ["feet", "lovense"]), None),
                FeedRoom(_feed(model_b, ["asian"]), None),
            ],
            seen_at=S1 - timedelta(days=1) + shift,
        )
    persons.merge(db, mo, mo_old, clock=lambda: NOW - timedelta(days=1) + shift)

    early, late = _Rows(owner_name, shift), _Rows(owner_name, shift)
    early.add(rita, InteractionType.TIP_EVENT, RITA_SEPT, tokens=40)
    early.add(rita, InteractionType.TIP_EVENT, RITA_DEC, tokens=35)
    for k in range(1, 9):
        rows = early if k <= 4 else late
        rows.add(rita, InteractionType.USER_ENTER, at(k, 10))
        for n in range(RITA_CHATS[k - 1]):
            rows.add(rita, InteractionType.CHAT_MESSAGE, at(k, 20 + n), content=f"hi {k}.{n}")
        if k in RITA_TIPS:
            minute, tokens = RITA_TIPS[k]
            rows.add(rita, InteractionType.TIP_EVENT, at(k, minute), tokens=tokens)
        rows.add(rita, InteractionType.USER_LEAVE, at(k, 70))
        rows.add(rita, InteractionType.USER_ENTER, at(k, 125))
        rows.add(rita, InteractionType.USER_LEAVE, at(k, 150))
        if k <= 6:
            rows.add(dan, InteractionType.USER_ENTER, at(k, 5))
            rows.add(dan, InteractionType.CHAT_MESSAGE, at(k, 6), content="yo")
            rows.add(dan, InteractionType.USER_LEAVE, at(k, 35))
    early.add(rita, InteractionType.FOLLOW, at(1, 15))
    early.add(rita, InteractionType.FANCLUB_JOIN, at(2, 15))
    early.add(
        rita,
        InteractionType.PRIVATE_MESSAGE,
        at(3, 40),
        content="psst",
        metadata={"fromUser": "rita", "toUser": owner_name, "direction": "incoming"},
    )
    early.add(
        rita,
        InteractionType.PRIVATE_MESSAGE,
        at(3, 41),
        content="hey you",
        metadata={
            "fromUser": owner_name,
            "toUser": "rita",
            "direction": "outgoing",
            "actor": owner_name,
        },
    )
    late.add(
        rita,
        InteractionType.MEDIA_PURCHASE,
        at(6, 40),
        tokens=30,
        metadata={"media": {"id": "9", "type": "photos", "tokens": 30}},
    )
    early.add(dan, InteractionType.FOLLOW, at(1, 7))
    early.add(dan, InteractionType.TIP_EVENT, at(2, 8), tokens=20)
    late.add(dan, InteractionType.UNFOLLOW, at(6, 30))
    late.add(nia, InteractionType.USER_ENTER, at(8, 40))
    late.add(nia, InteractionType.TIP_EVENT, at(8, 45), tokens=5)
    late.add(nia, InteractionType.CHAT_MESSAGE, at(8, 46), content="first time here")
    late.add(nia, InteractionType.FOLLOW, at(8, 47))
    late.add(nia, InteractionType.USER_LEAVE, at(8, 80))
    early.add(smk, InteractionType.USER_ENTER, at(2, 1))
    early.add(smk, InteractionType.TIP_EVENT, at(2, 2), tokens=5000)
    early.add(smk, InteractionType.USER_LEAVE, at(2, 100))
    for k, row in ((1, mo_old), (2, mo_old), (3, mo)):
        early.add(row, InteractionType.USER_ENTER, at(k, 50))
        early.add(row, InteractionType.TIP_EVENT, at(k, 55), tokens=20 if k < 3 else 30)
        early.add(row, InteractionType.USER_LEAVE, at(k, 90))
    early.add(andy, InteractionType.USER_ENTER, at(4, 1))
    early.add(andy, InteractionType.TIP_EVENT, at(4, 3), tokens=200, anonymous=True)
    early.add(andy, InteractionType.TIP_EVENT, at(4, 4), tokens=15)
    early.add(andy, InteractionType.USER_LEAVE, at(4, 20))
    early.add(owner, InteractionType.CHAT_MESSAGE, at(1, 12), content="welcome!")

    ids = []
    with db.transaction() as conn:
        for k in range(1, 5):
            ids.append(sessions.open_segment(conn, start(k) + shift, SessionSource.CB_EVENTS).id)
            sessions.close_segment(conn, start(k) + shift + LENGTH)
        for item in early.items:  # one statement per row
            interactions.record(conn, item)
    with db.transaction() as conn:
        interactions.append_fresh(conn, late.items)  # one COPY for all
        for k in range(5, 9):
            ids.append(sessions.open_segment(conn, start(k) + shift, SessionSource.CB_EVENTS).id)
            sessions.close_segment(conn, start(k) + shift + LENGTH)
    return World(
        owner=owner,
        rita=rita,
        dan=dan,
        nia=nia,
        smk=smk,
        mo=mo,
        mo_old=mo_old,
        andy=andy,
        sessions=tuple(ids),
        rita_snapshots=_statbate(db, rita, STATBATE_AT + shift),
    )


def _feed(person_id: int, tags: list[str]) -> FeedProfile:
    return FeedProfile(
        person_id=person_id,
        display_name=None,
        gender="f",
        age=None,
        location=None,
        country=None,
        languages=None,
        tags=tags,
        room_subject=None,
        followers=100,
        image_url=None,
        current_show="public",
        num_users=10,
    )


def _statbate(db: Database, rita: int, captured_at: datetime) -> dict[SnapshotSource, int]:
    """What Statbate said of rita an hour ago (as the refresh job stores it)."""
    from mhc.services import statbate_analysis

    member = {
        "did": 4242,
        "first_tip_date": "2023-01-01T00:00:00+00:00",
        "last_tip_date": "2026-02-23T20:30:00+00:00",
        "all_time_tokens": 10000,
        "models_messaged_2weeks_list": ["model_a", "model_c"],
    }
    bodies = {
        SnapshotSource.STATBATE_MEMBER_ON_MODEL: {
            "data": {"total": {"tokens": 2000, "tips": 40, "usd": 100.0}, "daily_spending": []},
            "meta": {"range": ["2023-01-01 00:00:00", "2026-02-24 11:00:00"]},
        },
        SnapshotSource.STATBATE_TAG_SPENDING: {
            "data": [
                {"tag": "feet", "total_tokens": 300, "models_count": 6},
                {"tag": "asian", "total_tokens": 100, "models_count": 2},
            ],
            "meta": {},
        },
        SnapshotSource.STATBATE_MEMBER_ACTIVITY: {
            "data": {
                "hourly": [{"hour": 21, "tip_count": 30}, {"hour": 14, "tip_count": 10}],
                "daily": [{"day_of_week": 1, "tip_count": 25}, {"day_of_week": 6, "tip_count": 15}],
            },
            "meta": {"timezone": "Europe/Berlin"},
        },
        SnapshotSource.STATBATE_MEMBER_TIPS: {
            "data": [
                {"time": "2026-02-20T10:00:00+00:00", "model": "model_a", "tokens": 60},
                {"time": "2026-02-19T10:00:00+00:00", "model": "model_a", "tokens": 40},
                {"time": "2026-02-18T10:00:00+00:00", "model": "model_b", "tokens": 50},
            ],
            "meta": {},
        },
    }
    with db.transaction() as conn:
        ids = {
            SnapshotSource.STATBATE_MEMBER: snapshots.append(
                conn,
                rita,
                SnapshotSource.STATBATE_MEMBER,
                captured_at=captured_at,
                raw_payload=member,
                normalized_metrics=member,
            ).id
        }
        fetched = [statbate_analysis.AnalysisFetch(source, body) for source, body in bodies.items()]
        stored = statbate_analysis.store_member_analysis(
            conn, rita, fetched, captured_at=captured_at
        )
        ids.update(zip(bodies, stored, strict=True))
    return ids
