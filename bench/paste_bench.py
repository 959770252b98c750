"""Paste reading benchmark: how long `read_paste` takes on the largest paste the API accepts.

    python bench/paste_bench.py
    python bench/paste_bench.py --runs 10

Prints the best-of-N CPU time (this thread) of `mhc.domain.extraction.read_paste` on 50,000
characters (`MAX_PASTE_CHARS`) of realistic chat, of a user list, and of the inputs that hurt a
backtracking regex engine (issue 15: one run of "a" froze the server for 21 s), and the same
hostile input through the room-URL pattern the project had before, at sizes small enough to
finish, to show the growth that was removed. Target: every 50,000-character paste well under
the 100 ms a lookup request can spend on it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))

from mhc.domain.extraction import MAX_PASTE_CHARS, read_paste  # noqa: E402

#: The room-URL pattern before issue 15 (its host part is an unbounded repeated group).
OLD_ROOM_URL = re.compile(
    r"(?i)(?:https?://)?(?:[a-z0-9-]+\.)*chaturbate\.com/(?:p/)?(?P<name>[A-Za-z0-9_]{1,64})"
    r"(?![A-Za-z0-9_])"
)

CHAT = [
    "tokenking: hey beautiful, how was your day?",
    "[12:31] lucky_sam: hiii @velvet_rose",
    "big_tipper_99 tipped 500 tokens -- happy birthday!",
    "Notice: shy_guy has joined the room.",
    "velvet_rose: https://chaturbate.com/velvet_rose/ is my other room",
    "Anonymous tipped 25 tokens",
    "👑 night_owl_77: love the vibe 😍",
]


def _fill(lines: list[str]) -> str:
    text = "\n".join(lines)
    return (text + "\n") * (MAX_PASTE_CHARS // (len(text) + 1)) + "\n"


INPUTS: dict[str, str] = {
    "chat (7 formats)": _fill(CHAT)[:MAX_PASTE_CHARS],
    "user list": "\n".join(f"regular_{n}" for n in range(5000))[:MAX_PASTE_CHARS],
    "'a' x 50,000 (issue 15)": "a" * MAX_PASTE_CHARS,
    "'a.' x 25,000": "a." * (MAX_PASTE_CHARS // 2),
    "'a\\n' x 25,000": "a\n" * (MAX_PASTE_CHARS // 2),
    "'a: b\\n' x 10,000": "a: b\n" * (MAX_PASTE_CHARS // 5),
    "'@' x 50,000": "@" * MAX_PASTE_CHARS,
    "'chaturbate.com/' runs": "chaturbate.com/" * (MAX_PASTE_CHARS // 15),
}


def best_cpu_seconds(call: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        call()
        best = min(best, time.thread_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"read_paste, {MAX_PASTE_CHARS:,}-character pastes (best of {args.runs}, CPU ms):")
    for label, text in INPUTS.items():
        seconds = best_cpu_seconds(lambda text=text: read_paste(text), args.runs)
        names = len(read_paste(text).names)
        print(f"  {label:<28} {len(text):>7,} chars  {seconds * 1000:8.1f} ms  {names:>3} names")
    print("the room-URL pattern before issue 15, on 'a' x n (best of 1, CPU ms):")
    for n in (2_500, 5_000, 10_000, 20_000):
        seconds = best_cpu_seconds(lambda n=n: OLD_ROOM_URL.search("a" * n), 1)
        print(f"  n = {n:>6,}  {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
