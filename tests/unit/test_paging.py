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


def _forge(*values: object) -> str:
    import base64
    import json

    raw = json.dumps(list(values)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED = {
    # A bool passes isinstance(int): the id `true` reached SQL and answered 500.
    "id true": _forge("2030-01-01T00:00:00+00:00", True),
    "id false": _forge("2030-01-01T00:00:00+00:00", False),
    "id 0": _forge("2030-01-01T00:00:00+00:00", 0),
    "id negative": _forge("2030-01-01T00:00:00+00:00", -5),
    "id beyond int64": _forge("2030-01-01T00:00:00+00:00", 2**63),
    "id float": _forge("2030-01-01T00:00:00+00:00", 1.5),
    "id text": _forge("2030-01-01T00:00:00+00:00", "7"),
    "id null": _forge("2030-01-01T00:00:00+00:00", None),
    "year 10000 in UTC": _forge("9999-12-31T23:59:59-14:00", 7),
    "year 0 in UTC": _forge("0001-01-01T00:00:00+14:00", 7),
    "1970": _forge("1970-01-01T00:00:00+00:00", 7),
    "naive time": _forge("2030-01-01T00:00:00", 7),
    "time not text": _forge(12345, 7),
    "three parts": _forge("2030-01-01T00:00:00+00:00", 7, 8),
    "one part": _forge("2030-01-01T00:00:00+00:00"),
    "an object": _forge({"a": 1}),
}


@pytest.mark.parametrize("forged", list(FORGED.values()), ids=list(FORGED))
def test_forged_cursors_are_rejected_by_type_and_range(forged: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_cursor(forged)
    assert info.value.field == "cursor"


def test_a_cursor_at_the_edges_of_the_range_is_accepted() -> None:
    first = datetime(2000, 1, 1, tzinfo=UTC)
    assert decode_cursor(encode_cursor(first, 2**63 - 1)) == (first, 2**63 - 1)
    assert decode_cursor(_forge("2099-12-31T23:59:59+00:00", 1))[1] == 1
