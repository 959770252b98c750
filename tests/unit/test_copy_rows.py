from datetime import UTC, datetime, timedelta, timezone

import pytest
from mhc.store.copy_rows import NULL, json_field, rows_text, text_field, time_field


def test_text_escapes_copy_specials() -> None:
    assert text_field("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert text_field(None) == NULL
    assert text_field("\\N") == "\\\\N"  # a literal backslash-N is not NULL


def test_json_keeps_unicode_and_escapes_backslashes() -> None:
    assert json_field({"m": 'say "hi"\n', "u": "ü"}) == '{"m":"say \\\\"hi\\\\"\\\\n","u":"ü"}'


def test_times_must_be_aware() -> None:
    assert time_field(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"
    assert time_field(datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))).endswith(
        "+02:00"
    )
    with pytest.raises(ValueError, match="naive"):
        time_field(datetime(2026, 1, 1))  # noqa: DTZ001


def test_rows() -> None:
    assert rows_text([("1", "a"), ("2", NULL)]) == b"1\ta\n2\t\\N\n"


def test_nul_is_replaced_but_typed_escape_text_is_kept() -> None:
    assert json_field({"m": "a\x00b"}) == '{"m":"a\\\\ufffdb"}'
    typed = "\\u0000"  # a user literally typed backslash-u-0-0-0-0
    assert json_field({"m": typed}) == '{"m":"\\\\\\\\u0000"}'
