"""The summaries migration 0015 keeps with every insert (with 0020's room visits and payments, and
the per-type counts), checked against a reference computed in Python from the raw rows (linked
twins left out), through every way sessions, interactions and twin links arrive; and the SQL
that pairs enters and leaves against the domain's own rule."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from analysis_world import NOW, OWNER, TZ, World, build, start
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mhc.db.connection import Database, connect
from mhc.db.migrate import migrate
from mhc.domain.analysis.presence import pair_stays, peak_viewers
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction, SessionSource
from mhc.services import analysis, interactions, persons, sessions
from mhc.store import alerts as alert_store
from mhc.store import analysis as store
from mhc.store import interactions as store_interactions
from mhc.store import live_room as room_store

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
QUARTER = timedelta(minutes=15)
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)


def quarter(at: datetime) -> datetime:
    return at - (at - EPOCH) % QUARTER


def own(row: dict[str, Any]) -> bool:
    meta = row["metadata"]
    anonymous = row["type"] == "TIP_EVENT" and meta.get("isAnon") is True
    return (
        row["type"] not in ("MANUAL_NOTE", "PROFILE_PASTE")
        and not anonymous
        and "actor" not in meta
        and meta.get("direction") != "outgoing"
    )


def tokens(row: dict[str, Any]) -> int | None:
    value = row["metadata"].get("tokens")
    return value if isinstance(value, int) and value >= 1 else None


PAYMENT_KINDS = {
    "TIP_EVENT": "tip",
    "MEDIA_PURCHASE": "media_purchase",
    "PRIVATE_SHOW": "private_show",
    "SPY_SHOW": "spy_show",
    "OTHER_PAYMENT": "other",
}


def reference(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Every summary, recomputed from interactions and sessions in plain Python."""
    rows = conn.execute(
        "SELECT * FROM interactions i"
        " WHERE NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)"
        " ORDER BY id"
    ).fetchall()
    spans = conn.execute("SELECT id, started_at, ended_at FROM stream_sessions").fetchall()
    payments = set()
    room_quarters: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0, 0])
    person_quarters: dict[tuple[int, str, datetime], list[int]] = defaultdict(lambda: [0, 0])
    quarters: dict[tuple[int, datetime], int] = defaultdict(int)
    rooms: dict[tuple[int, str], list[Any]] = {}
    attendance: dict[tuple[int, str, int], list[Any]] = {}
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        meta, kind, room = row["metadata"], row["type"], row["broadcaster"]
        anonymous = kind == "TIP_EVENT" and meta.get("isAnon") is True
        if not anonymous:  # the per-type counts (0003, 0006, 0007)
            counts[(row["person_id"], kind)] += 1
        paid = tokens(row)
        if kind in PAYMENT_KINDS and paid and "actor" not in meta:
            payments.add(
                (
                    row["id"],
                    row["person_id"],
                    room,
                    row["occurred_at"],
                    PAYMENT_KINDS[kind],
                    paid,
                    anonymous,
                    row["source"],
                )
            )
            if room is not None:
                room_quarters[(room, quarter(row["occurred_at"]))][0] += 1
                room_quarters[(room, quarter(row["occurred_at"]))][1] += paid
                person_quarters[(row["person_id"], room, quarter(row["occurred_at"]))][0] += 1
                person_quarters[(row["person_id"], room, quarter(row["occurred_at"]))][1] += paid
        if own(row):
            quarters[(row["person_id"], quarter(row["occurred_at"]))] += 1
        if room is None:
            continue
        r = rooms.setdefault((row["person_id"], room), [None, None, 0, 0, 0, 0, None, 0, 0, None])
        if own(row):
            r[0] = min(filter(None, [r[0], row["occurred_at"]]))
            r[1] = max(filter(None, [r[1], row["occurred_at"]]))
            r[2] += 1
        if kind == "PRIVATE_MESSAGE":
            r[3 if own(row) else 4] += 1
        if kind == "USER_ENTER":  # visits, and the latest
            r[5] += 1
            r[6] = max(filter(None, [r[6], row["occurred_at"]]))
        if kind in PAYMENT_KINDS and paid and "actor" not in meta and not anonymous:
            r[7] += 1  # the row's own payments to the room, their tokens, the latest
            r[8] += paid
            r[9] = max(filter(None, [r[9], row["occurred_at"]]))
        for span in spans:
            if not (
                span["started_at"] <= row["occurred_at"]
                and (span["ended_at"] is None or row["occurred_at"] < span["ended_at"])
            ):
                continue
            if not (own(row) or anonymous):
                continue
            a = attendance.setdefault((span["id"], room, row["person_id"]), [0] * 12 + [None, None])
            if own(row):
                a[0] += 1
                a[1] += kind in ("CHAT_MESSAGE", "CHAT_IMPORT")
                a[2] += kind == "PRIVATE_MESSAGE"
                a[3] += kind == "TIP_EVENT" and paid is not None
                a[4] += (paid or 0) if kind == "TIP_EVENT" else 0
                a[5] += kind == "MEDIA_PURCHASE"
                a[6] += (paid or 0) if kind == "MEDIA_PURCHASE" else 0
                a[7] += kind == "FOLLOW"
                a[8] += kind == "UNFOLLOW"
                a[12] = min(filter(None, [a[12], row["occurred_at"]]))
                a[13] = max(filter(None, [a[13], row["occurred_at"]]))
            elif paid is not None:
                a[9] += 1
                a[10] += paid
    return {
        "payments": payments,
        "room_quarters": {k: tuple(v) for k, v in room_quarters.items()},
        "person_quarters": {k: tuple(v) for k, v in person_quarters.items()},
        "quarters": dict(quarters),
        "rooms": {k: tuple(v) for k, v in rooms.items()},
        "attendance": {k: (*tuple(v[:11]), v[12], v[13]) for k, v in attendance.items()},
        "counts": dict(counts),
    }


def stored(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    return {
        "payments": {
            (
                r["interaction_id"],
                r["person_id"],
                r["broadcaster"],
                r["occurred_at"],
                r["kind"],
                r["tokens"],
                r["is_anonymous"],
                r["source"],
            )
            for r in conn.execute("SELECT * FROM payments").fetchall()
        },
        "room_quarters": {
            (r["broadcaster"], r["quarter"]): (r["payments"], r["tokens"])
            for r in conn.execute("SELECT * FROM room_payment_quarters").fetchall()
        },
        "person_quarters": {
            (r["person_id"], r["broadcaster"], r["quarter"]): (r["payments"], r["tokens"])
            for r in conn.execute("SELECT * FROM person_payment_quarters").fetchall()
        },
        "quarters": {
            (r["person_id"], r["quarter"]): r["actions"]
            for r in conn.execute("SELECT * FROM person_activity_quarters").fetchall()
        },
        "rooms": {
            (r["person_id"], r["broadcaster"]): (
                r["first_at"],
                r["last_at"],
                r["actions"],
                r["private_messages_in"],
                r["private_messages_out"],
                r["visits"],
                r["last_visit_at"],
                r["payments"],
                r["tokens"],
                r["last_paid_at"],
            )
            for r in conn.execute("SELECT * FROM person_rooms").fetchall()
        },
        "attendance": {
            (r["session_id"], r["broadcaster"], r["person_id"]): (
                r["actions"],
                r["chat_messages"],
                r["private_messages"],
                r["tips"],
                r["tokens"],
                r["media_purchases"],
                r["media_tokens"],
                r["follows"],
                r["unfollows"],
                r["anonymous_tips"],
                r["anonymous_tokens"],
                r["first_at"],
                r["last_at"],
            )
            for r in conn.execute("SELECT * FROM session_attendance").fetchall()
        },
        # (A type whose rows were all linked keeps its row at 0.)
        "counts": {
            (r["person_id"], r["type"]): r["count"]
            for r in conn.execute("SELECT * FROM person_interaction_counts WHERE count > 0")
        },
    }


def assert_summaries_match(db: Database) -> None:
    with db.transaction() as conn:
        expected, actual = reference(conn), stored(conn)
    for name in expected:
        assert actual[name] == expected[name], name


@pytest.fixture
def world(db: Database) -> World:
    return build(db)


def add(
    db: Database, person: int, kind: InteractionType, at: datetime, key: str, **meta: Any
) -> None:
    with db.transaction() as conn:
        interactions.record(
            conn,
            NewInteraction(
                person_id=person,
                type=kind,
                source=InteractionSource.CB_EVENTS,
                external_id=key,
                occurred_at=at,
                broadcaster=OWNER,
                metadata=meta,
            ),
        )


def test_summaries_equal_a_recount_from_the_rows(db: Database, world: World) -> None:
    # Sessions before their rows (S1-S4), rows before their sessions (S5-S8), one statement
    # per row and one COPY: all kept alike.
    assert_summaries_match(db)


def test_a_session_that_starts_ends_reopens_and_is_rebuilt_counts_itself_again(
    db: Database, world: World
) -> None:
    live_start = NOW - timedelta(hours=2)
    with db.transaction() as conn:
        sessions.open_segment(conn, live_start, SessionSource.CB_EVENTS)
    add(db, world.rita, InteractionType.CHAT_MESSAGE, live_start + timedelta(minutes=1), "l1")
    add(db, world.dan, InteractionType.TIP_EVENT, live_start + timedelta(minutes=2), "l2", tokens=7)
    assert_summaries_match(db)
    with db.transaction() as conn:  # ends, then a late row after the end
        sessions.close_segment(conn, live_start + timedelta(minutes=30))
    add(db, world.nia, InteractionType.CHAT_MESSAGE, live_start + timedelta(minutes=40), "l3")
    assert_summaries_match(db)
    with db.transaction() as conn:  # back within the merge gap: the same session again
        sessions.open_segment(conn, live_start + timedelta(minutes=45), SessionSource.CB_EVENTS)
    assert_summaries_match(db)
    with db.transaction() as conn:  # rebuilt from broadcast events: other spans entirely
        sessions.reconcile_event_sessions(
            conn, [(start(1), start(2) + timedelta(hours=3)), (live_start, None)]
        )
    assert_summaries_match(db)


def test_a_session_whose_start_or_end_moves_either_way_counts_the_rows_it_holds(
    db: Database, world: World
) -> None:
    # As a rebuild that keeps ids moves spans in place (both edges, both directions)
    moves = [
        ("started_at", timedelta(minutes=30)),  # later: rows before it leave
        ("started_at", timedelta(minutes=-60)),  # earlier: rows before it come in
        ("ended_at", timedelta(minutes=-100)),  # earlier: rows after it leave
        ("ended_at", timedelta(minutes=40)),  # later again
    ]
    for column, delta in moves:
        with db.transaction() as conn:
            conn.execute(
                f"UPDATE stream_sessions SET {column} = {column} + %s WHERE id = %s",
                (delta, world.sessions[1]),
            )
        assert_summaries_match(db)


def test_a_replayed_older_row_lands_in_its_closed_session(db: Database, world: World) -> None:
    add(db, world.andy, InteractionType.CHAT_MESSAGE, start(2) + timedelta(minutes=3), "late-1")
    assert_summaries_match(db)
    s2 = analysis.session_recap_of(db, world.sessions[1], owner=OWNER, clock=lambda: NOW).recap
    assert s2.figures["unique_visitors"].value == 4  # rita, dan, mo and now andy


def imported(
    db: Database, person: int, kind: InteractionType, at: datetime, key: str, **meta: Any
) -> int:
    """A row as the token-history import stores it (its id)."""
    with db.transaction() as conn:
        row, _ = interactions.record(
            conn,
            NewInteraction(
                person_id=person,
                type=kind,
                source=InteractionSource.TOKEN_HISTORY,
                external_id=key,
                occurred_at=at,
                broadcaster=OWNER,
                metadata=meta,
            ),
        )
    return row.id


def live_id(db: Database, key: str) -> int:
    with db.transaction() as conn:
        row = conn.execute("SELECT id FROM interactions WHERE external_id = %s", (key,)).fetchone()
    assert row is not None
    return int(row["id"])


def link(db: Database, *pairs: tuple[int, int]) -> None:
    with db.transaction() as conn:
        store_interactions.link_twins(conn, [(copy, live, "test") for copy, live in pairs])


def test_an_imported_twin_counts_once_whichever_arrives_first(db: Database, world: World) -> None:
    live_start = NOW - timedelta(hours=2)
    with db.transaction() as conn:
        sessions.open_segment(conn, live_start, SessionSource.CB_EVENTS)
    # Live first, then its imported copy, linked: the copy leaves every summary again
    add(
        db, world.dan, InteractionType.TIP_EVENT, live_start + timedelta(minutes=5), "t1", tokens=40
    )
    copy = imported(
        db, world.dan, InteractionType.TIP_EVENT, live_start + timedelta(minutes=6), "x1", tokens=40
    )
    assert_summaries_match(db)  # counted twice until linked
    link(db, (copy, live_id(db, "t1")))
    assert_summaries_match(db)
    # A copy that is someone's first own action in the room, and a copy of an anonymous tip
    # (never counted under a name), linked together: her first time is read again
    with db.transaction() as conn:
        eve, _ = persons.find_or_create(conn, "eve_early", seen_at=live_start)
    first = imported(
        db, eve.id, InteractionType.TIP_EVENT, live_start + timedelta(minutes=2), "x8", tokens=8
    )
    add(db, eve.id, InteractionType.TIP_EVENT, live_start + timedelta(minutes=3), "t8", tokens=8)
    add(db, eve.id, InteractionType.CHAT_MESSAGE, live_start + timedelta(minutes=9), "t9")
    add(db, world.andy, InteractionType.TIP_EVENT, live_start + timedelta(minutes=4), "ta",
        tokens=60, isAnon=True)  # fmt: skip
    hidden = imported(
        db, world.andy, InteractionType.TIP_EVENT, live_start + timedelta(minutes=4), "xa",
        tokens=60, isAnon=True,
    )  # fmt: skip
    assert_summaries_match(db)
    link(db, (first, live_id(db, "t8")), (hidden, live_id(db, "ta")))
    assert_summaries_match(db)
    # Import first (the session's last own action of Nia's, and her only row in a quarter),
    # then the live row a minute earlier, then the link: first and last times read again
    late = imported(
        db, world.nia, InteractionType.TIP_EVENT, live_start + timedelta(minutes=50), "x2", tokens=9
    )
    add(
        db, world.nia, InteractionType.TIP_EVENT, live_start + timedelta(minutes=49), "t2", tokens=9
    )
    link(db, (late, live_id(db, "t2")))
    assert_summaries_match(db)
    # A copy of Nia's latest enter, linked: her visits and latest visit are read again
    add(db, world.nia, InteractionType.USER_ENTER, live_start + timedelta(minutes=54), "t7")
    entered = imported(
        db, world.nia, InteractionType.USER_ENTER, live_start + timedelta(minutes=55), "x7"
    )
    assert_summaries_match(db)
    link(db, (entered, live_id(db, "t7")))
    assert_summaries_match(db)
    # A copy strictly inside Nia's span leaves her first and last times as they are (they are
    # read again only for a row at one of them)
    add(
        db, world.nia, InteractionType.TIP_EVENT, live_start + timedelta(minutes=30), "t6", tokens=5
    )
    inside = imported(
        db, world.nia, InteractionType.TIP_EVENT, live_start + timedelta(minutes=31), "x6", tokens=5
    )
    link(db, (inside, live_id(db, "t6")))
    assert_summaries_match(db)
    # Someone known only from an imported copy of someone else's live row: their room row goes
    with db.transaction() as conn:
        ghost, _ = persons.find_or_create(conn, "ghost_copy", seen_at=live_start)
    shadow = imported(
        db, ghost.id, InteractionType.TIP_EVENT, live_start + timedelta(minutes=6), "x3", tokens=40
    )
    # Shows the live feed never reports count as payments; several links in one statement
    imported(
        db,
        world.rita,
        InteractionType.PRIVATE_SHOW,
        live_start + timedelta(minutes=20),
        "x4",
        tokens=300,
    )
    add(db, world.rita, InteractionType.CHAT_MESSAGE, live_start + timedelta(minutes=21), "t5")
    chat = imported(
        db, world.rita, InteractionType.CHAT_MESSAGE, live_start + timedelta(minutes=21), "x5"
    )
    link(db, (shadow, live_id(db, "t1")), (chat, live_id(db, "t5")))
    assert_summaries_match(db)
    with db.transaction() as conn:
        rooms = conn.execute(
            "SELECT count(*) AS n FROM person_rooms WHERE person_id = %s", (ghost.id,)
        ).fetchone()
        kinds = conn.execute(
            "SELECT kind, tokens FROM payments WHERE interaction_id = ANY(%s)",
            ([copy, late, shadow],),
        ).fetchall()
    assert rooms is not None
    assert rooms["n"] == 0
    assert kinds == []
    # The session ending and reopening recounts without the twins
    with db.transaction() as conn:
        sessions.close_segment(conn, live_start + timedelta(minutes=30))
    assert_summaries_match(db)
    with db.transaction() as conn:
        sessions.open_segment(conn, live_start + timedelta(minutes=40), SessionSource.CB_EVENTS)
    assert_summaries_match(db)


def test_visits_and_payments_per_room_count_each_own_payment_with_tokens(
    db: Database, world: World
) -> None:
    """The room summary the live room and alerts read (decision 124): enters, and a row's own
    payments with tokens (not a 0-token row, not the owner's `actor` row, not an anonymous
    tip, a linked twin once), read through the survivor, exclusion applied by the reader."""
    late = start(8) + timedelta(hours=4)
    add(db, world.dan, InteractionType.TIP_EVENT, late, "z1", tokens=0)
    add(db, world.dan, InteractionType.TIP_EVENT, late, "z2", tokens=50, actor=OWNER)
    add(db, world.dan, InteractionType.TIP_EVENT, late, "z3", tokens=70, isAnon=True)
    add(db, world.dan, InteractionType.MEDIA_PURCHASE, late, "z4", tokens=12)
    copy = imported(db, world.dan, InteractionType.MEDIA_PURCHASE, late, "z5", tokens=12)
    link(db, (copy, live_id(db, "z4")))
    assert_summaries_match(db)
    with db.transaction() as conn:
        lifetime, excluded = alert_store.lifetime_tokens(conn, OWNER)
        people = [world.rita, world.dan, world.nia, world.smk, world.mo, world.andy]
        known = room_store.memory(conn, OWNER, dict.fromkeys(people, NOW))
    # rita: tips 40+35+10+25+100+10+50, media 30; mo with mo_old's rows: 20+20+30; andy's
    # anonymous 200 left out; dan's 0-token, actor and anonymous rows left out, the copy once
    assert lifetime == {
        world.rita: 300,
        world.dan: 20 + 12,
        world.nia: 5,
        world.smk: 5000,
        world.mo: 70,
        world.andy: 15,
    }
    assert excluded == {world.smk}
    assert {p: (m.visits, m.tokens) for p, m in known.items()} == {
        world.rita: (16, 300),
        world.dan: (6, 32),
        world.nia: (1, 5),
        world.smk: (1, 5000),
        world.mo: (3, 70),
        world.andy: (1, 15),
    }


def test_migration_0020_counts_the_rooms_visits_and_payments_already_stored(
    empty_database_url: str, tmp_path: Path
) -> None:
    # Given a database at 0019 with the known history, rows 0008 counted otherwise (0-token,
    # actor, anonymous) and a linked payment and enter
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in MIGRATIONS.glob("*.sql"):
        if int(path.name[:4]) < 20:
            shutil.copy(path, folder)
    with connect(empty_database_url) as conn:
        migrate(conn, folder)
    db = Database(empty_database_url)
    try:
        world = build(db)
        late = start(8) + timedelta(hours=4)
        add(db, world.dan, InteractionType.TIP_EVENT, late, "z1", tokens=0)
        add(db, world.dan, InteractionType.TIP_EVENT, late, "z2", tokens=50, actor=OWNER)
        add(db, world.dan, InteractionType.TIP_EVENT, late, "z3", tokens=70, isAnon=True)
        add(db, world.dan, InteractionType.USER_ENTER, late, "z4")
        add(db, world.dan, InteractionType.MEDIA_PURCHASE, late, "z5", tokens=12)
        entered = imported(
            db, world.dan, InteractionType.USER_ENTER, late + timedelta(minutes=1), "z6"
        )
        copy = imported(
            db,
            world.dan,
            InteractionType.MEDIA_PURCHASE,
            late + timedelta(minutes=1),
            "z7",
            tokens=12,
        )
        link(db, (entered, live_id(db, "z4")), (copy, live_id(db, "z5")))
        # When 0020 is applied
        shutil.copy(MIGRATIONS / "0020_one_room_summary.sql", folder)
        with connect(empty_database_url) as conn:
            assert [m.version for m in migrate(conn, folder)] == [20]
        # Then the room summary holds them as its trigger would have
        assert_summaries_match(db)
    finally:
        db.close()


def test_excluding_someone_later_takes_them_out_of_every_audience_figure(
    db: Database, world: World
) -> None:
    persons.update(db, world.rita, excluded=True)
    view = analysis.owner_audience(db, owner=OWNER, timezone=TZ, clock=lambda: NOW)
    assert world.rita not in {e.person_id for e in view.audience.top_spenders}
    assert world.rita not in view.names
    # Her tips leave the room's income (the quarter sums stay; hers are taken back out).
    income = {(h.day, h.hour): h.tokens for h in view.audience.best_hours}
    assert income[(0, 21)] == 470 - 35 - 10 - 25 - 10 - 50 - 30  # her Dec, S1, S3, S7, S8, media
    assert income[(0, 22)] == 0
    dan = analysis.person_insights(db, world.dan, owner=OWNER, timezone=TZ, clock=lambda: NOW)
    spending = dan.insights[0]
    assert spending.evidence.counts["owner_tokens_last_30d"] == 410 - 190


def test_unmerging_gives_each_row_its_own_figures_again(db: Database, world: World) -> None:
    persons.unmerge(db, world.mo, world.mo_old, clock=lambda: NOW)
    old = analysis.person_insights(db, world.mo_old, owner=OWNER, timezone=TZ, clock=lambda: NOW)
    new = analysis.person_insights(db, world.mo, owner=OWNER, timezone=TZ, clock=lambda: NOW)
    assert (old.headline.tokens_to_owner, old.headline.sessions_attended) == (40, 2)
    assert (new.headline.tokens_to_owner, new.headline.sessions_attended) == (30, 1)


# -- enter/leave paired in SQL, by the domain's rule ----------------------------------------------
EVENTS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60), st.booleans()), min_size=1, max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, live=st.booleans())
def test_sql_pairing_equals_the_domain_rule(
    db: Database, events: list[tuple[int, bool]], live: bool
) -> None:
    with db.transaction() as conn:
        count = conn.execute("SELECT count(*) AS n FROM stream_sessions").fetchone()
        assert count is not None
        begin = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=int(count["n"]))
        person, _ = persons.find_or_create(conn, f"p{int(count['n'])}", seen_at=begin)
        session = sessions.open_segment(conn, begin, SessionSource.MANUAL)
        end = begin + timedelta(minutes=61)
        if not live:
            sessions.close_segment(conn, end)
        for n, (minute, enter) in enumerate(events):  # the feed's order, ties included
            interactions.record(
                conn,
                NewInteraction(
                    person_id=person.id,
                    type=InteractionType.USER_ENTER if enter else InteractionType.USER_LEAVE,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"{person.id}-{n}",
                    occurred_at=begin + timedelta(minutes=minute),
                    broadcaster=OWNER,
                ),
            )
        span = store.SessionSpan(session.id, begin, None if live else end)
        row = store.presence(conn, [person.id], OWNER, [span], now=end)[session.id]
        peaks = store.session_figures(conn, OWNER, [span], now=end)[session.id]["peak_viewers"]
        if live:
            sessions.close_segment(conn, end)
    timed = [(begin + timedelta(minutes=m), enter) for m, enter in events]
    expected = pair_stays(timed, begin, end).summary()
    got = analysis._presence(span, row, end).paired()
    assert got == expected
    assert peaks == peak_viewers({person.id: timed}, begin, end).count


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(EVENTS, min_size=1, max_size=5))
def test_sql_peak_viewers_equals_the_domain_sweep(
    db: Database, people: list[list[tuple[int, bool]]]
) -> None:
    with db.transaction() as conn:
        count = conn.execute("SELECT count(*) AS n FROM stream_sessions").fetchone()
        assert count is not None
        begin = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=int(count["n"]))
        session = sessions.open_segment(conn, begin, SessionSource.MANUAL)
        end = begin + timedelta(minutes=61)
        sessions.close_segment(conn, end)
        timed: dict[int, list[tuple[datetime, bool]]] = {}
        rows = []
        for i, events in enumerate(people):
            person, _ = persons.find_or_create(conn, f"q{int(count['n'])}_{i}", seen_at=begin)
            timed[person.id] = [(begin + timedelta(minutes=m), enter) for m, enter in events]
            rows += [(m, n, person.id, enter) for n, (m, enter) in enumerate(events)]
        for m, n, pid, enter in sorted(rows):
            interactions.record(
                conn,
                NewInteraction(
                    person_id=pid,
                    type=InteractionType.USER_ENTER if enter else InteractionType.USER_LEAVE,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"{pid}-{n}",
                    occurred_at=begin + timedelta(minutes=m),
                    broadcaster=OWNER,
                ),
            )
        span = store.SessionSpan(session.id, begin, end)
        got = store.session_figures(conn, OWNER, [span], now=end)[session.id]["peak_viewers"]
    assert got == peak_viewers(timed, begin, end).count


# -- the audience's attendance figures in SQL, by the domain's rule --------------------------------
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    went=st.lists(st.booleans(), min_size=1, max_size=14),
    seen_before=st.integers(min_value=0, max_value=14),
    live=st.booleans(),
)
# the edges: exactly 4 gaps (a usual gap still withheld), a regular drifting away, a live
# session not joined yet, someone first seen halfway
@example(went=[True] * 5, seen_before=0, live=False)
@example(went=[True] * 6 + [False] * 3, seen_before=0, live=False)
@example(went=[True] * 7 + [False], seen_before=0, live=True)
@example(went=[False] * 4 + [True] * 6, seen_before=4, live=False)
def test_sql_attendance_figures_equal_the_domain_rule(
    db: Database, went: list[bool], seen_before: int, live: bool
) -> None:
    from mhc.domain.analysis.loyalty import (
        OwnerSession,
        attendance,
        is_at_risk,
        is_regular,
    )
    from mhc.domain.statistics import Distribution

    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n FROM persons").fetchone()
        assert row is not None
        base = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=30 * int(row["n"]))
        spans = []
        for k, _ in enumerate(went):
            start_at = base + timedelta(days=k)
            last = k == len(went) - 1
            end_at = None if live and last else start_at + timedelta(hours=2)
            session = conn.execute(
                "INSERT INTO stream_sessions (started_at, ended_at, source)"
                " VALUES (%s, %s, 'manual') RETURNING id",
                (start_at, end_at),
            ).fetchone()
            assert session is not None
            spans.append((int(session["id"]), start_at, end_at))
        # first seen during session number `seen_before` (clamped): earlier ones are not held
        first_seen = base + timedelta(days=min(seen_before, len(went) - 1), minutes=30)
        first_seen = min([first_seen] + [s for (_, s, _), w in zip(spans, went, strict=True) if w])
        person, _ = persons.find_or_create(conn, f"att{int(row['n'])}", seen_at=first_seen)
        for (sid, start_at, _), attended in zip(spans, went, strict=True):
            if attended:
                interactions.record(
                    conn,
                    NewInteraction(
                        person_id=person.id,
                        type=InteractionType.CHAT_MESSAGE,
                        source=InteractionSource.CB_EVENTS,
                        external_id=f"att-{sid}",
                        occurred_at=max(start_at + timedelta(minutes=45), first_seen),
                        broadcaster=OWNER,
                    ),
                )
        got = store.attendance_stats(
            conn,
            OWNER,
            [person.id],
            session_ids=[sid for sid, _, _ in spans],
            since=base,
            regular_min_sessions=6,
        )[person.id]
        if live:  # only one session may be open at a time: close it for the next example
            conn.execute(
                "UPDATE stream_sessions SET ended_at = started_at + interval '2 hours'"
                " WHERE id = %s",
                (spans[-1][0],),
            )
    record = attendance(
        [
            OwnerSession(started_at=s, ended_at=e, attended=w)
            for (_, s, e), w in zip(spans, went, strict=True)
        ],
        first_seen,
    )
    gaps = Distribution.of(record.gaps)
    usual = gaps.median() if gaps.n >= 5 else None
    regular = is_regular(record.attended, max(record.eligible, record.attended))
    assert (got.attended, got.eligible, got.gaps) == (
        record.attended,
        record.eligible,
        len(record.gaps),
    )
    assert got.usual_gap == usual
    assert got.sessions_since_last_visit == record.sessions_since_last_visit
    assert got.regular == regular
    assert got.at_risk == (
        record.sessions_since_last_visit is not None
        and is_at_risk(regular, usual, record.sessions_since_last_visit)
    )
