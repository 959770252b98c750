"""Broadcast sessions: segments closer than the merge gap form one session; rebuilding them from
broadcast events keeps ids and never lets two sessions overlap (an interaction would count in
both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


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


# -- rebuilding: reconcile spans from broadcast events with the stored sessions -----------------
Span = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class StoredSession:
    id: int
    started_at: datetime
    ended_at: datetime | None
    manual: bool


@dataclass(frozen=True)
class RebuildPlan:
    """What a rebuild changes. Ids stay where a session still exists."""

    #: Sessions left exactly as they are.
    kept: list[int]
    #: Sessions that stay with new bounds (id, start, end).
    update: list[tuple[int, datetime, datetime | None]]
    #: New event sessions.
    insert: list[Span]
    #: Sessions that no longer exist (no span left, or folded into another session).
    delete: list[int]
    #: Spans folded into a manual session.
    merged: list[Span]


@dataclass(frozen=True)
class RebuildReport:
    """What `mhc rebuild-sessions` did, in counts."""

    #: Sessions the broadcast events make.
    spans: int
    kept: int
    updated: int
    added: int
    removed: int
    #: Spans folded into manual sessions.
    merged_into_manual: int

    def summary(self) -> str:
        return (
            f"{self.spans} session(s) from broadcast events: {self.kept} kept, "
            f"{self.updated} updated, {self.added} added, {self.removed} removed, "
            f"{self.merged_into_manual} folded into manual sessions"
        )


def _end(end: datetime | None) -> datetime:
    return datetime.max.replace(tzinfo=UTC) if end is None else end


def _overlap(a_start: datetime, a_end: datetime | None, b: Span) -> bool:
    return a_start < _end(b[1]) and b[0] < _end(a_end)


@dataclass
class _Group:
    """Manual sessions and spans that overlap one another (open ends run forever)."""

    start: datetime
    end: datetime | None
    manual: list[StoredSession] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


def _overlapping_groups(manual: Sequence[StoredSession], spans: Sequence[Span]) -> list[_Group]:
    items: list[tuple[datetime, datetime | None, StoredSession | None]] = [
        *((s.started_at, s.ended_at, s) for s in manual),
        *((start, end, None) for start, end in spans),
    ]
    items.sort(key=lambda item: item[0])
    groups: list[_Group] = []
    for start, end, session in items:
        if groups and start < _end(groups[-1].end):
            group = groups[-1]
            group.end = None if end is None or group.end is None else max(group.end, end)
        else:
            group = _Group(start, end)
            groups.append(group)
        if session is None:
            group.spans.append((start, end))
        else:
            group.manual.append(session)
    return groups


def plan_rebuild(existing: Sequence[StoredSession], spans: Sequence[Span]) -> RebuildPlan:
    """Reconcile `spans` (rebuilt from broadcast events, in time order, never overlapping) with
    the stored sessions, so that sessions never overlap and ids stay stable:

    - a manual session is the owner's word: it is never removed for want of events, and spans
      overlapping it are folded into it (it keeps its id and grows to cover them); two manual
      sessions one span overlaps become one, under the earlier id;
    - every other span takes the id of the earliest event session it overlaps that no earlier
      span took (updated in place when its bounds changed), or is a new session;
    - event sessions left without a span are removed.
    """
    manual = sorted((s for s in existing if s.manual), key=lambda s: (s.started_at, s.id))
    groups = _overlapping_groups(manual, spans)

    kept: list[int] = []
    update: list[tuple[int, datetime, datetime | None]] = []
    delete: list[int] = []
    merged: list[Span] = []
    free_spans: list[Span] = []
    for group in groups:
        if not group.manual:
            free_spans.extend(group.spans)
            continue
        target, *others = group.manual
        if (target.started_at, target.ended_at) == (group.start, group.end):
            kept.append(target.id)
        else:
            update.append((target.id, group.start, group.end))
        delete.extend(other.id for other in others)
        merged.extend(group.spans)

    old_events = sorted((s for s in existing if not s.manual), key=lambda s: (s.started_at, s.id))
    taken: set[int] = set()
    insert: list[Span] = []
    for span in free_spans:
        match = next(
            (
                s
                for s in old_events
                if s.id not in taken and _overlap(s.started_at, s.ended_at, span)
            ),
            None,
        )
        if match is None:
            insert.append(span)
            continue
        taken.add(match.id)
        if (match.started_at, match.ended_at) == span:
            kept.append(match.id)
        else:
            update.append((match.id, *span))
    delete.extend(s.id for s in old_events if s.id not in taken)
    return RebuildPlan(
        kept=sorted(kept), update=update, insert=insert, delete=sorted(delete), merged=merged
    )
