"""Broadcaster profiles: what the affiliate feed and the profile JSON say about a broadcaster,
their follower-count history, their broadcasts, and whether they are online now.

Every writer (affiliate sweep, profile collection, the owner's Stats API) and every reader
(person detail, watchlists) goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mhc.db.connection import Conn
from mhc.domain.broadcasts import ObservedBroadcast, broadcast_start, plan_broadcasts
from mhc.domain.profiles import follower_changes
from mhc.store import broadcasts, presence
from mhc.store import profiles as store
from mhc.store.profiles import FeedProfile, ProfileRow

__all__ = ["FeedProfile", "ProfileRow"]


def get(conn: Conn, person_id: int) -> ProfileRow | None:
    return store.get(conn, person_id)


def get_many(conn: Conn, person_ids: Sequence[int]) -> dict[int, ProfileRow]:
    return store.get_many(conn, person_ids)


def tags_by_room(conn: Conn, usernames: Sequence[str]) -> dict[str, list[str]]:
    """What each named room is tagged with on its profile (affiliate feed), for tag tastes."""
    return store.tags_by_room(conn, usernames) if usernames else {}


def last_seen_online(
    conn: Conn, person_ids: list[int], profiles: Mapping[int, ProfileRow]
) -> dict[int, datetime]:
    """When each person was last seen online: the newer of their last affiliate snapshot and
    their profile's last feed sighting (`profiles`: their rows, already read)."""
    seen = presence.last_seen_online(conn, person_ids)
    for person_id, profile in profiles.items():
        at = profile.last_seen_online_at
        if at is not None and (person_id not in seen or at > seen[person_id]):
            seen[person_id] = at
    return seen


def record_followers(
    conn: Conn, observed: Mapping[int, int | None], *, at: datetime, source: str
) -> int:
    """Append the observed follower counts that differ from the last recorded ones; how many."""
    changes = follower_changes(store.followers(conn, list(observed)), observed)
    return store.record_followers(conn, changes, observed_at=at, source=source)


@dataclass(frozen=True)
class FeedRoom:
    """One broadcaster as one sweep of the affiliate feed saw them."""

    profile: FeedProfile
    seconds_online: int | None


@dataclass(frozen=True)
class FeedRecorded:
    followers_changed: int
    broadcasts_started: int
    broadcasts_extended: int


def record_feed(conn: Conn, rooms: Sequence[FeedRoom], *, seen_at: datetime) -> FeedRecorded:
    """One sweep: follower changes, profiles' feed fields, and each room's broadcast (a new one,
    or the person's latest when its start matches)."""
    ids = [room.profile.person_id for room in rooms]
    changed = record_followers(
        conn,
        {room.profile.person_id: room.profile.followers for room in rooms},
        at=seen_at,
        source="affiliate",
    )
    store.upsert_from_feed(conn, [room.profile for room in rooms], seen_at)
    plan = plan_broadcasts(
        (
            ObservedBroadcast(
                person_id=room.profile.person_id,
                started_at=broadcast_start(seen_at, room.seconds_online),
                seen_at=seen_at,
                viewers=room.profile.num_users,
            )
            for room in rooms
        ),
        broadcasts.latest_starts(conn, ids),
    )
    return FeedRecorded(
        followers_changed=changed,
        broadcasts_extended=broadcasts.extend(conn, plan.extend),
        broadcasts_started=broadcasts.start(conn, plan.start),
    )


def save_profile(
    conn: Conn,
    person_id: int,
    *,
    fetched_at: datetime,
    raw: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> int:
    """Store a fetched profile JSON; returns 1 when its follower count changed."""
    store.save_profile_json(conn, person_id, fetched_at=fetched_at, raw=raw, fields=fields)
    followers = fields.get("followers")
    if not isinstance(followers, int):
        return 0
    return record_followers(conn, {person_id: followers}, at=fetched_at, source="cb_profile")


def mark_unavailable(
    conn: Conn, person_id: int, *, status: str, fetched_at: datetime, retry_after: datetime
) -> None:
    """A gone (404) or restricted (401) profile: not asked again before `retry_after`."""
    store.mark_unavailable(
        conn, person_id, status=status, fetched_at=fetched_at, retry_after=retry_after
    )
