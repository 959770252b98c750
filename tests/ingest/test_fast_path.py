"""The fast path (pages prepared in a second process, one persons statement, interactions COPYed
from pre-formatted rows) against the simple ways in: the same pages must leave the same rows.

The simple one-page-at-a-time path is written here, row by row in plain SQL, from the rules
themselves (decisions 5, 6, 18, 45-48): an independent reading of what the tables must hold.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any

from fakes.events_feed import EPOCH_MS, OWNER, make_events
from mhc.db.connection import Conn, Database
from mhc.domain.events import event_time
from mhc.domain.ingest import SessionSignal, derive
from mhc.domain.models import SessionSource
from mhc.domain.roles import Role, merge_role
from mhc.services import ingest, persons, sessions
from psycopg.types.json import Jsonb

NOW = datetime(2026, 2, 1, tzinfo=UTC)
BEFORE = datetime(2025, 12, 31, tzinfo=UTC)
STEP = timedelta(minutes=10)


# ------------------------------------------------------------------------------ the corpus


def envelope(minutes: float, seq: int, method: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"method": method, "id": f"{EPOCH_MS + int(minutes * 60_000)}-{seq}", "object": obj}


def chat(minutes: float, user: str, text: str = "hi", seq: int = 7) -> dict[str, Any]:
    return envelope(
        minutes,
        seq,
        "chatMessage",
        {"broadcaster": OWNER, "user": {"username": user}, "message": {"message": text}},
    )


def later(event: dict[str, Any], minutes: float) -> dict[str, Any]:
    """The same event `minutes` later (a new id)."""
    ms, seq = event["id"].split("-")
    return {**event, "id": f"{int(ms) + int(minutes * 60_000)}-{seq}"}


def specials() -> list[dict[str, Any]]:
    """Events of the persons set up by `given_people`, and hostile or odd content."""
    nasty = 'tab\there\nnew line \\N back\\slash "quotes" \r ünïcode \U0001f600 \x01'
    return [
        chat(1, "old_handle"),  # a past name: lands on the renamed person
        chat(2, "twin_a"),
        envelope(2.5, 7, "broadcastStart", {"broadcaster": "twin_b", "user": {"username": "x"}}),
        chat(3, "twin_b"),  # the merged-away row's name: lands on the survivor
        chat(4, "stays_model"),  # seen as a viewer, manual role MODEL sticks
        chat(5, "excluded_guy"),
        chat(6, "smk_lover"),  # created excluded, on the Excluded list
        chat(7, "looked_up"),  # first observation of someone only looked up
        chat(8, "viewer_x", nasty),
        envelope(
            9,
            7,
            "tip",
            {
                "broadcaster": OWNER,
                "user": {"username": "shy_tipper"},
                "tip": {"tokens": 50, "isAnon": True, "message": "anon"},
            },
        ),
        envelope(10, 7, "broadcastStart", {"broadcaster": OWNER, "user": {"username": OWNER}}),
        envelope(16, 7, "broadcastStop", {"broadcaster": OWNER, "user": {"username": OWNER}}),
        chat(25, "twin_b"),  # 10+ minutes on: the seen window moves
        chat(26, "old_handle"),
        chat(27, "stays_model"),
        envelope(30, 7, "futureMethod", {"broadcaster": OWNER}),
    ]


ODD: list[Any] = [
    {"no": "id"},
    "garbage",
    [1, 2, 3],
    {"id": "not-a-time", "method": "chatMessage", "object": {}},
    {"id": "", "method": "tip"},
]


def corpus_pages() -> list[list[Any]]:
    """Pages as a feed and a crash-prone poller would deliver them: duplicates inside a page,
    overlapping re-deliveries, a page delivered twice, odd envelopes."""
    base = make_events(900, seed=5)
    events = sorted(
        base + [later(e, 20) for e in base[:400]] + specials(),
        key=lambda e: tuple(int(part) for part in e["id"].split("-")),
    )
    pages: list[list[Any]] = []
    start, sizes = 0, (137, 250, 90, 301)
    while start < len(events):
        size = sizes[len(pages) % len(sizes)]
        page = list(events[start : start + size])
        if len(pages) % 3 == 2:  # a re-delivery overlapping the page before
            page = events[max(0, start - 40) : start] + page
        if len(pages) == 1:  # the same event twice, and another event under a seen id
            page += [page[5], {**page[6], "object": {"changed": True}}]
        if len(pages) == 2:
            page = ODD[:3] + page + ODD[3:]
        pages.append(page)
        start += size
    pages.insert(4, pages[3])  # a whole page delivered again
    pages.append([*ODD, events[10]])  # only things stored already
    return pages


def given_people(db: Database) -> None:
    """A renamed person, two merged ones, a manual role, an excluded person and one only looked
    up, made through the production paths."""
    hour = timedelta(hours=1)
    with db.transaction() as conn:
        persons.find_or_create(conn, "old_handle", did=5, seen_at=BEFORE)
        persons.find_or_create(conn, "new_handle", did=5, seen_at=BEFORE + hour)
        twin_a, _ = persons.find_or_create(conn, "twin_a", role=Role.VIEWER, seen_at=BEFORE)
        twin_b, _ = persons.find_or_create(conn, "twin_b", seen_at=BEFORE)
        manual, _ = persons.find_or_create(conn, "stays_model", seen_at=BEFORE)
        excluded, _ = persons.find_or_create(conn, "excluded_guy", seen_at=BEFORE)
        persons.find_or_create(conn, "looked_up", seen_at=None, at=BEFORE)
    persons.merge(db, twin_a.id, twin_b.id, clock=lambda: BEFORE + 2 * hour)
    persons.update(db, manual.id, change_role=True, role=Role.MODEL)
    persons.update(db, excluded.id, excluded=True)


# ------------------------------------------------------------------------------ the simple path


def stored_key(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        event_id, method = item.get("id"), item.get("method")
        if isinstance(event_id, str) and event_id and isinstance(method, str) and method:
            return event_id, method
    text = json.dumps(item, sort_keys=True, default=str).encode()
    return f"unreadable-{hashlib.sha256(text).hexdigest()[:32]}", "(unreadable)"


def one(conn: Conn, query: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    return conn.execute(query, params).fetchone()  # type: ignore[arg-type]


def simple_page(conn: Conn, page: list[Any], received_at: datetime) -> None:
    """A page in one transaction, row by row."""
    fresh: list[tuple[datetime, Any]] = []
    taken: set[str] = set()
    for item in page:
        event_id, method = stored_key(item)
        if event_id in taken:
            continue
        taken.add(event_id)
        try:
            at = event_time(event_id)
        except ValueError:
            at = received_at
        if one(
            conn,
            """INSERT INTO raw_events (event_id, method, occurred_at, payload)
               VALUES (%s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING RETURNING event_id""",
            (event_id, method, at, Jsonb(item)),
        ):
            fresh.append((at, item))
    derived = [(at, derive(item, OWNER)) for at, item in fresh]

    seen_role: dict[str, Role] = {}
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for at, derivation in derived:
        for sighting in derivation.sightings:
            name = sighting.username
            seen_role[name] = merge_role(seen_role.get(name, Role.UNKNOWN), sighting.role)
            first[name], last[name] = min(first.get(name, at), at), max(last.get(name, at), at)
    names = sorted(seen_role)
    person_of: dict[str, int] = {}
    for name in names:
        row = one(
            conn,
            "SELECT id FROM persons WHERE username = %s AND merged_into IS NULL",
            (name,),
        ) or one(
            conn,
            """SELECT coalesce(r.merged_into, r.id) AS id FROM person_aliases a
               JOIN persons r ON r.id = a.person_id WHERE a.username = %s
               ORDER BY a.valid_to DESC, a.id DESC LIMIT 1""",
            (name,),
        )
        if row is not None:
            person_of[name] = row["id"]
    for person_id in sorted(set(person_of.values())):
        mine = [name for name in names if person_of.get(name) == person_id]
        row = one(
            conn,
            "SELECT role, role_is_manual, first_seen_at, last_seen_at FROM persons WHERE id = %s",
            (person_id,),
        )
        assert row is not None
        held = Role(row["role"])
        saw = reduce(merge_role, (seen_role[name] for name in mine), Role.UNKNOWN)
        role = held if row["role_is_manual"] else merge_role(held, saw)
        f, la = min(first[name] for name in mine), max(last[name] for name in mine)
        if (
            role != held
            or row["first_seen_at"] is None
            or row["last_seen_at"] is None
            or f < row["first_seen_at"]
            or la - row["last_seen_at"] >= STEP
        ):
            conn.execute(
                """UPDATE persons SET role = %s, first_seen_at = least(first_seen_at, %s),
                       last_seen_at = greatest(last_seen_at, %s) WHERE id = %s""",
                (role.value, f, la, person_id),
            )
    for name in names:
        if name not in person_of:
            row = one(
                conn,
                """INSERT INTO persons (username, role, is_excluded, username_since,
                                        first_seen_at, last_seen_at)
                   VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                (
                    name,
                    seen_role[name].value,
                    name == "smk_lover",
                    first[name],
                    first[name],
                    last[name],
                ),
            )
            assert row is not None
            person_of[name] = row["id"]
    for _, derivation in derived:
        item = derivation.interaction
        if item is not None:
            conn.execute(
                """INSERT INTO interactions (person_id, type, source, external_id, occurred_at,
                                            broadcaster, content, metadata)
                   VALUES (%s, %s, 'cb_events', %s, %s, %s, %s, %s)
                   ON CONFLICT (source, external_id) DO NOTHING""",
                (
                    person_of[item.username],
                    item.type.value,
                    item.external_id,
                    item.occurred_at,
                    item.broadcaster,
                    item.content,
                    Jsonb(item.metadata),
                ),
            )
    for at, derivation in derived:
        if derivation.session_signal is SessionSignal.START:
            sessions.open_segment(conn, at, SessionSource.CB_EVENTS)
        elif derivation.session_signal is SessionSignal.STOP:
            sessions.close_segment(conn, at)


# ------------------------------------------------------------------------------ comparing

TABLES = {
    "persons": """SELECT id, username, username_since, role, role_is_manual, did, rid,
                         is_excluded, first_seen_at, last_seen_at, merged_into
                  FROM persons ORDER BY id""",
    "person_aliases": """SELECT id, person_id, username, valid_from, valid_to, source
                         FROM person_aliases ORDER BY id""",
    "raw_events": "SELECT event_id, method, occurred_at, payload FROM raw_events ORDER BY event_id",
    "interactions": """SELECT id, person_id, type, source, external_id, occurred_at,
                              broadcaster, content, metadata FROM interactions ORDER BY id""",
    "person_interaction_counts": """SELECT * FROM person_interaction_counts
                                    ORDER BY person_id, type""",
    "stream_sessions": "SELECT id, started_at, ended_at, source FROM stream_sessions ORDER BY id",
    "watchlist_members": """SELECT watchlist_id, person_id FROM watchlist_members
                            ORDER BY watchlist_id, person_id""",
}


def tables(db: Database) -> dict[str, list[dict[str, Any]]]:
    with db.transaction() as conn:
        return {name: conn.execute(query).fetchall() for name, query in TABLES.items()}  # type: ignore[arg-type]


class CountingPreparer(ingest.ForkedPreparer):
    """The forked preparer, counting the pages its second process prepared."""

    from_child = 0

    def take(self) -> ingest.PreparedPage:
        page = super().take()
        self.from_child += page.in_second_process
        return page


def test_the_fast_path_leaves_the_rows_the_simple_path_does(
    fresh_databases: Callable[[], Database],
) -> None:
    # Given the same people in three databases and pages as a feed re-delivers them
    fast, in_place, simple = fresh_databases(), fresh_databases(), fresh_databases()
    for db in (fast, in_place, simple):
        given_people(db)
    pages = corpus_pages()

    # When the fast path stores them (each page prepared in a second process), the same step
    # prepared in place, and the simple path row by row
    preparer = CountingPreparer(OWNER)
    fast_counts = ingest.store_pages(fast, pages, owner=OWNER, received_at=NOW, preparer=preparer)
    for page in pages:
        with in_place.transaction() as conn:
            ingest.persist_events(conn, page, owner=OWNER, received_at=NOW)
        with simple.transaction() as conn:
            simple_page(conn, page, NOW)

    # Then every table holds the same rows, ids included (interactions in page order)
    assert preparer.from_child == len(pages)
    expected = tables(simple)
    assert tables(fast) == expected
    assert tables(in_place) == expected
    # and the corpus really had what it is meant to test
    assert fast_counts.duplicates > 100
    assert fast_counts.problems >= 2
    by_name = {row["username"]: row for row in expected["persons"]}
    assert by_name["stays_model"]["role"] == "MODEL"
    assert by_name["smk_lover"]["is_excluded"]
    assert by_name["looked_up"]["first_seen_at"] is not None
    survivor = by_name["twin_a"]["id"]
    twin_rows = [r for r in expected["interactions"] if r["content"] == "hi"]
    assert {r["person_id"] for r in twin_rows} >= {survivor, by_name["new_handle"]["id"]}
    assert len(expected["stream_sessions"]) == 1


# ------------------------------------------------------------------------------ persons


def sighted(names: list[str], role: Role, first: datetime, last: datetime) -> persons.Sighted:
    return persons.sighted(
        names, [role.value] * len(names), [first] * len(names), [last] * len(names)
    )


def test_two_writers_creating_one_name_get_one_person(db: Database, database_url: str) -> None:
    # Given a writer that created "newbie" and has not committed yet
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    other = Database(database_url)
    results: dict[str, Any] = {}
    with db.transaction() as first:
        [mine, _] = persons.resolve_names(first, sighted(["newbie", "one"], Role.VIEWER, t0, t0))
        pid = first.execute("SELECT pg_backend_pid() AS pid").fetchone()

        # When a second writer resolves the same name (as a model, 20 minutes later)
        def second_writer() -> None:
            try:
                with other.transaction() as conn:
                    results["ids"] = persons.resolve_names(
                        conn,
                        sighted(["newbie", "two"], Role.MODEL, t0, t0 + timedelta(minutes=20)),
                    )
            except Exception as exc:  # surfaced by the assertions below
                results["error"] = exc

        writer = threading.Thread(target=second_writer)
        writer.start()
        # (it waits on the first writer's uncommitted row)
        assert pid is not None
        blocked = False
        watcher = Database(database_url)
        for _ in range(10_000):
            with watcher.transaction() as conn:
                row = conn.execute(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    (pid["pid"],),
                ).fetchone()
            if row is not None and row["n"]:
                blocked = True
                break
        watcher.close()
        assert blocked
    # ... and the first writer commits
    writer.join(10)
    other.close()

    # Then both got the one person, who has both sightings
    assert "error" not in results
    assert results["ids"][0] == mine
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, role, first_seen_at, last_seen_at FROM persons WHERE username = 'newbie'"
        ).fetchall()
    assert rows == [
        {
            "id": mine,
            "role": "BOTH",
            "first_seen_at": t0,
            "last_seen_at": t0 + timedelta(minutes=20),
        }
    ]


def test_two_names_of_one_person_in_one_page_merge_their_sightings(db: Database) -> None:
    # Given a person with a past name (a merge) and a manual role elsewhere
    with db.transaction() as conn:
        a, _ = persons.find_or_create(conn, "name_now", seen_at=BEFORE)
        b, _ = persons.find_or_create(conn, "name_then", seen_at=BEFORE)
    persons.merge(db, a.id, b.id, clock=lambda: BEFORE)
    t = datetime(2026, 3, 1, tzinfo=UTC)
    # When one page sees them under both names, as a viewer and as a model
    with db.transaction() as conn:
        ids = persons.resolve_names(
            conn,
            persons.sighted(
                ["name_now", "name_then"],
                [Role.VIEWER.value, Role.MODEL.value],
                [t + timedelta(minutes=5), t],
                [t + timedelta(minutes=5), t + timedelta(minutes=1)],
            ),
        )
    # Then both names are the survivor, with both roles and the whole window
    assert ids == [a.id, a.id]
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT role, first_seen_at, last_seen_at FROM persons WHERE id = %s", (a.id,)
        ).fetchone()
    assert row == {
        "role": "BOTH",
        "first_seen_at": BEFORE,
        "last_seen_at": t + timedelta(minutes=5),
    }


def test_a_name_spelled_like_null_is_a_name(db: Database) -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    with db.transaction() as conn:
        [pid] = persons.resolve_names(conn, sighted(["null"], Role.VIEWER, t, t))
        row = conn.execute("SELECT username FROM persons WHERE id = %s", (pid,)).fetchone()
    assert row == {"username": "null"}
