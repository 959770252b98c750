from mhc.domain.deltas import compute_delta


def test_seed_delta_example() -> None:
    # Given two consecutive Statbate member snapshots where only all_time_tokens is numeric in both
    old = {"all_time_tokens": 1000, "tips": "n/a"}
    new = {"all_time_tokens": 3000, "tips": 12, "models_tipped_2weeks": 2}
    # Then the delta is new - old for it, null for the rest, over the union of keys
    assert compute_delta(old, new) == {
        "all_time_tokens": 2000,
        "tips": None,
        "models_tipped_2weeks": None,
    }


def test_first_snapshot_has_no_delta() -> None:
    assert compute_delta(None, {"a": 1}) is None


def test_booleans_and_nulls_are_not_numbers() -> None:
    assert compute_delta({"a": True, "b": None, "c": 1.5}, {"a": False, "b": 3, "c": 2}) == {
        "a": None,
        "b": None,
        "c": 0.5,
    }


def test_negative_and_float_deltas() -> None:
    assert compute_delta({"x": 10, "y": 0.1}, {"x": 4, "y": 0.3}) == {"x": -6, "y": 0.2}
