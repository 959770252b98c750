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


@pytest.mark.parametrize("value", ["\u212aing", "ali\u0307ce", "Ｆｕｌｌｗｉｄｔｈ"])
def test_look_alike_and_non_ascii_names_are_refused(value: str) -> None:
    # The Kelvin sign lower-cases to "k" (so "\u212aing" would become someone else's "king");
    # fullwidth and combining characters are not Chaturbate's
    with pytest.raises(InvalidUsername):
        normalize_username(value)
