from datetime import UTC, datetime, timedelta

from helpers import seen
from mhc.db.connection import Database
from mhc.domain.models import SnapshotSource
from mhc.services import snapshots
from mhc.services.person_detail import person_detail

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _person(db: Database, name: str = "member_a") -> int:
    person, _ = seen(db, name, at=T0)
    return person.id


def _append(db: Database, pid: int, source: SnapshotSource, at: datetime, metrics: dict) -> None:  # type: ignore[type-arg]
    with db.transaction() as conn:
        snapshots.append(
            conn,
            pid,
            source,
            captured_at=at,
            raw_payload={"data": metrics},
            normalized_metrics=metrics,
        )


def test_seed_delta_through_the_database(db: Database) -> None:
    pid = _person(db)
    _append(db, pid, SnapshotSource.STATBATE_MEMBER, T0, {"all_time_tokens": 1000, "tips": "n/a"})
    _append(
        db,
        pid,
        SnapshotSource.STATBATE_MEMBER,
        T0 + timedelta(hours=6),
        {"all_time_tokens": 3000, "tips": 12, "models_tipped_2weeks": 2},
    )
    with db.transaction() as conn:
        latest = snapshots.latest_per_source(conn, pid)
    member = latest[SnapshotSource.STATBATE_MEMBER]
    assert member.snapshot.normalized_metrics["all_time_tokens"] == 3000
    assert member.delta == {"all_time_tokens": 2000, "tips": None, "models_tipped_2weeks": None}


def test_latest_per_source_keeps_sources_apart(db: Database) -> None:
    pid = _person(db)
    _append(db, pid, SnapshotSource.STATBATE_MEMBER, T0, {"x": 1})
    _append(db, pid, SnapshotSource.CB_STATS, T0 + timedelta(hours=1), {"x": 10})
    _append(db, pid, SnapshotSource.STATBATE_MEMBER, T0 + timedelta(hours=2), {"x": 4})
    with db.transaction() as conn:
        latest = snapshots.latest_per_source(conn, pid)
        newest = snapshots.latest(conn, pid)
    assert latest[SnapshotSource.STATBATE_MEMBER].delta == {"x": 3}
    assert latest[SnapshotSource.CB_STATS].delta is None
    assert newest is not None
    assert newest.snapshot.source is SnapshotSource.STATBATE_MEMBER
    assert newest.delta == {"x": 3}


def test_timeline_has_consecutive_deltas(db: Database) -> None:
    pid = _person(db)
    for hour, value in enumerate([5, 8, 8, 20]):
        _append(
            db, pid, SnapshotSource.CB_STATS, T0 + timedelta(hours=hour), {"num_followers": value}
        )
    full = snapshots.timeline(db, pid, SnapshotSource.CB_STATS)
    assert [s.delta for s in full] == [
        None,
        {"num_followers": 3},
        {"num_followers": 0},
        {"num_followers": 12},
    ]
    # A window starting later still gets a real delta for its first snapshot.
    window = snapshots.timeline(db, pid, SnapshotSource.CB_STATS, since=T0 + timedelta(hours=2))
    assert [s.delta for s in window] == [{"num_followers": 0}, {"num_followers": 12}]


def test_person_detail_reads_everything(db: Database) -> None:
    pid = _person(db)
    _append(db, pid, SnapshotSource.STATBATE_MEMBER, T0, {"all_time_tokens": 1})
    detail = person_detail(db, pid)
    assert detail.person.id == pid
    assert list(detail.latest_snapshots) == [SnapshotSource.STATBATE_MEMBER]
    assert detail.recent_interactions == []
