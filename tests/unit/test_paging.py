from datetime import UTC, datetime

import pytest
from mhc.domain.errors import InvalidInput
from mhc.domain.paging import check_limit, decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)


@pytest.mark.parametrize("garbage", ["", "abc", "!!!", "W10", "WyJ4IiwxXQ"])
def test_foreign_cursors_are_rejected_naming_the_field(garbage: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_cursor(garbage)
    assert info.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(InvalidInput):
        check_limit(limit)
