"""Usernames in pasted text: the formats a broadcaster copies, and only unambiguous names.

The corpus (`paste_corpus/*.txt`, expectations in `paste_corpus/expected.json`) holds
real-looking copies: Chaturbate chat with tips, notices, timestamps and emoji; user lists; room
URLs; mentions; profiles and prose that must name nobody.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mhc.domain.extraction import (
    MAX_EXTRACTED,
    MAX_LINE_TEXT,
    MAX_PASTE_CHARS,
    MAX_UNREAD_LINES,
    PasteFormat,
    PasteReading,
    extract_usernames,
    read_paste,
)
from mhc.domain.usernames import USERNAME_PATTERN

CORPUS = Path(__file__).parent / "paste_corpus"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())


def _paste(name: str) -> str:
    # newline="" keeps the file's own line endings (one file is CRLF on purpose)
    with (CORPUS / name).open(encoding="utf-8", newline="") as file:
        return file.read()


def _summary(reading: PasteReading) -> dict[str, Any]:
    return {
        "names": [[f.username, f.line, f.format.value, f.lines] for f in reading.names],
        "unread": [line.line for line in reading.unread],
    }


def test_every_corpus_file_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(path.name for path in CORPUS.glob("*.txt"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_reads_as_expected(name: str) -> None:
    # Given a real-looking copy / When read / Then each name, its first line and format
    text = _paste(name)
    reading = read_paste(text)
    assert _summary(reading) == EXPECTED[name]
    # And each name quotes the line it came from, and each unread line is quoted too
    lines = text.splitlines()
    for found in reading.names:
        assert found.text == lines[found.line - 1].strip()
    for unread in reading.unread:
        assert unread.text == lines[unread.line - 1].strip()
    assert reading.unread_count == len(reading.unread)
    assert not reading.truncated
    assert not reading.more_names


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_line_endings_do_not_change_the_reading(name: str) -> None:
    text = _paste(name).replace("\r\n", "\n")
    expected = _summary(read_paste(text))
    assert _summary(read_paste(text.replace("\n", "\r\n"))) == expected
    assert _summary(read_paste(text.replace("\n", "\r"))) == expected


def test_the_crlf_corpus_file_really_has_crlf() -> None:
    assert "\r\n" in _paste("list_windows_line_endings.txt")


def test_six_chat_lines_name_every_speaker() -> None:
    # Given six chat lines in the usual `name: message` form (issue 19 found one name here)
    names = extract_usernames(_paste("chat_six_lines.txt"))
    # Then every speaker, and the one mentioned, in order of first appearance
    assert names == ["tokenking", "lucky_sam", "velvet_rose", "night_owl_77"]


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
        ("https://chaturbate.com/female-cams/", []),
        # Order of first appearance across URLs and mentions.
        ("@zed then chaturbate.com/amy/", ["zed", "amy"]),
        # One line in a chat format is a chat paste.
        ("tokenking: hey", ["tokenking"]),
        ("tokenking tipped 50 tokens", ["tokenking"]),
        ("Notice: tokenking has joined the room.", ["tokenking"]),
        # A list and links together are still a list.
        ("alice\n@bob", ["alice", "bob"]),
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
        "\n\n",
        "Hello there! I love purple lights.",  # prose: words are not names
        "great show tonight",  # words separated by spaces are prose, not a list
        "Followers: 1234\nLocation: Europe",  # labels are capitalised; names in chat are not
        "TokenKing: hi",
        "someone tipped 50 tokens",  # the name slot holds a word that is never a name
        "note: call her tomorrow",
        "Anonymous tipped 25 tokens",
        "Notice: Welcome to my room!",
        "12:30",
        "12: 30",
        "1234",
        "alice, 1234",
        "mail me at someone@example.com",
        "https://example.com/alice",
        "notchaturbate.com/alice",
        "x" * 65,  # longer than a Chaturbate name
        "chaturbate.com/" + "y" * 65,
        "@" + "z" * 65,
        "k\u212aing",  # a Kelvin sign case-folds to "k": a look-alike is not a name
        "alice\nthese are my regulars",  # a list with prose in it is not a list
    ],
)
def test_ignores_text_without_a_clear_username(text: str) -> None:
    assert extract_usernames(text) == []


def test_a_chat_line_in_a_paste_that_is_not_chat_names_nobody() -> None:
    # Given prose with one chat-shaped line and one mention
    reading = read_paste("Fun night.\ntokenking: said he would come back\nAsk @alice later.")
    # Then only the mention counts, and the chat-shaped line is reported as not understood
    assert reading.usernames == ["alice"]
    assert [line.line for line in reading.unread] == [1, 2]


def test_a_url_or_mention_turns_off_list_reading_of_prose() -> None:
    assert extract_usernames("great show\n@alice") == ["alice"]


def test_caps_the_number_of_names() -> None:
    text = "\n".join(f"user_{n}" for n in range(MAX_EXTRACTED + 10))
    reading = read_paste(text)
    assert len(reading.names) == MAX_EXTRACTED
    assert reading.more_names
    assert reading.names[0].username == "user_0"
    assert extract_usernames(text, limit=3) == ["user_0", "user_1", "user_2"]
    assert not read_paste("alice\nbob", limit=2).more_names


def test_counts_every_line_that_names_a_person_even_past_the_cap() -> None:
    text = "\n".join(["tokenking: hi", "alice: yo", "bob: hey", "tokenking: again"])
    reading = read_paste(text, limit=1)
    assert [(f.username, f.lines) for f in reading.names] == [("tokenking", 2)]
    assert reading.more_names


def test_reads_at_most_max_paste_chars_and_never_a_cut_name() -> None:
    # Given a list longer than the limit whose cut falls inside a name
    first = "alice\n" * ((MAX_PASTE_CHARS - 20) // 6)
    text = first + "x" * 14 + "\nbob_long_name_here\ncarol\n"
    assert len(first) + 14 < MAX_PASTE_CHARS < len(first) + 15 + len("bob_long_name_here")
    # When read / Then the cut line and everything after it are left out, and it says so
    reading = read_paste(text)
    assert reading.truncated
    assert reading.usernames == ["alice", "x" * 14]
    assert reading.names[0].lines == first.count("\n")


def test_a_long_line_is_quoted_around_the_name() -> None:
    line = "x " * 400 + "https://chaturbate.com/far_away/ " + "y " * 400
    (found,) = read_paste(line).names
    assert found.username == "far_away"
    assert "chaturbate.com/far_away/" in found.text
    assert found.text.startswith("…")
    assert found.text.endswith("…")
    assert len(found.text) == MAX_LINE_TEXT + 2


def test_lists_at_most_max_unread_lines_and_counts_them_all() -> None:
    reading = read_paste(
        "\n".join(f"Line number {n} of prose." for n in range(MAX_UNREAD_LINES + 7))
    )
    assert reading.names == ()
    assert len(reading.unread) == MAX_UNREAD_LINES
    assert reading.unread_count == MAX_UNREAD_LINES + 7
    assert reading.unread[0].line == 1


def test_the_same_name_twice_on_one_line_is_one_line() -> None:
    (found,) = read_paste("tokenking: hi @tokenking, see chaturbate.com/tokenking").names
    assert (found.format, found.lines) == (PasteFormat.CHAT, 1)


def test_a_system_line_is_understood_but_names_nobody() -> None:
    reading = read_paste("Notice: Welcome!\nAnonymous tipped 25 tokens\ntokenking: hi")
    assert reading.usernames == ["tokenking"]
    assert reading.unread == ()


@given(st.text(max_size=300))
def test_every_result_is_a_valid_distinct_username(text: str) -> None:
    reading = read_paste(text)
    names = reading.usernames
    assert all(USERNAME_PATTERN.match(name) for name in names)
    assert len(names) == len(set(names))
    assert len(names) <= MAX_EXTRACTED
    line_count = len(text.splitlines())
    assert all(1 <= found.line <= line_count for found in reading.names)
    assert [found.line for found in reading.names] == sorted(found.line for found in reading.names)
    assert names == extract_usernames(text)


def test_ignored_names_are_understood_but_not_returned() -> None:
    # Given a chat copy where the owner speaks first / When read ignoring the owner
    text = "the_owner: welcome!\ntokenking: hi\nthe_owner: hi @tokenking"
    reading = read_paste(text, ignore={"the_owner"})
    # Then the owner is not offered, and her lines are not "not understood"
    assert reading.usernames == ["tokenking"]
    assert reading.unread == ()
    assert extract_usernames(text, ignore={"the_owner"}) == ["tokenking"]
