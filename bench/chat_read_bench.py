"""Chat import, reading side: messages/s from a HAR export to typed messages (no database).

    python bench/chat_read_bench.py [--messages 100000] [--per-page 100] [--rounds 3]

Builds a HAR 1.2 export of a room walk with the fake Plus (`tests/fakes/statbate_plus.py`:
an HTML first visit, then one Inertia XHR per page, every third body base64-encoded, plus
unrelated requests), then times `read_capture` (JSON decode, entry selection, base64) and
`read_chat_page` over every response (field map, times in the page's zone, external ids),
for each of the three message shapes. The storage step (issue 16, `bench/chat_import_bench.py`)
targets >= 5,000 messages/s stored end to end: this is the ceiling the reading side leaves it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.statbate_plus import FakePlus, Shape, har_for_room, make_messages  # noqa: E402
from mhc.domain.chat_capture import read_capture  # noqa: E402
from mhc.domain.chat_import import read_chat_page  # noqa: E402

ROOM = "bench_room"


def measure(shape: Shape, messages: int, per_page: int, rounds: int) -> None:
    fake = FakePlus(per_page=per_page)
    fake.add_room(ROOM, make_messages(messages, room=ROOM, shape=shape))
    data = json.dumps(har_for_room(fake, ROOM)).encode()
    capture_times: list[float] = []
    read_times: list[float] = []
    count = 0
    for _ in range(rounds):
        started = time.perf_counter()
        capture = read_capture(data)
        captured = time.perf_counter()
        count = sum(len(read_chat_page(r.body, url=r.url).messages) for r in capture.responses)
        done = time.perf_counter()
        capture_times.append(captured - started)
        read_times.append(done - captured)
    if count != messages:
        raise SystemExit(f"{shape}: read {count} messages of {messages}")
    capture_s, read_s = statistics.median(capture_times), statistics.median(read_times)
    print(
        f"{shape}: {messages:,} messages, HAR {len(data) / 1e6:.1f} MB, "
        f"{len(capture.responses)} responses | read_capture {capture_s:.2f} s, "
        f"read_chat_page {read_s:.2f} s | {messages / (capture_s + read_s):,.0f} messages/s "
        f"(median of {rounds})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for shape in ("shape_a", "shape_b", "shape_c"):
        measure(shape, args.messages, args.per_page, args.rounds)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
