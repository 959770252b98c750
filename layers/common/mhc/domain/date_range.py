"""The dates MHC accepts: from 2000-01-01 up to (not including) 2100-01-01, UTC.

Anything outside is a typo, a unit mix-up (epoch seconds read as milliseconds lands in January
1970) or a probe: PostgreSQL stores `9999-12-31T23:59:59-14:00`, but Python cannot read it back
(year 10000 in UTC), so one such row made a person unreadable. Every date that enters from
outside (API query and body dates, cursors, Events API ids) is checked against this one range.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Exclusive.
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
#: How the range is named in messages.
DESCRIPTION = "the years 2000-2099 (UTC)"


def is_sane(moment: datetime) -> bool:
    """True for a timezone-aware moment inside the range (a naive one is never sane)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return False
    # Aware comparisons account for the offset without converting (which could overflow).
    return EARLIEST <= moment < LATEST
