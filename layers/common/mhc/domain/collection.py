"""Who a collection job asks about first, and how to read what the collectors get back.

Pure: no I/O, no clock of its own (callers pass `now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mhc.domain.models import SnapshotSource
from mhc.domain.roles import Role


@dataclass(frozen=True)
class Target:
    """A person a job may collect, with what decides their place in the queue."""

    person_id: int
    username: str
    role: Role
    watchlisted: bool
    last_contact_at: datetime | None
    #: When this job last collected the person (None = never).
    last_collected_at: datetime | None
    #: Not before this time (a gone profile, "not on Statbate").
    retry_after: datetime | None = None


def contact_window(now: datetime, recent_days: int) -> datetime | None:
    """Since when a contact counts as recent; None when `recent_days` is 0 (no such tier)."""
    return now - timedelta(days=recent_days) if recent_days > 0 else None


def prioritize(
    targets: Iterable[Target],
    *,
    now: datetime,
    recent_since: datetime | None,
    fresh_for: timedelta,
    limit: int,
) -> list[Target]:
    """Watchlist members, then contacts since `recent_since`, then the rest; within a tier the
    never or longest uncollected first. Fresh persons and those waiting for a retry are left
    out."""

    def wanted(target: Target) -> bool:
        if target.retry_after is not None and target.retry_after > now:
            return False
        return target.last_collected_at is None or now - target.last_collected_at >= fresh_for

    def tier(target: Target) -> int:
        if target.watchlisted:
            return 0
        contact = target.last_contact_at
        if recent_since is not None and contact is not None and contact >= recent_since:
            return 1
        return 2

    def key(target: Target) -> tuple[int, int, float, float, int]:
        collected = target.last_collected_at.timestamp() if target.last_collected_at else 0.0
        contact = target.last_contact_at.timestamp() if target.last_contact_at else 0.0
        return (
            tier(target),
            target.last_collected_at is not None,
            collected,
            -contact,
            target.person_id,
        )

    unique = {target.person_id: target for target in targets}
    return sorted((t for t in unique.values() if wanted(t)), key=key)[:limit]


def statbate_sources(role: Role) -> list[SnapshotSource]:
    """Member endpoint for viewers (and the unknown), model endpoint for broadcasters."""
    if role is Role.MODEL:
        return [SnapshotSource.STATBATE_MODEL]
    if role is Role.BOTH:
        return [SnapshotSource.STATBATE_MEMBER, SnapshotSource.STATBATE_MODEL]
    return [SnapshotSource.STATBATE_MEMBER]


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[index : index + size] for index in range(0, len(items), size)]


def is_not_found(error: str) -> bool:
    """A batch item's `error` that means "Statbate does not know this name"."""
    return "not found" in error.lower()
