"""Token-history import on real PostgreSQL: every transaction type, per-minute show rows, bad
rows named by line, all or nothing, re-import, an overlapping export, tips also captured live
(linked, counted once), renames, exclusion, and a crash mid-import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.token_history import (
    MEDIA,
    PRIVATE,
    SPY,
    TIP,
    export_lines,
    media_event,
    tip_event,
)
from helpers import ingest_events, seen
from mhc.db.connection import Database
from mhc.domain.errors import InvalidInput
from mhc.domain.models import InteractionType
from mhc.services import interactions, persons, sessions, token_history
from mhc.services.token_history import ImportProgress

OWNER = "the_owner"
T = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


@pytest.fixture(autouse=True, params=["in place", "forked"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every scenario twice: the file read in place, and read in the import's second process
    (after its first two records, in batches of three) while the batch before is stored."""
    if request.param == "forked":
        monkeypatch.setattr(token_history, "FORK_AFTER", 2)
        monkeypatch.setattr(token_history, "BATCH", 3)
    return str(request.param)


def live(db: Database, envelopes: list[dict[str, Any]]) -> None:
    """Payments captured live, through the real ingest path."""
    ingest_events(db, envelopes, owner=OWNER, received_at=at(300))


def run(db: Database, lines: list[str], **kwargs: Any) -> token_history.ImportReport:
    return token_history.import_export(db, lines, owner=OWNER, **kwargs)


# Export A, line by line (the header is line 1).
EXPORT_A = [
    ("alice_01", 100, at(0.5), TIP, ""),  # 2: captured live 30 s earlier -> linked
    ("alice_01", 50, at(13), TIP, "again"),  # 3: live one is 3 min away -> not the same tip
    ("bob_02", 25, at(20.75), TIP, ""),  # 4: live as an anonymous tip -> linked
    *[("dave_04", 60, at(40 + m), PRIVATE, "") for m in range(5)],  # 5-9: one private show
    ("dave_04", 60, at(50), PRIVATE, ""),  # 10: a second show (6 min later)
    ("dave_04", 60, at(51), PRIVATE, ""),  # 11
    ("eve_05", 30, at(60), SPY, ""),  # 12: a spy show of two minutes
    ("eve_05", 30, at(61), SPY, ""),  # 13
    ("frank_06", 200, at(70), MEDIA, "set 7"),  # 14: captured live too -> linked
    ("gina_07", 500, at(80), "Ticket show", ""),  # 15: an unknown type: kept as other
    ("", 10, at(81), TIP, ""),  # 16: bad: empty user
    ("hank_08", -5, at(82), TIP, "refund"),  # 17: bad: not income
    ("hank_08", 10, "yesterday", TIP, ""),  # 18: bad: no time
    ("hank_08", "ten", at(84), TIP, ""),  # 19: bad: not a number
    ("smk_lover", 1000, at(90), TIP, ""),  # 20: excluded person
]
BAD_LINES = [(16, "empty_user"), (17, "non_positive_amount"), (18, "bad_time"), (19, "bad_amount")]
# Export B overlaps A (its rows 5-15, the same text) and adds three.
EXPORT_B = [
    *EXPORT_A[3:14],
    ("carol_03", 10, at(30.5), TIP, ""),  # captured live 30 s earlier -> linked
    ("alice_01", 75, at(120), TIP, ""),
    ("dave_04", 60, at(52), PRIVATE, ""),  # continues the second show
]
LIVE = [
    tip_event(OWNER, "alice_01", 100, at(0)),
    tip_event(OWNER, "alice_01", 50, at(10)),
    tip_event(OWNER, "bob_02", 25, at(20), anonymous=True),
    tip_event(OWNER, "carol_03", 10, at(30)),
    media_event(OWNER, "frank_06", 200, at(69.5)),
]
#: Tokens to the owner per person, counted once, after A and B (hand-computed).
EXPECTED = {
    "alice_01": 100 + 50 + 50 + 75,  # live 100 (its import linked), live 50, imported 50, 75
    "bob_02": 0,  # his only tip was anonymous; its imported twin is linked, never his
    "carol_03": 10,  # live; its imported twin linked
    "dave_04": 8 * 60,
    "eve_05": 2 * 30,
    "frank_06": 200,  # live; its imported twin linked
    "gina_07": 500,
}


def tokens_of(db: Database, username: str) -> int:
    with db.transaction() as conn:
        person = persons.by_current_name(conn, username)
        assert person is not None
        return int(interactions.person_in_room(conn, OWNER, person.id)["tokens"])


def counted_tokens(db: Database) -> dict[str, int]:
    """What audience figures count, per person (`counted_interactions`)."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT p.username, sum(mhc_payment_tokens(c.metadata)) AS tokens
               FROM counted_interactions c JOIN persons p ON p.id = c.person_id
               WHERE c.broadcaster = %s AND NOT c.is_anonymous
                 AND c.type IN ('TIP_EVENT', 'MEDIA_PURCHASE', 'PRIVATE_SHOW', 'SPY_SHOW',
                                'OTHER_PAYMENT')
               GROUP BY p.username""",
            (OWNER,),
        ).fetchall()
    return {str(r["username"]): int(r["tokens"]) for r in rows}


def room_totals(db: Database) -> dict[str, int]:
    """The per-person summary the live room reads (kept by triggers)."""
    with db.transaction() as conn:
        rows = conn.execute(
            """SELECT p.username, sum(t.tokens) AS tokens FROM person_rooms t
               JOIN persons r ON r.id = t.person_id
               JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
               WHERE t.broadcaster = %s GROUP BY p.username""",
            (OWNER,),
        ).fetchall()
    return {str(r["username"]): int(r["tokens"]) for r in rows}


def count(db: Database, table: str) -> int:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
        assert row is not None
        return int(row["n"])


def test_a_file_with_bad_rows_is_refused_naming_each_line_and_nothing_is_written(
    db: Database,
) -> None:
    # Given live capture of some tips
    live(db, LIVE)
    before = {t: count(db, t) for t in ("interactions", "persons", "token_history_rows")}
    # When export A (with four bad rows) is imported without accepting them
    report = run(db, export_lines(EXPORT_A), file_name="a.csv")
    # Then it is refused, each bad row named by its line and kind, and nothing is written
    assert report.imported is False
    assert report.import_id is None
    assert [(p.line, p.kind) for p in report.problems] == BAD_LINES
    assert report.problem_count == 4
    assert report.good_rows == len(EXPORT_A) - 4
    assert report.new_rows == 0
    assert {t: count(db, t) for t in before} == before
    assert count(db, "token_history_imports") == 0
    assert "Token change -5 is not income" in report.problems[1].message


def test_import_accepted_then_reimported_then_overlapping_counts_every_payment_once(
    db: Database,
) -> None:
    # Given live capture (one tip anonymous, one media purchase)
    live(db, LIVE)
    # When export A is imported accepting its bad rows
    a = run(db, export_lines(EXPORT_A), file_name="a.csv", accept_problems=True)
    # Then every good row is stored and typed; the live twins are linked
    assert a.imported
    assert a.import_id is not None
    assert (a.good_rows, a.new_rows, a.already_stored) == (15, 15, 0)
    assert a.linked == 3  # alice's 100, bob's anonymous 25, frank's media purchase
    assert [p.line for p in a.problems] == [16, 17, 18, 19]
    assert a.by_type == {
        "MEDIA_PURCHASE": token_history.TypeTotal(rows=1, tokens=200),
        "OTHER_PAYMENT": token_history.TypeTotal(rows=1, tokens=500),
        "PRIVATE_SHOW": token_history.TypeTotal(rows=7, tokens=420),
        "SPY_SHOW": token_history.TypeTotal(rows=2, tokens=60),
        "TIP_EVENT": token_history.TypeTotal(rows=4, tokens=1175),
    }
    # And the lines left out are kept with the import
    with db.transaction() as conn:
        kept = conn.execute("SELECT problems, problem_count FROM token_history_imports").fetchone()
    assert kept is not None
    assert kept["problem_count"] == 4
    assert [p["line"] for p in kept["problems"]] == [16, 17, 18, 19]

    # When the same file is imported again
    again = run(db, export_lines(EXPORT_A), accept_problems=True)
    # Then it adds nothing
    assert (again.new_rows, again.already_stored, again.linked) == (0, 15, 0)
    assert count(db, "token_history_rows") == 15

    # When an overlapping export is imported (it is clean: no acceptance needed)
    b = run(db, export_lines(EXPORT_B), file_name="b.csv")
    # Then only its three new rows are stored, and carol's live tip is linked
    assert (b.imported, b.new_rows, b.already_stored, b.linked) == (True, 3, 11, 1)
    assert count(db, "token_history_rows") == 18
    assert count(db, "interaction_twins") == 4

    # Then every figure counts each payment once: the person page, the audience view, the
    # per-person summary the live room reads
    for name, tokens in EXPECTED.items():
        assert tokens_of(db, name) == tokens, name
    assert counted_tokens(db) == {k: v for k, v in EXPECTED.items() if v}
    # (the summary is per person; the room leaves excluded persons out when it reads it)
    assert room_totals(db) == {**EXPECTED, "smk_lover": 1000}
    # And the excluded person's tip is stored but counted nowhere in the audience
    assert "smk_lover" not in counted_tokens(db)
    assert tokens_of(db, "smk_lover") == 1000  # their own page still shows it

    # And a session covering it all counts the room's income once (anonymous tip included)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO stream_sessions (started_at, ended_at, source) VALUES (%s, %s, 'manual')",
            (at(-5), at(180)),
        )
        session = sessions.recent(conn, limit=1)[0]
        stats = sessions.stats_of(conn, session, owner=OWNER, now=at(200))
    assert stats.tokens == sum(EXPECTED.values()) + 25  # + bob's anonymous tip, unnamed
    assert stats.tips == 4 + 2  # live 4; imported alice 50 and 75 (the other tips are linked)

    # And a person's tip count is one per tip
    with db.transaction() as conn:
        alice = persons.by_current_name(conn, "alice_01")
        assert alice is not None
        assert interactions.counts_by_type(conn, alice.id)["TIP_EVENT"] == 4


def test_private_and_spy_show_rows_are_grouped_into_shows(db: Database) -> None:
    run(db, export_lines(EXPORT_A), accept_problems=True)
    run(db, export_lines(EXPORT_B))
    shows = token_history.shows(db, owner=OWNER)
    assert [(s.username, s.type, s.minutes_billed, s.tokens) for s in shows] == [
        ("eve_05", InteractionType.SPY_SHOW, 2, 60),
        ("dave_04", InteractionType.PRIVATE_SHOW, 3, 180),  # 50, 51, 52 (B added 52)
        ("dave_04", InteractionType.PRIVATE_SHOW, 5, 300),
    ]
    first = shows[-1]
    assert (first.started_at, first.ended_at, first.duration_seconds) == (at(40), at(45), 300)
    # And one person's shows
    with db.transaction() as conn:
        eve = persons.by_current_name(conn, "eve_05")
    assert eve is not None
    assert [s.username for s in token_history.shows(db, owner=OWNER, person_id=eve.id)] == [
        "eve_05"
    ]


def test_a_renamed_tipper_is_found_by_the_old_name_and_still_linked(db: Database) -> None:
    # Given a person known by Statbate under a new name (the old one is an alias)
    seen(db, "old_name", did=42, at=at(-100))
    seen(db, "new_name", did=42, at=at(-50))
    # And their tip captured live under the new name
    live(db, [tip_event(OWNER, "new_name", 300, at(5))])
    # When the export (written before the rename) names the old name
    report = run(db, export_lines([("old_name", 300, at(5.5), TIP, "")]))
    # Then the row is the same person's and linked to the live tip: counted once
    assert report.linked == 1
    assert report.persons == 1
    assert tokens_of(db, "new_name") == 300
    with db.transaction() as conn:
        assert persons.by_current_name(conn, "old_name") is None


def test_a_changed_timezone_setting_keeps_stored_times_and_says_so(db: Database) -> None:
    rows = [("alice_01", 10, at(0), TIP, ""), ("alice_01", 20, at(1), TIP, "")]
    first = run(db, export_lines(rows), timezone="UTC")
    second = run(db, export_lines(rows), timezone="Europe/Berlin")
    assert (first.new_rows, second.new_rows, second.times_differ) == (2, 0, 2)
    with db.transaction() as conn:
        stored = conn.execute("SELECT min(occurred_at) AS t FROM token_history_rows").fetchone()
    assert stored is not None
    assert stored["t"] == at(0)


def test_not_an_export_is_refused_before_anything(db: Database) -> None:
    with pytest.raises(InvalidInput, match="missing column"):
        run(db, ["Name,Amount\r\n", "alice,5\r\n"])
    assert count(db, "token_history_imports") == 0


def test_a_crash_mid_import_loses_and_doubles_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given small batches, and an import that dies after its first batch was written
    monkeypatch.setattr(token_history, "BATCH", 4)
    lines = export_lines(EXPORT_B)

    def crash(progress: ImportProgress) -> None:
        if progress.phase == "linking":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        run(db, lines, progress=crash)
    # Then nothing of it was kept
    assert count(db, "token_history_rows") == 0
    assert count(db, "interactions") == 0
    # And running it again imports it whole, once
    report = run(db, lines)
    assert report.new_rows == len(EXPORT_B)
    assert count(db, "interactions") == len(EXPORT_B)


def test_a_live_tip_stored_after_the_import_is_linked_as_it_is_ingested(db: Database) -> None:
    # Given an export imported while live capture had not stored the tip yet (capture was
    # down, or a capture file is replayed later)
    lines = export_lines([("alice_01", 100, at(0.5), TIP, ""), ("alice_01", 7, at(60), TIP, "")])
    assert run(db, lines).linked == 0
    assert tokens_of(db, "alice_01") == 107
    # When the live tips arrive, one of them the export's and one new
    live(db, [tip_event(OWNER, "alice_01", 100, at(0)), tip_event(OWNER, "alice_01", 3, at(200))])
    # Then the export's twin is linked as it is stored: counted once, nothing doubled
    assert count(db, "interaction_twins") == 1
    assert tokens_of(db, "alice_01") == 110
    assert room_totals(db) == {"alice_01": 110}
    # And importing the export again adds and links nothing more
    assert (run(db, lines).new_rows, count(db, "interaction_twins")) == (0, 1)


def test_a_live_tip_is_linked_at_most_once(db: Database) -> None:
    # Given one live tip and two identical export rows next to it
    live(db, [tip_event(OWNER, "alice_01", 10, at(0))])
    rows = [("alice_01", 10, at(0.5), TIP, ""), ("alice_01", 10, at(0.5), TIP, "")]
    report = run(db, export_lines(rows))
    # Then both rows are stored (two tips), one is linked
    assert (report.new_rows, report.linked) == (2, 1)
    assert tokens_of(db, "alice_01") == 20
