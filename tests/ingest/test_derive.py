"""Per-method semantics of the Events API -> history rules (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mhc.domain.events import EventMethod
from mhc.domain.ingest import Derivation, SessionSignal, derive
from mhc.domain.models import InteractionType
from mhc.domain.roles import Role

OWNER = "owner_cam"
ID = "1755376889458-0"


def _derive(method: str, obj: dict[str, Any]) -> Derivation:
    return derive({"method": method, "id": ID, "object": obj}, OWNER)


def _user(name: str = "Viewer_One", **extra: Any) -> dict[str, Any]:
    return {
        "username": name,
        "inFanclub": False,
        "hasTokens": True,
        "isMod": False,
        "recentTips": "few",
        "gender": "m",
        "colorGroup": "tr",
        **extra,
    }


@pytest.mark.parametrize(
    ("method", "extra", "kind"),
    [
        (
            "chatMessage",
            {"message": {"message": "hello", "color": "#fff", "bgColor": None, "font": "default"}},
            InteractionType.CHAT_MESSAGE,
        ),
        ("follow", {}, InteractionType.FOLLOW),
        ("unfollow", {}, InteractionType.UNFOLLOW),
        ("userEnter", {}, InteractionType.USER_ENTER),
        ("userLeave", {}, InteractionType.USER_LEAVE),
        ("fanclubJoin", {}, InteractionType.FANCLUB_JOIN),
        (
            "tip",
            {"tip": {"tokens": 25, "isAnon": False, "message": "| hi"}},
            InteractionType.TIP_EVENT,
        ),
        (
            "mediaPurchase",
            {"media": {"id": 12, "type": "photos", "name": "set one", "tokens": 50}},
            InteractionType.MEDIA_PURCHASE,
        ),
    ],
)
def test_room_user_events_belong_to_the_viewer(
    method: str, extra: dict[str, Any], kind: InteractionType
) -> None:
    derived = _derive(method, {"broadcaster": OWNER, "user": _user(), **extra})
    assert derived.interaction is not None
    assert derived.interaction.type is kind
    assert derived.interaction.username == "viewer_one"
    assert derived.interaction.broadcaster == OWNER
    assert derived.interaction.external_id == ID
    assert derived.interaction.metadata["user"]["recentTips"] == "few"
    assert "elsewhere" not in derived.interaction.metadata
    assert set(derived.sightings) >= {
        *[s for s in derived.sightings if s.username == OWNER and s.role is Role.MODEL],
    }
    assert any(s.username == "viewer_one" and s.role is Role.VIEWER for s in derived.sightings)
    assert derived.session_signal is None


def test_chat_content_and_style() -> None:
    derived = _derive(
        "chatMessage",
        {
            "broadcaster": OWNER,
            "user": _user(),
            "message": {"message": "hi there", "color": "#494949", "font": "default"},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.content == "hi there"
    assert derived.interaction.metadata["color"] == "#494949"


def test_tip_keeps_tokens_and_message() -> None:
    derived = _derive(
        "tip",
        {
            "broadcaster": OWNER,
            "user": _user(),
            "tip": {"tokens": 25, "isAnon": False, "message": "| hi"},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.metadata["tokens"] == 25
    assert derived.interaction.metadata["isAnon"] is False
    assert derived.interaction.content == "| hi"


def test_anonymous_tip_keeps_the_user_but_is_flagged() -> None:
    derived = _derive(
        "tip",
        {"broadcaster": OWNER, "user": _user("secret_fan"), "tip": {"tokens": 100, "isAnon": True}},
    )
    assert derived.interaction is not None
    assert derived.interaction.username == "secret_fan"
    assert derived.interaction.metadata["isAnon"] is True


@pytest.mark.parametrize("media_id", [12, "12"])
def test_media_id_int_or_str_is_stored_as_text(media_id: object) -> None:
    derived = _derive(
        "mediaPurchase",
        {
            "broadcaster": OWNER,
            "user": _user(),
            "media": {"id": media_id, "type": "socialMedia", "name": "x", "tokens": 9},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.metadata["media"] == {
        "id": "12",
        "type": "socialMedia",
        "name": "x",
        "tokens": 9,
    }
    assert derived.interaction.metadata["tokens"] == 9


def test_private_message_from_a_viewer_belongs_to_the_viewer() -> None:
    derived = _derive(
        "privateMessage",
        {
            "broadcaster": OWNER,
            "user": _user("fan_a"),
            "message": {"message": "psst", "fromUser": "fan_a", "toUser": OWNER},
        },
    )
    assert derived.interaction is not None
    assert (derived.interaction.username, derived.interaction.type) == (
        "fan_a",
        InteractionType.PRIVATE_MESSAGE,
    )
    assert derived.interaction.metadata["direction"] == "incoming"
    assert derived.interaction.content == "psst"


def test_private_message_from_the_owner_belongs_to_the_recipient() -> None:
    derived = _derive(
        "privateMessage",
        {
            "broadcaster": OWNER,
            "user": _user(OWNER),
            "message": {"message": "thanks!", "fromUser": OWNER, "toUser": "Fan_B"},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.username == "fan_b"
    assert derived.interaction.metadata["direction"] == "outgoing"
    assert any(s.username == "fan_b" and s.role is Role.VIEWER for s in derived.sightings)


def test_empty_broadcaster_is_a_direct_message() -> None:
    derived = _derive(
        "privateMessage",
        {
            "broadcaster": "",
            "user": _user("dm_friend"),
            "message": {"message": "hey", "fromUser": "dm_friend", "toUser": OWNER},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.type is InteractionType.DIRECT_MESSAGE
    assert derived.interaction.broadcaster is None
    assert derived.interaction.username == "dm_friend"


def test_owner_activity_elsewhere_stays_with_that_room() -> None:
    # The owner tips in another model's room: it is the owner's activity there, not in the owner's room.
    derived = _derive(
        "tip",
        {
            "broadcaster": "other_model",
            "user": _user(OWNER),
            "tip": {"tokens": 50, "isAnon": False},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.broadcaster == "other_model"
    assert derived.interaction.username == "other_model"
    assert derived.interaction.metadata["elsewhere"] is True
    assert derived.interaction.metadata["actor"] == OWNER
    assert any(s.username == "other_model" and s.role is Role.MODEL for s in derived.sightings)


def test_owner_entering_another_room() -> None:
    derived = _derive("userEnter", {"broadcaster": "other_model", "user": _user(OWNER)})
    assert derived.interaction is not None
    assert (derived.interaction.username, derived.interaction.broadcaster) == (
        "other_model",
        "other_model",
    )


def test_room_subject_change_belongs_to_the_room() -> None:
    derived = _derive("roomSubjectChange", {"broadcaster": OWNER, "subject": "Goal: 500 tokens"})
    assert derived.interaction is not None
    assert derived.interaction.type is InteractionType.ROOM_SUBJECT_CHANGE
    assert derived.interaction.username == OWNER
    assert derived.interaction.content == "Goal: 500 tokens"


@pytest.mark.parametrize(
    ("method", "signal"),
    [("broadcastStart", SessionSignal.START), ("broadcastStop", SessionSignal.STOP)],
)
def test_owner_broadcast_start_stop_signal_sessions(method: str, signal: SessionSignal) -> None:
    derived = _derive(method, {"broadcaster": OWNER, "user": _user(OWNER)})
    assert derived.session_signal is signal
    assert derived.interaction is None


def test_another_broadcasters_start_is_not_the_owners_session() -> None:
    derived = _derive(
        "broadcastStart", {"broadcaster": "other_model", "user": _user("other_model")}
    )
    assert derived.session_signal is None
    assert [(s.username, s.role) for s in derived.sightings] == [("other_model", Role.MODEL)]


def test_unknown_method_derives_nothing_and_says_so() -> None:
    derived = _derive("somethingNew", {"broadcaster": OWNER, "user": _user()})
    assert derived.interaction is None
    assert derived.is_unknown_method


def test_unknown_enum_values_and_extra_fields_are_kept() -> None:
    derived = _derive(
        "userEnter", {"broadcaster": OWNER, "user": _user(recentTips="gazillions", newFlag=True)}
    )
    assert derived.interaction is not None
    assert derived.interaction.metadata["user"]["recentTips"] == "gazillions"


@pytest.mark.parametrize(
    "envelope",
    [{"id": ID}, {"method": "tip"}, {"id": "no-time", "method": "tip"}, {"id": 5, "method": "tip"}],
)
def test_envelopes_without_id_method_or_time_derive_nothing(envelope: dict[str, Any]) -> None:
    derived = derive(envelope, OWNER)
    assert derived.interaction is None
    assert derived.problems


def test_fields_of_the_wrong_type_count_as_absent() -> None:
    derived = _derive(
        "chatMessage",
        {
            "broadcaster": OWNER,
            "user": {"username": "fan", "inFanclub": "maybe"},
            "message": {"message": 42, "color": "#fff"},
        },
    )
    assert derived.interaction is not None
    assert derived.interaction.content is None
    assert derived.problems == ()


@pytest.mark.parametrize(
    ("tip", "reason"),
    [
        # The case: the amount is not where the API puts it (no `tip` object at all)
        (None, "tip: tokens missing"),
        ({"isAnon": False, "message": "hi"}, "tip: tokens missing"),
        ({"tokens": "bad", "isAnon": False}, "tip: tokens is not a whole number"),
        ({"tokens": "100", "isAnon": False}, "tip: tokens is not a whole number"),
        ({"tokens": 12.5, "isAnon": False}, "tip: tokens is not a whole number"),
        ({"tokens": True, "isAnon": False}, "tip: tokens is not a whole number"),
        ({"tokens": 0, "isAnon": False}, "tip: tokens 0 is outside 1..10,000,000"),
        ({"tokens": -25, "isAnon": False}, "tip: tokens -25 is outside 1..10,000,000"),
        ({"tokens": 10**30, "isAnon": False}, "tip: tokens of 31 digits is outside 1..10,000,000"),
        ({"tokens": 25, "isAnon": "no"}, "tip: isAnon is not true or false"),
    ],
)
def test_a_tip_without_a_readable_amount_derives_nothing_and_says_why(
    tip: dict[str, Any] | None, reason: str
) -> None:
    # Given a tip whose amount (or anonymity) cannot be read as documented
    obj: dict[str, Any] = {"broadcaster": OWNER, "user": _user("fan"), "amount": 100}
    if tip is not None:
        obj["tip"] = tip
    derived = _derive("tip", obj)
    # Then nothing half-right is derived (no tip without tokens, no sighting) and the reason
    # says what is wrong
    assert derived.interaction is None
    assert derived.sightings == ()
    assert derived.problems == (reason,)
    assert not derived.is_unknown_method


@pytest.mark.parametrize(
    ("event_id", "reason"),
    [
        # Epoch seconds read as milliseconds: January 1970
        (
            "1767225600-0",
            "event id '1767225600-0': time 1970-01-21T10:53:45.600Z is outside the years"
            " 2000-2099 (UTC)",
        ),
        # Epoch microseconds: year 57970
        (
            "1767225600000000-0",
            "event id '1767225600000000-0': time is outside the years 2000-2099 (UTC)",
        ),
        (
            "946684799999-0",
            "event id '946684799999-0': time 1999-12-31T23:59:59.999Z is outside the years"
            " 2000-2099 (UTC)",
        ),
        ("no-time", "event id 'no-time': has no '<epoch-ms>-<seq>' prefix"),
    ],
)
def test_an_event_id_with_an_implausible_time_is_a_problem(event_id: str, reason: str) -> None:
    derived = derive({"method": "userEnter", "id": event_id, "object": {}}, OWNER)
    assert derived.interaction is None
    assert derived.problems == (reason,)


def test_event_times_are_read_only_inside_the_sane_range() -> None:
    from datetime import UTC, datetime

    from mhc.domain.events import event_time

    assert event_time("946684800000-0") == datetime(2000, 1, 1, tzinfo=UTC)
    assert event_time("4102444799999-3") == datetime(2099, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    for implausible in ("946684799999-0", "4102444800000-0", "1767225600-0", "0-0"):
        with pytest.raises(ValueError, match="outside"):
            event_time(implausible)


def test_every_documented_method_of_the_official_examples_derives_without_problems() -> None:
    # Given the official documentation's example object of each of the 12 methods
    samples = Path(__file__).resolve().parents[1] / "fakes" / "samples"
    objects = json.loads((samples / "events_official_docs_examples.json").read_text())[
        "object_by_method"
    ]
    assert set(objects) == set(EventMethod)
    for index, (method, obj) in enumerate(sorted(objects.items())):
        # When each is derived
        derivation = derive(
            {"method": method, "id": f"17000000000{index:02d}-0", "object": obj}, OWNER
        )
        # Then it is a known method read with no problem
        assert not derivation.is_unknown_method, method
        assert derivation.problems == (), (method, derivation.problems)
