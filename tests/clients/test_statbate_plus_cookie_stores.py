"""Where the Statbate Plus session is kept: a private, atomically replaced local file, or two
SSM SecureStrings (moto); neither ever puts old cookies back over newly pasted ones."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from mhc.config import ConfigError, load_settings
from mhc.domain.plus_cookies import SESSION_COOKIE, XSRF_COOKIE, CorruptCookies, PlusCookies
from mhc.runtime.cookie_store import FileCookieStore, SsmCookieStore, cookie_store
from moto import mock_aws

PASTED = PlusCookies.pasted("pastedSESSION01", "pastedXSRF%3D")
ROTATED = PlusCookies(
    {SESSION_COOKIE: "rotatedSESSION02", XSRF_COOKIE: "rotatedXSRF%3D", "cf_clearance": "cf9"}
)
SESSION_PARAM = "/mhc/test/plus-session"
XSRF_PARAM = "/mhc/test/plus-xsrf"


# -- the local file ------------------------------------------------------------------------
def test_the_file_starts_from_the_paste_and_keeps_rotations_privately(tmp_path: Path) -> None:
    store = FileCookieStore(tmp_path / "state" / "plus.json", PASTED)
    assert store.load() == PASTED  # nothing saved yet
    store.save(ROTATED)
    assert store.load() == ROTATED  # every cookie kept, Cloudflare's included
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["plus.json"]
    assert FileCookieStore(store.path, None).load() == ROTATED  # no paste: the file


def test_a_new_paste_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plus.json"
    FileCookieStore(path, PASTED).save(ROTATED)
    newer = PlusCookies.pasted("pastedAGAIN03", "x%3D")
    assert FileCookieStore(path, newer).load() == newer
    # and once a run under the new paste saved its rotation, that rotation wins again
    FileCookieStore(path, newer).save(ROTATED)
    assert FileCookieStore(path, newer).load() == ROTATED


def test_a_failed_save_keeps_the_previous_jar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileCookieStore(tmp_path / "plus.json", None)
    store.save(PASTED)

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.save(ROTATED)
    assert store.load() == PASTED
    assert [p.name for p in tmp_path.iterdir()] == ["plus.json"]


@pytest.mark.parametrize(
    "content",
    [
        "statbate_plus_session=secretVALUE77",
        json.dumps({"cookies": {SESSION_COOKIE: "secretVALUE77 with space"}}),
        json.dumps({"cookies": {SESSION_COOKIE: 77}}),
        json.dumps({"jar": {SESSION_COOKIE: "secretVALUE77"}}),
    ],
)
def test_an_unreadable_file_is_corrupt_never_shown_unless_a_paste_stands_in(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "plus.json"
    path.write_text(content, "utf-8")
    with pytest.raises(CorruptCookies, match="unreadable") as caught:
        FileCookieStore(path, None).load()
    assert "secretVALUE77" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert FileCookieStore(path, PASTED).load() == PASTED


# -- SSM ---------------------------------------------------------------------------------------
@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name=SESSION_PARAM, Value="pastedSESSION01", Type="SecureString")
        client.put_parameter(Name=XSRF_PARAM, Value="pastedXSRF%3D", Type="SecureString")
        yield client


def _value(ssm: Any, name: str) -> str:
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def test_ssm_loads_the_two_parameters_and_saves_rotations(ssm: Any) -> None:
    store = SsmCookieStore(SESSION_PARAM, XSRF_PARAM, client=ssm)
    assert store.load() == PASTED
    store.save(ROTATED)
    assert (_value(ssm, SESSION_PARAM), _value(ssm, XSRF_PARAM)) == (
        "rotatedSESSION02",
        "rotatedXSRF%3D",
    )
    described = ssm.describe_parameters()["Parameters"]
    assert {p["Type"] for p in described} == {"SecureString"}
    # A later save of the same values writes nothing (SSM throttles writes)
    versions = {p["Name"]: p["Version"] for p in described}
    store.save(ROTATED)
    assert {p["Name"]: p["Version"] for p in ssm.describe_parameters()["Parameters"]} == versions
    assert SsmCookieStore(SESSION_PARAM, XSRF_PARAM, client=ssm).load() == PlusCookies(
        {SESSION_COOKIE: "rotatedSESSION02", XSRF_COOKIE: "rotatedXSRF%3D"}
    )


def test_ssm_never_overwrites_cookies_pasted_during_the_run(ssm: Any) -> None:
    # Given a run that loaded the old cookies
    store = SsmCookieStore(SESSION_PARAM, XSRF_PARAM, client=ssm)
    store.load()
    # When the owner pastes new ones (the UI's session form) before the run saves its rotation
    ssm.put_parameter(Name=SESSION_PARAM, Value="ownerNEW04", Type="SecureString", Overwrite=True)
    store.save(ROTATED)
    # Then the owner's cookies stay
    assert _value(ssm, SESSION_PARAM) == "ownerNEW04"
    assert _value(ssm, XSRF_PARAM) == "pastedXSRF%3D"


def test_ssm_without_a_session_is_none_and_junk_is_corrupt(ssm: Any) -> None:
    assert SsmCookieStore("/mhc/absent-a", "/mhc/absent-b", client=ssm).load() is None
    ssm.put_parameter(Name=SESSION_PARAM, Value="has space", Type="SecureString", Overwrite=True)
    with pytest.raises(CorruptCookies) as caught:
        SsmCookieStore(SESSION_PARAM, XSRF_PARAM, client=ssm).load()
    assert "has space" not in str(caught.value)


# -- which store ---------------------------------------------------------------------------
def test_the_store_follows_the_settings(
    ssm: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    local = cookie_store(load_settings(mhc_data_dir=tmp_path))
    assert isinstance(local, FileCookieStore)
    assert local.path == tmp_path / "statbate-plus-cookies.json"
    assert local.load() is None
    monkeypatch.setenv("MHC_STATBATE_PLUS_SESSION", f"{SESSION_COOKIE}=pastedSESSION01")
    monkeypatch.setenv("MHC_STATBATE_PLUS_XSRF", "pastedXSRF%3D")
    assert cookie_store(load_settings(mhc_data_dir=tmp_path)).load() == PASTED
    monkeypatch.setenv("MHC_STATBATE_PLUS_SESSION", "bad value")
    with pytest.raises(ConfigError, match="MHC_STATBATE_PLUS_SESSION") as caught:
        cookie_store(load_settings())
    assert "bad value" not in str(caught.value)
    monkeypatch.delenv("MHC_STATBATE_PLUS_SESSION")
    monkeypatch.delenv("MHC_STATBATE_PLUS_XSRF")
    monkeypatch.setenv("MHC_STATBATE_PLUS_SESSION_PARAM", SESSION_PARAM)
    with pytest.raises(ConfigError, match="MHC_STATBATE_PLUS_XSRF_PARAM"):
        cookie_store(load_settings())
    monkeypatch.setenv("MHC_STATBATE_PLUS_XSRF_PARAM", XSRF_PARAM)
    remote = cookie_store(load_settings())
    assert isinstance(remote, SsmCookieStore)
    assert remote.load() == PASTED
