"""The owner's token-history export: parsing, row identity, shows, live matching, capture audit."""

import io
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mhc.config import ConfigError, load_settings
from mhc.domain.errors import InvalidInput
from mhc.domain.token_history import (
    MATCH_WINDOW,
    InvalidTokenHistory,
    PaymentRecord,
    Period,
    ProblemKind,
    TokenHistoryReader,
    TokenRow,
    TransactionType,
    capture_audit,
    group_shows,
    match_live,
    parse_amount,
    parse_timestamp,
    parse_token_history,
)

HEADER = "User,Token change,Timestamp,Transaction type,Note\n"
BERLIN = ZoneInfo("Europe/Berlin")


def parse(text: str, timezone: ZoneInfo | None = None):  # type: ignore[no-untyped-def]
    return parse_token_history(io.StringIO(text, newline=""), timezone=timezone or UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- columns -------------------------------------------------------------------------------------


def test_a_plain_export_with_every_transaction_type() -> None:
    # Given an export with the documented columns and every transaction type seen
    history = parse(
        HEADER
        + "alice,25,2024-01-05 21:03:07,Tip received,hi\n"
        + "bob,60,2024-01-05 21:10:00,Private show,\n"
        + "carol,12,2024-01-05 21:11:00,Spy on private show,\n"
        + "dave,100,2024-01-05 21:12:00,Photos/videos purchased,album 3\n"
        + "erin,40,2024-01-05 21:13:00,Ticket show purchased,\n"
    )
    # Then every row is typed, the unknown type kept as "other" with its text
    assert history.importable
    assert [(r.username, r.tokens, r.type) for r in history.rows] == [
        ("alice", 25, TransactionType.TIP),
        ("bob", 60, TransactionType.PRIVATE_SHOW),
        ("carol", 12, TransactionType.SPY_SHOW),
        ("dave", 100, TransactionType.MEDIA_PURCHASE),
        ("erin", 40, TransactionType.OTHER),
    ]
    assert history.rows[4].type_text == "Ticket show purchased"
    assert history.rows[0].occurred_at == at("2024-01-05 21:03:07")
    assert history.rows[0].note == "hi"
    assert history.rows[3].raw == {
        "User": "dave",
        "Token change": "100",
        "Timestamp": "2024-01-05 21:12:00",
        "Transaction type": "Photos/videos purchased",
        "Note": "album 3",
    }
    assert [r.line for r in history.rows] == [2, 3, 4, 5, 6]
    assert history.lines == 6


def test_headers_match_case_insensitively_in_any_order_with_extra_columns() -> None:
    history = parse(
        "\ufeff TIMESTAMP ,Balance,transaction_type,user,TOKEN CHANGE\n"
        "2024-01-05 21:03:07,1025,TIP RECEIVED,Alice,25\n"
    )
    (row,) = history.rows
    assert (row.username, row.tokens, row.type) == ("alice", 25, TransactionType.TIP)
    assert row.note == ""  # Note is optional
    assert row.raw["Balance"] == "1025"
    assert history.columns == (
        "TIMESTAMP",
        "Balance",
        "transaction_type",
        "user",
        "TOKEN CHANGE",
    )


def test_semicolon_separated_exports_are_read() -> None:
    history = parse(
        "User;Token change;Timestamp;Transaction type\nalice;1,000;2024-01-05 21:03:07;Tip received\n"
    )
    assert [(r.username, r.tokens) for r in history.rows] == [("alice", 1000)]


def test_missing_required_columns_refuse_the_file_and_name_them() -> None:
    with pytest.raises(InvalidTokenHistory) as info:
        parse("User,Amount,Timestamp,Note\nalice,25,2024-01-05 21:03:07,\n")
    message = str(info.value)
    assert "'Token change'" in message
    assert "'Transaction type'" in message
    assert "'Amount'" in message  # what was found instead
    assert isinstance(info.value, InvalidInput)


def test_a_repeated_column_refuses_the_file() -> None:
    with pytest.raises(InvalidTokenHistory, match="'User' appears twice"):
        parse("User,user,Token change,Timestamp,Transaction type\n")


@pytest.mark.parametrize("text", ["", "\n", ",,,\n"])
def test_an_empty_file_or_header_is_refused(text: str) -> None:
    with pytest.raises(InvalidTokenHistory, match=r"empty|header"):
        parse(text)


def test_a_header_only_export_has_no_rows_and_is_importable() -> None:
    history = parse(HEADER)
    assert history.rows == ()
    assert history.importable


# -- bad rows, by line ---------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_physical_line_and_quoted_newlines_are_counted() -> None:
    # Given an export whose second row has a note spanning three lines, a blank line, and
    # bad rows after them
    text = (
        HEADER  # line 1
        + "alice,25,2024-01-05 21:03:07,Tip received,ok\n"  # 2
        + 'bob,10,2024-01-05 21:04:00,Tip received,"line one\nline two\nline three"\n'  # 3-5
        + "\n"  # 6: blank, skipped
        + ",10,2024-01-05 21:05:00,Tip received,\n"  # 7: empty user
        + "carol,0,2024-01-05 21:06:00,Tip received,\n"  # 8: zero
        + "dave,-40,2024-01-05 21:07:00,Tip received,chargeback\n"  # 9: negative
        + "erin,lots,2024-01-05 21:08:00,Tip received,\n"  # 10: not a number
        + "frank,10,yesterday,Tip received,\n"  # 11: bad time
        + "bad name!,abc,,Tip received,\n"  # 12: three problems
        + "gina,5,2024-01-05 21:09:00,Tip received,last\n"  # 13
    )
    history = parse(text)
    # Then good rows carry their first line, and every problem names its line
    assert [(r.username, r.line) for r in history.rows] == [("alice", 2), ("bob", 3), ("gina", 13)]
    assert history.rows[1].note == "line one\nline two\nline three"
    assert [(p.line, p.kind) for p in history.problems] == [
        (7, ProblemKind.EMPTY_USER),
        (8, ProblemKind.NON_POSITIVE_AMOUNT),
        (9, ProblemKind.NON_POSITIVE_AMOUNT),
        (10, ProblemKind.BAD_AMOUNT),
        (11, ProblemKind.BAD_TIME),
        (12, ProblemKind.INVALID_USER),
        (12, ProblemKind.BAD_AMOUNT),
        (12, ProblemKind.BAD_TIME),
    ]
    # And a file with any problem is not importable as a whole (never half-imported)
    assert not history.importable
    assert "'lots'" in history.problems[3].message
    assert history.lines == 13


def test_windows_line_endings_count_one_line_each() -> None:
    text = HEADER.replace("\n", "\r\n") + "alice,25,2024-01-05 21:03:07,Tip received,\r\n" * 2
    text += "bob,x,2024-01-05 21:03:07,Tip received,\r\n"
    history = parse(text)
    assert [r.line for r in history.rows] == [2, 3]
    assert [p.line for p in history.problems] == [4]


def test_a_short_row_is_reported_not_crashed_on() -> None:
    history = parse(HEADER + "alice,25\n")
    assert [p.kind for p in history.problems] == [ProblemKind.BAD_TIME]
    assert history.problems[0].line == 2


def test_an_unreadable_record_refuses_the_file_naming_its_line() -> None:
    text = HEADER + "alice,25,2024-01-05 21:03:07,Tip received,ok\n"
    text += "bob,25,2024-01-05 21:03:07,Tip received," + "x" * 200_000 + "\n"
    with pytest.raises(InvalidTokenHistory, match="line 3 cannot be read"):
        parse(text)


def test_an_unterminated_quote_is_reported_not_swallowed_silently() -> None:
    history = parse(HEADER + 'alice,25,"2024-01-05 21:03:07,Tip received,\nbob,5\n')
    assert history.rows == ()
    assert [p.line for p in history.problems] == [2]


def test_long_bad_values_are_shortened_in_messages() -> None:
    history = parse(HEADER + f"alice,{'9' * 30}x{'9' * 30},2024-01-05 21:03:07,Tip received,\n")
    (problem,) = history.problems
    assert len(problem.message) < 100
    assert "…" in problem.message


def test_the_reader_streams_and_fails_on_the_header_before_yielding() -> None:
    consumed: list[int] = []

    def lines() -> Iterator[str]:
        yield HEADER
        for i in itertools.count():
            consumed.append(i)
            yield f"user{i},5,2024-01-05 21:03:07,Tip received,\n"

    reader = TokenHistoryReader(lines())
    first = list(itertools.islice(reader, 3))
    assert all(isinstance(item, TokenRow) for item in first)
    assert len(consumed) == 3  # nothing read ahead: a 200,000-row file is never held twice
    with pytest.raises(InvalidTokenHistory):
        TokenHistoryReader(iter(["nothing,useful\n"]))


# -- amounts and times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25", 25),
        (" +25 ", 25),
        ("-3", -3),
        ("1,000", 1000),
        ("12,345,678", 12345678),
        ("25.0", 25),
        ("25.5", None),
        ("1,00", None),
        ("", None),
        ("ten", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_amounts_are_whole_tokens(text: str, expected: int | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05 21:03:07", "2024-01-05T21:03:07+00:00"),
        ("2024-01-05T21:03:07", "2024-01-05T21:03:07+00:00"),
        ("2024-01-05T21:03:07Z", "2024-01-05T21:03:07+00:00"),
        ("2024-01-05T21:03:07.250+02:00", "2024-01-05T19:03:07.250000+00:00"),
        ("2024-01-05 21:03:07-05:00", "2024-01-06T02:03:07+00:00"),
        ("2024-01-05 21:03:07 UTC", "2024-01-05T21:03:07+00:00"),
        ("2024-01-05 21:03", "2024-01-05T21:03:00+00:00"),
        ("01/05/2024 21:03", "2024-01-05T21:03:00+00:00"),
        ("1/5/2024 21:03:07", "2024-01-05T21:03:07+00:00"),
        ("01/05/2024 09:03:07 PM", "2024-01-05T21:03:07+00:00"),
        ("01/05/2024 9:03 pm", "2024-01-05T21:03:00+00:00"),
        ("01/05/2024 12:15 AM", "2024-01-05T00:15:00+00:00"),
        ("01/05/2024 12:15 PM", "2024-01-05T12:15:00+00:00"),
    ],
)
def test_timestamps_are_read_leniently(text: str, expected: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed is not None
    assert parsed[0].isoformat() == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-01-05",  # a date alone could never be matched to a live tip
        "01/05/2024",
        "2024-13-05 21:03:07",
        "13/25/2024 21:03",  # month 13: MM/DD is the documented order
        "01/05/2024 13:03 PM",
        "2024-01-05 25:03:07",
    ],
)
def test_unreadable_timestamps_are_none(text: str) -> None:
    assert parse_timestamp(text) is None


def test_times_without_offset_are_read_in_the_export_zone_dst_included() -> None:
    # Winter: Berlin is UTC+1; summer: UTC+2.
    winter = parse_timestamp("2024-01-05 21:00:00", BERLIN)
    summer = parse_timestamp("2024-07-05 21:00:00", BERLIN)
    assert winter is not None
    assert summer is not None
    assert winter[0] == at("2024-01-05 20:00:00")
    assert summer[0] == at("2024-07-05 19:00:00")
    # An explicit offset wins over the setting.
    explicit = parse_timestamp("2024-07-05 21:00:00+00:00", BERLIN)
    assert explicit is not None
    assert explicit[0] == at("2024-07-05 21:00:00")
    # The repeated hour of a fall-back night is read as its first occurrence (still DST).
    ambiguous = parse_timestamp("2024-10-27 02:30:00", BERLIN)
    assert ambiguous is not None
    assert ambiguous[0] == at("2024-10-27 00:30:00")


# -- identity -------------------------------------------------------------------------------------------

ROWS = [
    "alice,25,2024-01-05 21:03:07,Tip received,\n",
    "alice,25,2024-01-05 21:03:07,Tip received,\n",  # a second, identical tip
    "bob,60,2024-01-05 21:10:00,Private show,\n",
    "carol,10,2024-01-06 10:00:00,Tip received,\n",
]


def test_identical_rows_are_distinct_payments_with_stable_ids() -> None:
    history = parse(HEADER + "".join(ROWS))
    ids = [r.row_id for r in history.rows]
    assert len(set(ids)) == 4
    assert ids[0].rsplit("-", 1)[0] == ids[1].rsplit("-", 1)[0]  # same content, ordinals 0, 1
    assert [i.rsplit("-", 1)[1] for i in ids[:2]] == ["0", "1"]
    # Re-reading the same file gives the same ids (re-import adds nothing).
    assert [r.row_id for r in parse(HEADER + "".join(ROWS)).rows] == ids


def test_an_overlapping_export_gives_the_shared_rows_the_same_ids() -> None:
    first = parse(HEADER + "".join(ROWS[:3]))
    # The second export starts at alice's two tips and goes on; newest first, as some are.
    second = parse(
        HEADER + "".join(reversed(ROWS[:3])) + "dave,5,2024-01-07 10:00:00,Tip received,\n"
    )
    shared = {r.row_id for r in first.rows} & {r.row_id for r in second.rows}
    assert shared == {r.row_id for r in first.rows}
    assert len({r.row_id for r in second.rows} - shared) == 1


def test_ids_do_not_depend_on_the_timezone_setting_or_the_time_format() -> None:
    utc = parse(HEADER + ROWS[0])
    berlin = parse(HEADER + ROWS[0], BERLIN)
    us = parse(HEADER + "alice,25,01/05/2024 09:03:07 PM,Tip received,\n")
    assert utc.rows[0].occurred_at != berlin.rows[0].occurred_at
    assert utc.rows[0].row_id == berlin.rows[0].row_id == us.rows[0].row_id


def test_ids_differ_when_anything_the_row_says_differs() -> None:
    base = "alice,25,2024-01-05 21:03:07,Tip received,note\n"
    variants = [
        base,
        base.replace("alice", "alicia"),
        base.replace(",25,", ",26,"),
        base.replace("21:03:07", "21:03:08"),
        base.replace("Tip received", "Private show"),
        base.replace("note", "other note"),
    ]
    ids = {parse(HEADER + v).rows[0].row_id for v in variants}
    assert len(ids) == len(variants)
    # Case and spacing of the user and type are not what the row "says".
    assert (
        parse(HEADER + base.replace("alice", "ALICE").replace("Tip received", "tip  RECEIVED"))
        .rows[0]
        .row_id
        in ids
    )


# -- shows -------------------------------------------------------------------------------------------


def _row(user: str, tokens: int, when: str, kind: str, line: int) -> TokenRow:
    return TokenRow(
        line=line,
        row_id=f"r{line}",
        username=user,
        tokens=tokens,
        occurred_at=at(when),
        type=TransactionType(kind),
        type_text=kind,
        note="",
        raw={},
    )


def test_per_minute_rows_become_one_show_and_a_long_gap_starts_another() -> None:
    rows = [
        _row("bob", 60, "2024-01-05 21:00:00", "private_show", 2),
        _row("bob", 60, "2024-01-05 21:01:00", "private_show", 3),
        _row("bob", 60, "2024-01-05 21:02:05", "private_show", 4),
        _row("bob", 60, "2024-01-05 21:04:50", "private_show", 5),  # 2:45 later: same show
        # 3 minutes after the last row: a new show
        _row("bob", 60, "2024-01-05 21:07:50", "private_show", 6),
        _row("carol", 12, "2024-01-05 21:01:00", "spy_show", 7),
        _row("bob", 12, "2024-01-05 21:01:30", "spy_show", 8),  # same user, other type
        _row("bob", 25, "2024-01-05 21:01:00", "tip", 9),  # tips are not shows
    ]
    shows = group_shows(list(reversed(rows)))
    summary = [(s.username, s.type, s.started_at, s.tokens, s.row_ids) for s in shows]
    assert summary == [
        (
            "bob",
            TransactionType.PRIVATE_SHOW,
            at("2024-01-05 21:00:00"),
            240,
            ("r2", "r3", "r4", "r5"),
        ),
        ("carol", TransactionType.SPY_SHOW, at("2024-01-05 21:01:00"), 12, ("r7",)),
        ("bob", TransactionType.SPY_SHOW, at("2024-01-05 21:01:30"), 12, ("r8",)),
        ("bob", TransactionType.PRIVATE_SHOW, at("2024-01-05 21:07:50"), 60, ("r6",)),
    ]
    first = shows[0]
    assert first.last_billed_at == at("2024-01-05 21:04:50")
    assert first.ended_at == at("2024-01-05 21:05:50")  # each row pays one minute
    assert first.duration == timedelta(minutes=5, seconds=50)
    assert first.minutes_billed == 4
    assert shows[1].duration == timedelta(minutes=1)


def test_no_show_rows_no_shows() -> None:
    assert group_shows([_row("bob", 25, "2024-01-05 21:01:00", "tip", 2)]) == ()


# -- matching against live capture --------------------------------------------------------------------


def rec(id_: str, who: int, tokens: int, when: datetime) -> PaymentRecord:
    return PaymentRecord(id=id_, who=who, tokens=tokens, at=when)


T0 = datetime(2024, 1, 5, 21, 0, tzinfo=UTC)


def test_a_tip_seen_live_matches_within_two_minutes_only() -> None:
    exported = [
        rec("e1", 1, 25, T0),
        rec("e2", 1, 25, T0 + timedelta(minutes=10)),
        rec("e3", 2, 50, T0),
        rec("e4", 3, 10, T0),
    ]
    live = [
        rec("l1", 1, 25, T0 + MATCH_WINDOW),  # exactly 2 minutes: same tip
        rec("l2", 1, 25, T0 + timedelta(minutes=12, seconds=1)),  # 2:01 later: not the same
        rec("l3", 2, 49, T0),  # other amount
        rec("l4", 4, 10, T0),  # other person
    ]
    matching = match_live(exported, live)
    assert matching.pairs == (("e1", "l1"),)
    assert matching.unmatched_export == ("e3", "e4", "e2")
    assert matching.unmatched_live == ("l3", "l4", "l2")


def test_matching_is_one_to_one_and_nearest_first() -> None:
    # Two identical tips in the export, one live: the nearer one is linked, the other stays.
    exported = [rec("e1", 1, 25, T0), rec("e2", 1, 25, T0 + timedelta(seconds=50))]
    live = [rec("l1", 1, 25, T0 + timedelta(seconds=40))]
    matching = match_live(exported, live)
    assert matching.pairs == (("e2", "l1"),)
    assert matching.unmatched_export == ("e1",)
    # Two each, crossing: nearest pairs first, nobody used twice.
    live2 = [*live, rec("l2", 1, 25, T0 - timedelta(seconds=30))]
    assert match_live(exported, live2).pairs == (("e1", "l2"), ("e2", "l1"))


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from([10, 25]), st.integers(0, 600)),
        max_size=25,
    ),
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from([10, 25]), st.integers(0, 600)),
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_matching_is_deterministic_one_to_one_and_within_the_window(
    export_specs: list[tuple[int, int, int]],
    live_specs: list[tuple[int, int, int]],
    rng: random.Random,
) -> None:
    exported = [
        rec(f"e{i}", who, tokens, T0 + timedelta(seconds=s))
        for i, (who, tokens, s) in enumerate(export_specs)
    ]
    live = [
        rec(f"l{i}", who, tokens, T0 + timedelta(seconds=s))
        for i, (who, tokens, s) in enumerate(live_specs)
    ]
    matching = match_live(exported, live)
    shuffled_e, shuffled_l = exported[:], live[:]
    rng.shuffle(shuffled_e)
    rng.shuffle(shuffled_l)
    assert match_live(shuffled_e, shuffled_l) == matching  # input order never matters
    by_id = {r.id: r for r in exported + live}
    e_ids = [e for e, _ in matching.pairs]
    l_ids = [li for _, li in matching.pairs]
    assert len(set(e_ids)) == len(e_ids)
    assert len(set(l_ids)) == len(l_ids)
    for e, li in matching.pairs:
        a, b = by_id[e], by_id[li]
        assert (a.who, a.tokens) == (b.who, b.tokens)
        assert abs(a.at - b.at) <= MATCH_WINDOW
    assert len(e_ids) + len(matching.unmatched_export) == len(exported)
    assert len(l_ids) + len(matching.unmatched_live) == len(live)
    # Maximal: no unmatched pair is left that could still be linked.
    for e in matching.unmatched_export:
        for li in matching.unmatched_live:
            a, b = by_id[e], by_id[li]
            assert not ((a.who, a.tokens) == (b.who, b.tokens) and abs(a.at - b.at) <= MATCH_WINDOW)


# -- capture audit ---------------------------------------------------------------------------------------


def test_capture_audit_reports_the_share_and_lists_missed_tips_with_gaps_explained() -> None:
    # Given live capture running from T0 to T0+3h with one recorded gap, eight export tips in
    # that period of which six were delivered live, and tips before capture began
    period = Period(T0, T0 + timedelta(hours=3))
    gap = Period(T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=10))
    exported = [rec(f"e{i}", i, 10 + i, T0 + timedelta(minutes=20 * i)) for i in range(8)]
    exported.append(rec("before", 1, 99, T0 - timedelta(days=3)))
    live = [
        rec(f"l{i}", i, 10 + i, T0 + timedelta(minutes=20 * i, seconds=30))
        for i in range(8)
        if i not in (3, 7)
    ]
    # e3 (T0+60 min) is inside the gap; e7 (T0+140 min) is not.
    audit = capture_audit(exported, live, period=period, gaps=[gap])
    # Then the share counts only the period, and both missed tips are listed, one explained
    assert (audit.exported, audit.seen_live) == (8, 6)
    assert audit.share_seen.value == pytest.approx(6 / 8)
    assert audit.share_seen.uncertainty.interval is not None
    assert [(m.id, m.at, m.explained) for m in audit.missed] == [
        ("e3", T0 + timedelta(minutes=60), True),
        ("e7", T0 + timedelta(minutes=140), False),
    ]
    assert audit.missed[0].gap_start == gap.start
    assert audit.missed[1].gap_start is None
    assert audit.explained == 1


def test_a_missed_tip_just_outside_a_gap_is_explained_within_the_match_window() -> None:
    period = Period(T0, T0 + timedelta(hours=1))
    gap = Period(T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))
    exported = [
        rec("near", 1, 5, gap.end + MATCH_WINDOW),
        rec("far", 1, 6, gap.end + MATCH_WINDOW + timedelta(seconds=1)),
    ]
    audit = capture_audit(exported, [], period=period, gaps=[gap])
    assert [(m.id, m.explained) for m in audit.missed] == [("near", True), ("far", False)]


def test_capture_audit_with_no_export_tips_in_the_period() -> None:
    audit = capture_audit([], [], period=Period(T0, T0 + timedelta(hours=1)))
    assert (audit.exported, audit.seen_live, audit.missed) == (0, 0, ())
    assert audit.share_seen.value is None
    assert audit.share_seen.uncertainty.not_enough_data


def test_a_live_tip_just_before_the_period_can_still_match() -> None:
    period = Period(T0, T0 + timedelta(hours=1))
    exported = [rec("e", 1, 5, T0 + timedelta(seconds=30))]
    live = [rec("l", 1, 5, T0 - timedelta(seconds=30))]
    assert capture_audit(exported, live, period=period).seen_live == 1


# -- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MHC_OWNER_TIMEZONE", "MHC_TOKEN_HISTORY_TIMEZONE"])
def test_timezone_settings_are_iana_zones(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    assert getattr(load_settings(), name.lower()) == "UTC"
    monkeypatch.setenv(name, "America/New_York")
    assert getattr(load_settings(), name.lower()) == "America/New_York"
    for bad in ("Mars/Olympus_Mons", "", "../../etc/passwd", "+02:00"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            load_settings()
