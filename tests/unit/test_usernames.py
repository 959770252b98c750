import pytest
from mhc.domain.usernames import InvalidUsername, is_auto_excluded, normalize_username


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice_99", "alice_99"),
        ("  bob  ", "bob"),
        ("SMK_LOVER", "smk_lover"),
        ("a" * 64, "a" * 64),
    ],
)
def test_valid_names_are_case_folded(raw: str, expected: str) -> None:
    assert normalize_username(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "has space", "dash-name", "émile", "a" * 65, "x;drop"])
def test_names_outside_chaturbate_rules_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidUsername):
        normalize_username(raw)


def test_smk_lover_is_auto_excluded() -> None:
    assert is_auto_excluded("smk_lover")
    assert not is_auto_excluded("smk_lover2")
