"""The chat import's field map: the default reads the known shapes, an override replaces only
the keys it gives, and a bad override is refused with the key at fault named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mhc.config import ConfigError, load_settings
from mhc.domain.chat_import import (
    DEFAULT_FIELD_MAP,
    DEFAULT_MAP,
    FIELD_KEYS,
    FieldMapError,
    field_map_from_override,
    read_chat_page,
)

ITEM = {"id": 1, "created_at": "2026-01-10 12:00:00", "username": "alice", "message": "hi"}


def test_the_default_map_covers_every_key_and_round_trips_as_json() -> None:
    assert set(DEFAULT_MAP.as_json()) == set(FIELD_KEYS)
    assert (
        field_map_from_override(json.dumps(DEFAULT_MAP.as_json())).candidates == DEFAULT_FIELD_MAP
    )
    assert field_map_from_override(None) is DEFAULT_MAP
    assert field_map_from_override("  ") is DEFAULT_MAP


def test_an_override_replaces_the_keys_it_gives_and_keeps_the_others() -> None:
    # Given an override that names the sender "nick" and nothing else
    field_map = field_map_from_override('{"sender": ["nick", "who.name"]}')
    # Then only that key's candidates changed
    assert field_map.candidates["sender"] == ("nick", "who.name")
    assert field_map.overridden == {"sender"}
    for key in FIELD_KEYS:
        if key != "sender":
            assert field_map.candidates[key] == DEFAULT_FIELD_MAP[key]
    # And the default's candidates for that key are gone, not appended to
    page = {"data": [ITEM, {**ITEM, "id": 2, "who": {"name": "Bob"}}]}
    read = read_chat_page(page, field_map=field_map)
    assert [m.sender for m in read.messages] == ["bob"]
    assert [u.reasons for u in read.unmapped] == [("no sender",)]


def test_a_single_string_is_a_list_of_one() -> None:
    assert field_map_from_override('{"text": "msg"}').candidates["text"] == ("msg",)


def test_root_and_list_index_paths() -> None:
    # "$" is the response itself (a bare list); a numeric segment indexes a list
    bare = read_chat_page([ITEM, {**ITEM, "id": 2}])
    assert [m.external_id for m in bare.messages] == ["id:1", "id:2"]
    field_map = field_map_from_override('{"items": ["pages.1.rows"]}')
    page = {"pages": [{"rows": []}, {"rows": [ITEM]}]}
    assert [m.message_id for m in read_chat_page(page, field_map=field_map).messages] == ["1"]


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("{not json", "not valid JSON"),
        ('["sender"]', "JSON object"),
        ('{"snder": ["nick"]}', "'snder'"),
        ('{"time": []}', "'time'"),
        ('{"time": {"path": "at"}}', "'time'"),
        ('{"text": ["body", 7]}', "'text', candidate 2"),
        ('{"room": ["room..name"]}', "'room', candidate 1"),
        ('{"id": [" id"]}', "'id', candidate 1"),
        ('{"items": [""]}', "'items', candidate 1"),
        ('{"routes": ["room/{site}/{model}/chat"]}', "'routes', candidate 1"),
        ('{"routes": ["chat", "room/{room}/{room}"]}', "'routes', candidate 2"),
        ('{"routes": ["room/<name>/chat"]}', "'routes', candidate 1"),
        (json.dumps({"next": ["n"] * 51}), "'next'"),
    ],
)
def test_a_bad_override_is_refused_naming_the_key(override: str, named: str) -> None:
    with pytest.raises(FieldMapError) as caught:
        field_map_from_override(override)
    assert named in str(caught.value)


def test_routes_name_the_room_and_the_sender() -> None:
    field_map = field_map_from_override('{"routes": ["history/{room}/by/{sender}"]}')
    found = field_map.match_route("https://plus.statbate.com/history/Some_Room/by/Bob?page=2")
    assert found is not None
    assert (found.site, found.room, found.sender) == (None, "some_room", "bob")
    assert field_map.match_route("/room/statbate/x/chat") is None  # default routes replaced
    default = DEFAULT_MAP.match_route("/api/live-sessions/statbate/Cam_Girl/chat/")
    assert default is not None
    assert (default.site, default.room) == ("statbate", "cam_girl")


def test_the_setting_takes_json_or_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MHC_STATBATE_PLUS_FIELD_MAP", '{"text": ["msg"]}')
    assert load_settings().statbate_plus_field_map().candidates["text"] == ("msg",)
    path = tmp_path / "map.json"
    path.write_text('{"sender": ["nick"]}', "utf-8")
    monkeypatch.setenv("MHC_STATBATE_PLUS_FIELD_MAP", str(path))
    field_map = load_settings().statbate_plus_field_map()
    assert field_map.candidates["sender"] == ("nick",)
    assert field_map.candidates["text"] == DEFAULT_FIELD_MAP["text"]
    monkeypatch.delenv("MHC_STATBATE_PLUS_FIELD_MAP")
    assert load_settings().statbate_plus_field_map() is DEFAULT_MAP


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('{"sender": []}', "'sender'"),
        ("/no/such/field-map.json", "neither a JSON object nor a readable file"),
        ('{"sendr": ["x"]}', "'sendr'"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, named: str
) -> None:
    monkeypatch.setenv("MHC_STATBATE_PLUS_FIELD_MAP", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "MHC_STATBATE_PLUS_FIELD_MAP" in str(caught.value)
    assert named in str(caught.value)


def test_the_other_plus_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings(mhc_data_dir=tmp_path)
    assert settings.mhc_statbate_plus_url == "https://plus.statbate.com"
    assert settings.mhc_statbate_plus_site == "statbate"
    assert settings.mhc_statbate_plus_request_interval_seconds == 2.0
    assert settings.statbate_plus_cookie_file == tmp_path / "statbate-plus-cookies.json"
    monkeypatch.setenv("MHC_STATBATE_PLUS_COOKIE_FILE", str(tmp_path / "jar.json"))
    assert load_settings().statbate_plus_cookie_file == tmp_path / "jar.json"
    monkeypatch.setenv("MHC_STATBATE_PLUS_SITE", "Not A Slug")
    with pytest.raises(ConfigError, match="MHC_STATBATE_PLUS_SITE"):
        load_settings()
