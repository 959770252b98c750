"""Broadcast sessions: segments closer than the merge gap form one session."""

from __future__ import annotations

from datetime import datetime, timedelta


def continues_session(
    last_ended_at: datetime | None, segment_start: datetime, gap: timedelta
) -> bool:
    """Whether a segment starting at `segment_start` continues a session that ended earlier."""
    if last_ended_at is None:
        return False
    return timedelta(0) <= segment_start - last_ended_at <= gap or segment_start < last_ended_at


def duration_seconds(started_at: datetime, ended_at: datetime | None, now: datetime) -> int:
    end = ended_at if ended_at is not None else now
    return max(0, int((end - started_at).total_seconds()))
