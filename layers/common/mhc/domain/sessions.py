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


def sessions_from_signals(
    signals: list[tuple[datetime, bool]], gap: timedelta
) -> list[tuple[datetime, datetime | None]]:
    """Rebuild sessions from broadcast start (True) / stop (False) signals in time order.

    Same rules as live ingest: a start while open is ignored, a start within `gap` of the last
    session's end reopens it, a stop closes the open session, a stop with none open is ignored.
    """
    sessions: list[tuple[datetime, datetime | None]] = []
    for at, is_start in signals:
        last = sessions[-1] if sessions else None
        if is_start:
            if last is not None and last[1] is None:
                continue
            if last is not None and continues_session(last[1], at, gap):
                sessions[-1] = (last[0], None)
            else:
                sessions.append((at, None))
        elif last is not None and last[1] is None:
            sessions[-1] = (last[0], max(at, last[0]))
    return sessions
