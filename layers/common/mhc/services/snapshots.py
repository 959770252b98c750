"""Snapshots: append, latest per source with delta, timeline with consecutive deltas (a
person's reads cover every row of theirs, merged ones included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.deltas import compute_delta
from mhc.domain.models import Snapshot, SnapshotSource, SnapshotWithDelta
from mhc.services import persons
from mhc.store import snapshots as store


def append(
    conn: Conn,
    person_id: int,
    source: SnapshotSource,
    *,
    captured_at: datetime,
    raw_payload: Any,
    normalized_metrics: dict[str, Any],
) -> Snapshot:
    return store.append(
        conn,
        person_id,
        source,
        captured_at=captured_at,
        raw_payload=raw_payload,
        normalized_metrics=normalized_metrics,
    )


def _with_delta(newest: Snapshot, previous: Snapshot | None) -> SnapshotWithDelta:
    return SnapshotWithDelta(
        snapshot=newest,
        delta=compute_delta(
            previous.normalized_metrics if previous else None, newest.normalized_metrics
        ),
    )


def latest_per_source(conn: Conn, person_id: int) -> dict[SnapshotSource, SnapshotWithDelta]:
    """The newest snapshot of each source the person has, with its delta to the one before."""
    by_source: dict[SnapshotSource, list[Snapshot]] = {}
    for snapshot in store.latest_two_per_source(conn, persons.group_ids(conn, person_id)):
        by_source.setdefault(snapshot.source, []).append(snapshot)
    return {
        source: _with_delta(pair[0], pair[1] if len(pair) > 1 else None)
        for source, pair in by_source.items()
    }


def latest(conn: Conn, person_id: int) -> SnapshotWithDelta | None:
    """The person's newest snapshot of any source, with its delta."""
    pair = store.latest_two(conn, persons.group_ids(conn, person_id))
    if not pair:
        return None
    return _with_delta(pair[0], pair[1] if len(pair) > 1 else None)


def timeline(
    db: TransactionSource,
    person_id: int,
    source: SnapshotSource,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[SnapshotWithDelta]:
    """Snapshots oldest first, each with the delta to its predecessor."""
    with db.transaction() as conn:
        person = persons.get(conn, person_id)
        rows = store.timeline(
            conn, persons.group_ids(conn, person.id), source, since=since, until=until, limit=limit
        )
    # The store adds the snapshot just before `since`, so the first delta in range is real.
    has_anchor = since is not None and bool(rows) and rows[0].captured_at < since
    previous = rows[0] if has_anchor else None
    result: list[SnapshotWithDelta] = []
    for snapshot in rows[1:] if has_anchor else rows:
        result.append(_with_delta(snapshot, previous))
        previous = snapshot
    return result
