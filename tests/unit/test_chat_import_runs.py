"""Chat import runs as pure rules: where a walk starts and stops, date windows in the owner's
zone, whose history a line joins, twin matching, and what of a raw response is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes.statbate_plus import FakePlus, make_messages
from mhc.domain.chat_import import read_chat_page
from mhc.domain.chat_import_runs import (
    REMOVED,
    ImportCounts,
    StopReason,
    TargetState,
    WalkMode,
    Window,
    imported_line,
    kept_messages,
    parse_window,
    plan_walk,
    response_digest,
    response_text,
    stop_after,
    storable_body,
)
from mhc.domain.errors import InvalidInput
from mhc.domain.roles import Role
from mhc.domain.twins import REASON_CHAT, REASON_TIP, TwinCandidate, match_twins

T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


# -- where a walk starts -----------------------------------------------------------------------
OPEN = Window()


def state(checkpoint: str | None = None, walk: WalkMode | None = None, *,
          window: Window = OPEN, completed: datetime | None = None) -> TargetState:  # fmt: skip
    return TargetState(checkpoint, walk, window, completed)


def test_a_chat_never_walked_to_its_end_is_walked_in_full() -> None:
    plan = plan_walk(state())
    assert (plan.resume, plan.mode, plan.window) == (False, WalkMode.FULL, Window())


def test_after_a_full_walk_reached_the_end_only_new_pages_are_read() -> None:
    plan = plan_walk(state(completed=T0))
    assert (plan.resume, plan.mode) == (False, WalkMode.CATCH_UP)


@pytest.mark.parametrize("mode", list(WalkMode))
def test_an_unfinished_walk_is_resumed_in_its_mode(mode: WalkMode) -> None:
    plan = plan_walk(state("https://plus/room/statbate/a/chat?page=7", mode, completed=T0))
    assert (plan.resume, plan.mode) == (True, mode)


def test_an_asked_window_resumes_only_its_own_walk() -> None:
    window = Window(T0, T0 + timedelta(days=1))
    stored = state("u?page=3", WalkMode.FULL, window=window)
    assert plan_walk(stored, window).resume
    other = Window(T0, T0 + timedelta(days=2))
    fresh = plan_walk(stored, other)
    assert (fresh.resume, fresh.mode, fresh.window) == (False, WalkMode.FULL, other)
    # a scheduled run (no window asked) finishes whatever walk is stored
    assert plan_walk(stored).window == window
    # and the CLI without a window does not resume a windowed walk
    assert not plan_walk(stored, Window()).resume


# -- windows -----------------------------------------------------------------------------------
def test_dates_cover_whole_days_in_the_owner_s_zone() -> None:
    window = parse_window("2026-03-28", "2026-03-29", BERLIN)
    # Berlin: +01:00 on the 28th, clocks go forward on the 29th (+02:00 from then)
    assert window.since == datetime(2026, 3, 27, 23, tzinfo=UTC)
    assert window.until == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert window.contains(datetime(2026, 3, 29, 21, 59, tzinfo=UTC))
    assert not window.contains(datetime(2026, 3, 29, 22, tzinfo=UTC))


def test_times_with_and_without_an_offset() -> None:
    window = parse_window("2026-11-01T01:30:00", "2026-11-01T12:00:00+00:00", NEW_YORK)
    # 01:30 happened twice in New York that night: read as PostgreSQL does (the later one)
    assert window.since == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert window.until == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert parse_window(None, None, NEW_YORK).is_open


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("yesterday", None, "since"),
        (None, "2026-02-30", "until"),
        ("2026-02-02", "2026-02-01", "since"),
    ],
)
def test_a_bad_window_names_the_option(since: str | None, until: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_window(since, until, BERLIN)
    assert caught.value.field == field


# -- where a walk stops ------------------------------------------------------------------------
def _page(count: int = 10, *, newest_first: bool = True) -> object:
    fake = FakePlus(per_page=count, zone="UTC")
    messages = make_messages(count, room="cam_room", shape="shape_a", zone="UTC")
    fake.add_room("cam_room", messages if newest_first else list(reversed(messages)))
    return read_chat_page(fake.chat_page("room", "cam_room", 1))


def test_catching_up_stops_at_a_page_with_nothing_new() -> None:
    page = _page()
    assert stop_after(page, mode=WalkMode.CATCH_UP, window=Window(), kept=10, new=0) is (
        StopReason.CAUGHT_UP
    )
    assert stop_after(page, mode=WalkMode.CATCH_UP, window=Window(), kept=10, new=1) is None
    # a full walk never stops for that: resumed pages may hold known lines
    assert stop_after(page, mode=WalkMode.FULL, window=Window(), kept=10, new=0) is None


@pytest.mark.parametrize("newest_first", [True, False])
def test_a_window_stops_the_walk_only_past_it_in_the_pages_direction(newest_first: bool) -> None:
    page = _page(newest_first=newest_first)
    times = sorted(m.occurred_at for m in page.messages)  # type: ignore[attr-defined]
    later = Window(since=times[-1] + timedelta(seconds=1))
    earlier = Window(until=times[0])
    stop_later = stop_after(page, mode=WalkMode.FULL, window=later, kept=0, new=0)
    stop_earlier = stop_after(page, mode=WalkMode.FULL, window=earlier, kept=0, new=0)
    if newest_first:  # the next pages are older: past a window that is later
        assert (stop_later, stop_earlier) == (StopReason.BEYOND_WINDOW, None)
    else:  # the next pages are newer: past a window that is earlier
        assert (stop_later, stop_earlier) == (None, StopReason.BEYOND_WINDOW)


def test_only_messages_inside_the_window_are_kept() -> None:
    page = _page()
    times = sorted(m.occurred_at for m in page.messages)  # type: ignore[attr-defined]
    window = Window(times[2], times[5])
    assert sorted(m.occurred_at for m in kept_messages(page, window)) == times[2:5]  # type: ignore[arg-type]


# -- whose history a line joins ----------------------------------------------------------------
def _message(sender: str, room: str | None, **raw: object) -> object:
    item = {"id": 5, "created_at": "2026-01-10T12:00:00Z", "username": sender, "message": "hi",
            **({"room": room} if room else {}), **raw}  # fmt: skip
    (message,) = read_chat_page({"data": [item]}).messages
    return message


def test_a_viewer_s_line_is_theirs_and_the_room_is_a_model() -> None:
    line = imported_line(_message("alice", "cam_room"), owner="the_owner")  # type: ignore[arg-type]
    assert (line.person, line.broadcaster, line.content) == ("alice", "cam_room", "hi")
    assert line.sightings == (("cam_room", Role.MODEL), ("alice", Role.VIEWER))
    assert line.metadata == {"plus_id": "5", "elsewhere": True}


def test_the_owner_s_line_elsewhere_belongs_to_that_room() -> None:
    line = imported_line(_message("the_owner", "cam_room"), owner="the_owner")  # type: ignore[arg-type]
    assert line.person == "cam_room"
    assert line.metadata["actor"] == "the_owner"
    assert line.sightings == (("cam_room", Role.MODEL), ("the_owner", Role.MODEL))


def test_a_line_in_the_owner_s_room_and_one_without_a_room() -> None:
    own = imported_line(_message("bob", "the_owner", tokens=25), owner="the_owner")  # type: ignore[arg-type]
    assert (own.person, own.metadata) == ("bob", {"plus_id": "5", "tokens": 25})
    roomless = imported_line(_message("bob", None), owner="the_owner")  # type: ignore[arg-type]
    assert (roomless.broadcaster, roomless.sightings) == (None, (("bob", Role.VIEWER),))


# -- twins -------------------------------------------------------------------------------------
def _candidate(id_: int, seconds: float, *, person: int = 1, text: str | None = "hello",
               tokens: int | None = None, room: str = "r") -> TwinCandidate:  # fmt: skip
    return TwinCandidate(id_, person, room, text, tokens, T0 + timedelta(seconds=seconds))


def test_a_copy_is_linked_to_the_nearest_live_line_one_to_one() -> None:
    copies = [_candidate(1, 0), _candidate(2, 1)]
    live = [_candidate(10, 0.9), _candidate(11, 30)]
    # the nearest pair (2, 10: 0.1 s) is taken first, so copy 1 gets the line 30 s away
    assert match_twins(copies, live) == [(1, 11, REASON_CHAT), (2, 10, REASON_CHAT)]


@pytest.mark.parametrize(
    ("live", "why"),
    [
        (_candidate(10, 121), "more than 2 minutes apart"),
        (_candidate(10, 1, person=2), "another person"),
        (_candidate(10, 1, room="other"), "another room"),
        (_candidate(10, 1, text="hello!"), "another text"),
        (_candidate(10, 1, tokens=5), "a tip is not a chat line"),
    ],
)
def test_no_link_when_anything_differs(live: TwinCandidate, why: str) -> None:
    assert match_twins([_candidate(1, 0)], [live]) == [], why


def test_tips_match_by_tokens_and_text_by_text_without_surrounding_blanks() -> None:
    tip = _candidate(1, 0, text="thanks", tokens=50)
    assert match_twins([tip], [_candidate(10, 3, text=None, tokens=50)]) == [(1, 10, REASON_TIP)]
    assert match_twins([tip], [_candidate(10, 3, tokens=51)]) == []
    spaced = _candidate(2, 0, text=" hello ")
    assert match_twins([spaced], [_candidate(10, 2)]) == [(2, 10, REASON_CHAT)]


# -- what of a raw response is kept ------------------------------------------------------------
def test_the_account_and_credentials_are_not_kept_the_chat_is() -> None:
    page = FakePlus().chat_page("room", "cam_room", 1)
    page["props"]["_token"] = "csrf"
    kept = storable_body(page)
    assert kept["props"]["auth"] == REMOVED
    assert "_token" not in kept["props"]
    assert kept["props"]["messages"] == page["props"]["messages"]
    assert page["props"]["auth"] != REMOVED  # the response itself is untouched
    bare = {"data": [{"message": "x"}]}
    assert storable_body(bare) is bare


def test_a_response_s_identity_is_its_url_and_body() -> None:
    text = response_text({"b": 1, "a": "é"})
    assert text == '{"b":1,"a":"é"}'
    assert response_digest("u", text) == response_digest("u", text)
    assert response_digest("u", text) != response_digest("v", text)
    assert response_digest(None, text) != response_digest("u", text)


def test_counts_add_up_and_keep_extras() -> None:
    total = ImportCounts(pages=1, new=3)
    total.add(ImportCounts(pages=2, new=4, twins=1))
    total.extra["targets"] = 2
    assert total.as_dict()["pages"] == 3
    assert (total.as_dict()["new"], total.as_dict()["twins"], total.as_dict()["targets"]) == (
        7,
        1,
        2,
    )


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidInput):
        Window(T0, T0)
