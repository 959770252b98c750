"""Token-history parse benchmark: rows/s of the pure parser on a generated export.

    python bench/token_history_parse_bench.py [--rows 200000] [--rounds 3] [--timezone UTC]

Generates a realistic export (tips of many sizes, per-minute private and spy show rows, media
purchases, an unknown type, notes with commas, quotes and the odd line break) in a temporary
file, then times, best of `--rounds`:

1. parse: `parse_token_history` over the file opened as the import will open it;
2. shows: `group_shows` over the parsed rows;
3. match: `match_live` of the export's tips against a live capture holding 90% of them.

The end-to-end import target (issue 18) is >= 20,000 rows/s stored, so parsing must be well
above that. No database is involved.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))

from mhc.domain.analysis.hours import zone  # noqa: E402
from mhc.domain.token_history import (  # noqa: E402
    PaymentRecord,
    TransactionType,
    group_shows,
    match_live,
    parse_token_history,
)

TIP_SIZES = (1, 2, 5, 10, 11, 20, 25, 35, 50, 69, 100, 111, 200, 333, 500, 1000, 5000)
NOTES = ("", "", "", "thanks!", 'he said "wow"', "pm me, later", "line one\nline two")


def generate(path: Path, rows: int, seed: int = 18) -> None:
    rng = random.Random(seed)
    users = [f"viewer_{i:05d}" for i in range(max(100, rows // 20))]
    at = datetime(2023, 1, 1, 18, 0, tzinfo=UTC)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["User", "Token change", "Timestamp", "Transaction type", "Note"])
        while written < rows:
            at += timedelta(seconds=rng.randint(5, 240))
            user = rng.choice(users)
            roll = rng.random()
            if roll < 0.12:  # a private or spy show: one row per minute
                kind = "Private show" if roll < 0.09 else "Spy on private show"
                price = 60 if kind == "Private show" else 12
                for minute in range(rng.randint(2, 15)):
                    if written >= rows:
                        break
                    stamp = at + timedelta(minutes=minute)
                    writer.writerow([user, price, stamp.strftime("%Y-%m-%d %H:%M:%S"), kind, ""])
                    written += 1
                at += timedelta(minutes=15)
                continue
            if roll < 0.14:
                kind, tokens = "Photos/videos purchased", rng.choice((50, 100, 250))
            elif roll < 0.145:
                kind, tokens = "Fan club membership", 250
            else:
                kind, tokens = "Tip received", rng.choice(TIP_SIZES)
            writer.writerow(
                [user, tokens, at.strftime("%Y-%m-%d %H:%M:%S"), kind, rng.choice(NOTES)]
            )
            written += 1


def best_of(rounds: int, work):  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timezone", default="UTC")
    args = parser.parse_args()
    tz = zone(args.timezone)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "token-history.csv"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6

        def parse():  # type: ignore[no-untyped-def]
            with path.open(newline="", encoding="utf-8-sig") as lines:
                return parse_token_history(lines, timezone=tz)

        seconds, history = best_of(args.rounds, parse)
    rows = len(history.rows)
    print(f"export: {rows:,} rows, {size_mb:.1f} MB, {len(history.problems)} problems")
    print(f"parse:  {seconds:.2f} s  = {rows / seconds:,.0f} rows/s  (target: well above 20,000)")

    show_seconds, shows = best_of(args.rounds, lambda: group_shows(history.rows))
    show_rows = sum(s.minutes_billed for s in shows)
    print(f"shows:  {len(shows):,} shows from {show_rows:,} rows in {show_seconds:.3f} s")

    tips = [r for r in history.rows if r.type is TransactionType.TIP]
    rng = random.Random(7)
    exported = [PaymentRecord(r.row_id, r.username, r.tokens, r.occurred_at) for r in tips]
    live = [
        PaymentRecord(f"live-{i}", r.who, r.tokens, r.at + timedelta(seconds=rng.randint(-20, 20)))
        for i, r in enumerate(exported)
        if rng.random() < 0.9
    ]
    match_seconds, matching = best_of(args.rounds, lambda: match_live(exported, live))
    print(
        f"match:  {len(matching.pairs):,} of {len(exported):,} export tips linked to "
        f"{len(live):,} live tips in {match_seconds:.3f} s "
        f"= {len(exported) / match_seconds:,.0f} tips/s"
    )


if __name__ == "__main__":
    main()
