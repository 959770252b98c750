"""Username extraction from pasted text: only unambiguous forms count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mhc.domain.extraction import MAX_EXTRACTED, extract_usernames
from mhc.domain.usernames import USERNAME_PATTERN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://chaturbate.com/Alice_01/", ["alice_01"]),
        ("see chaturbate.com/bob and https://www.chaturbate.com/p/carol/", ["bob", "carol"]),
        ("thanks @Dave_X for the tip, and @erin.", ["dave_x", "erin"]),
        ("alice\nBob\n  carol_3  ", ["alice", "bob", "carol_3"]),
        ("alice, bob; alice", ["alice", "bob"]),
        ("single_name", ["single_name"]),
        # Site pages are not rooms; the profile path /p/<name>/ is.
        ("https://chaturbate.com/tag/feet/ https://chaturbate.com/p/tag/", ["tag"]),
        # Order of first appearance across URLs and mentions.
        ("@zed then chaturbate.com/amy/", ["zed", "amy"]),
    ],
)
def test_extracts_unambiguous_usernames(text: str, expected: list[str]) -> None:
    # Given pasted text / When extracting / Then the names appear in order, case-folded
    assert extract_usernames(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Hello there! I love purple lights.",  # prose: words are not names
        "Followers: 1234\nLocation: Europe",
        "mail me at someone@example.com",
        "https://example.com/alice",
        "x" * 65,  # longer than a Chaturbate name
        "chaturbate.com/" + "y" * 65,
    ],
)
def test_ignores_text_without_a_clear_username(text: str) -> None:
    assert extract_usernames(text) == []


def test_a_url_or_mention_turns_off_list_reading() -> None:
    # Given prose words plus one mention / Then only the mention counts
    assert extract_usernames("great show\n@alice") == ["alice"]


def test_caps_the_number_of_names() -> None:
    text = " ".join(f"user_{n}" for n in range(MAX_EXTRACTED + 10))
    names = extract_usernames(text)
    assert len(names) == MAX_EXTRACTED
    assert names[0] == "user_0"
    assert extract_usernames(text, limit=3) == ["user_0", "user_1", "user_2"]


@given(st.text(max_size=300))
def test_every_result_is_a_valid_distinct_username(text: str) -> None:
    names = extract_usernames(text)
    assert all(USERNAME_PATTERN.match(name) for name in names)
    assert len(names) == len(set(names))
    assert len(names) <= MAX_EXTRACTED
