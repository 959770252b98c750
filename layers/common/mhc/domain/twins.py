"""Interaction twins: an imported record (a Statbate Plus chat line) that is the copy of an
interaction the Events API delivered live. The copy is linked (`interaction_twins`, decision
49), never stored over, and then shown and counted once.

Pure. Light on purpose: the store's twin queries return `TwinCandidate`, and the API's cold
path imports the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

#: The most a copy's time may differ from the live record's (Plus's clock, page rounding).
MATCH_WINDOW: Final = timedelta(minutes=2)
REASON_CHAT: Final = "same room, sender and text within 2 minutes"
REASON_TIP: Final = "same room, sender and tokens within 2 minutes"


@dataclass(frozen=True, slots=True)
class TwinCandidate:
    """An interaction as matching sees it: `person` is the person id it counts as (a merged
    row as its survivor); `tokens` is set for a tip."""

    id: int
    person: int
    room: str
    text: str | None
    tokens: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ImportedCopy:
    """An imported row (by its external id) that may be the copy of a live interaction."""

    external_id: str
    room: str
    text: str | None
    tokens: int | None
    at: datetime


def span(
    copies: Iterable[ImportedCopy], window: timedelta = MATCH_WINDOW
) -> tuple[datetime, datetime] | None:
    """The times live twins of `copies` can fall in (None for no copies)."""
    times = [copy.at for copy in copies]
    if not times:
        return None
    return min(times) - window, max(times) + window


def _key(candidate: TwinCandidate) -> tuple[Any, ...]:
    if candidate.tokens is not None:
        return (candidate.person, candidate.room, "tip", candidate.tokens)
    return (candidate.person, candidate.room, "chat", (candidate.text or "").strip())


def match_twins(
    copies: Iterable[TwinCandidate],
    live: Iterable[TwinCandidate],
    *,
    window: timedelta = MATCH_WINDOW,
) -> list[tuple[int, int, str]]:
    """(copy id, live id, reason) for each imported copy of a live-captured interaction: same
    room and person (after merges), the same text (a chat line; surrounding blanks ignored) or
    the same tokens (a tip), at most `window` apart. One to one, nearest pairs first, ties in
    time order: the rule the token-history export's matching follows (decision 43), so it is
    that very function."""
    from mhc.domain.token_history import PaymentRecord, match_live

    by_id = {c.id: c for c in copies}
    matching = match_live(
        (PaymentRecord(str(c.id), _key(c), 0, c.at) for c in by_id.values()),
        (PaymentRecord(str(c.id), _key(c), 0, c.at) for c in live),
        window=window,
    )
    pairs = []
    for copy_id, live_id in matching.pairs:
        copy = by_id[int(copy_id)]
        pairs.append(
            (int(copy_id), int(live_id), REASON_TIP if copy.tokens is not None else REASON_CHAT)
        )
    return pairs
