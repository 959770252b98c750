"""No regular expression that sees user or upstream text can be made slow (issue 15).

Python's `re` backtracks, holds the interpreter lock, and has no time limit: one pattern whose
cost grows with the square of its input froze the whole server for 21 s on a 50,000-character
paste. Every pattern in `mhc` that sees text from a person or an upstream API is driven here
through the code that uses it, with the inputs that hurt a backtracking engine (long runs of the
characters it repeats, near-misses that fail at the last step), and must scale linearly: 4x the
input may cost at most `LINEAR_BOUND` times as much CPU (linear ~4x, quadratic ~16x). No
wall-clock threshold anywhere (see `scaling.py`).

Patterns that see only the operator's own configuration (`config._SSM_NAME`, `migrate._FILE_NAME`)
are not here. Route patterns in FastAPI (`Path(pattern=...)`) run in pydantic-core's Rust regex
engine, which is linear by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from mhc.api import middleware
from mhc.domain.events import event_time
from mhc.domain.extraction import extract_usernames, read_paste
from mhc.domain.usernames import InvalidUsername, normalize_username
from mhc.observability import redact
from mhc.services import memory
from mhc.store.copy_rows import json_field, text_field
from unit.scaling import LINEAR_BOUND, growth, repeat_to

Case = tuple[str, Callable[[str], object], Callable[[int], str], int]


def _quietly(work: Callable[[str], object]) -> Callable[[str], object]:
    """Run `work`, treating a rejection as the normal end of the work (validators raise)."""

    def run(text: str) -> object:
        try:
            return work(text)
        except (ValueError, InvalidUsername):
            return None

    return run


def _prefixed(prefix: str, unit: str, suffix: str = "") -> Callable[[int], str]:
    body = repeat_to(unit)
    return lambda n: prefix + body(n) + suffix


# Inputs that hurt the paste patterns: runs of name characters (host labels, names), of the
# separators and punctuation the patterns repeat, and near-misses of every line format.
PASTE_INPUTS = [
    "a",
    "a.",
    "a-",
    "a.b-",
    "@",
    "@a",
    "a@",
    "_",
    "https://",
    "www.",
    "chaturbate.com/",
    "chaturbate.com/p/",
    "www.chaturbate.com" + "/",
    "chaturbate.com/" + "y" * 70 + " ",
    "@" + "a" * 70 + " ",
    "x." * 5 + "chaturbate.co ",
    ", ",
    ";",
    " ",
    "\t",
    "\n",
    "\r\n",
    "a\n",
    "a, ",
    "a ",
    "a:",
    "a: ",
    "a: b\n",
    "a:\n",
    "12:30 ",
    "12:",
    "[12:30] ",
    "a tipped ",
    "a tipped 5",
    "a has ",
    "a has joined the ",
    "notice: ",
    "a is now ",
    "1. ",
    "\U0001f451",
    "\u200d",
    "\u00a0",
    "- ",
    "@a ",
    "chaturbate.com/a ",
    "https://chaturbate.com/a/ @b ",
    " ,",
    "a ;\t",
    "a:" + " " * 20,
    "a" + " " * 20,
    "Notice:",
    "a" * 64 + ":",
    "a" * 65 + " tipped 1 tokens\n",
]

PASTE_CASES: list[Case] = [
    (f"{name} {unit!r}", work, repeat_to(unit), 2_000)
    for unit in PASTE_INPUTS
    for name, work in (("extract_usernames", extract_usernames), ("read_paste", read_paste))
]

# The redactor sees every log line and every error message, and those quote upstream replies
# and request details: a log line must not take seconds to clean.
REDACT_INPUTS = [
    "a.",
    "a-",
    "a+",
    "a1.",
    "a",
    "/events/",
    "/events/a",
    "/events/a/",
    "token=",
    "key=key",
    "api_key",
    "bearer ",
    "bearer",
    "basic\t",
    "session",
    "a_session",
    "_session=",
    "xsrf-token",
    "://",
    "://a:",
    "://a:b",
    "a://b:c",
    "x://" + "a" * 20 + ":",
    "postgresql://u:",
    "@",
    ":",
]

REDACT_CASES: list[Case] = [
    (f"redact {unit!r}", redact, repeat_to(unit), 2_000) for unit in REDACT_INPUTS
]
REDACT_CASES += [
    ("redact bearer+spaces", redact, _prefixed("bearer", " ", "\x00"), 2_000),
    ("redact scheme+dots", redact, _prefixed("", "a.", "://u"), 2_000),
    ("redact credentials", redact, _prefixed("https://user:", "p", " "), 2_000),
]

# Request headers (any client can send them), validated keys (API input), JSON and text headed
# for COPY (upstream payloads), event ids (upstream), usernames (API input).
OTHER_CASES: list[Case] = [
    (
        "bearer header",
        lambda text: middleware._BEARER.match(text),
        _prefixed("Bearer ", "a", " x"),
        2_000,
    ),
    ("bearer spaces", lambda text: middleware._BEARER.match(text), _prefixed("Bearer", " "), 2_000),
    ("request id", lambda text: middleware._REQUEST_ID.match(text), repeat_to("a."), 2_000),
    ("attribute key", lambda text: memory.ATTRIBUTE_KEY.match(text), repeat_to("a."), 2_000),
    ("idempotency key", lambda text: memory._IDEMPOTENCY_KEY.match(text), repeat_to("a:"), 2_000),
    ("json_field backslashes", json_field, repeat_to("\\"), 2_000),
    ("json_field escaped NUL", json_field, repeat_to("\\\x00"), 2_000),
    ("json_field NUL text", json_field, repeat_to("\\u0000"), 2_000),
    ("text_field", text_field, repeat_to("\\\t\x00"), 2_000),
    ("event id digits", _quietly(event_time), repeat_to("1"), 2_000),
    ("event id near miss", _quietly(event_time), _prefixed("1-", "1", "x"), 2_000),
    ("username", _quietly(normalize_username), repeat_to("a"), 2_000),
]


@pytest.mark.parametrize(
    ("work", "make", "n"),
    [pytest.param(work, make, n, id=name) for name, work, make, n in PASTE_CASES],
)
def test_paste_reading_is_linear(
    work: Callable[[str], object], make: Callable[[int], str], n: int
) -> None:
    # Given an adversarial paste and one 4x its size / When read / Then the cost grows linearly
    assert growth(work, make, n) < LINEAR_BOUND


@pytest.mark.parametrize(
    ("work", "make", "n"),
    [pytest.param(work, make, n, id=name) for name, work, make, n in REDACT_CASES + OTHER_CASES],
)
def test_patterns_on_outside_text_are_linear(
    work: Callable[[str], object], make: Callable[[int], str], n: int
) -> None:
    assert growth(work, make, n) < LINEAR_BOUND


def test_the_measure_tells_quadratic_from_linear() -> None:
    # Given the room-URL pattern issue 15 found (an unbounded repeated group, rescanned from
    # every position) and a linear search
    quadratic = re.compile(r"(?:[a-z0-9-]+\.)*chaturbate\.com/")
    # Then the measure separates them: the tests above can fail
    assert growth(quadratic.search, repeat_to("a"), 2_000) > LINEAR_BOUND
    assert growth(lambda text: text.count("b"), repeat_to("ab"), 200_000) < LINEAR_BOUND
