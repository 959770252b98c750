"""Broadcaster profile rules: affiliate-room and profile-JSON payloads -> stored fields and
snapshot metrics. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

#: A feed sighting newer than this means "online now" (the sweep runs every 5 minutes).
ONLINE_WINDOW = timedelta(minutes=10)

_SEX_CODES = {"female": "f", "male": "m", "couple": "c", "trans": "t", "transgender": "t"}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any, limit: int = 2000) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def gender_code(sex: Any) -> str | None:
    """Profile `sex` ("Female", "Couple", ...) as the feed's one-letter code."""
    return _SEX_CODES.get(sex.strip().lower()) if isinstance(sex, str) else None


def affiliate_metrics(room: Mapping[str, Any]) -> dict[str, Any]:
    """An online room as snapshot metrics (numbers get deltas; the rest is context)."""
    return {
        "num_users": _int(room.get("num_users")),
        "num_followers": _int(room.get("num_followers")),
        "seconds_online": _int(room.get("seconds_online")),
        "current_show": _text(room.get("current_show"), 32),
        "is_hd": room.get("is_hd") if isinstance(room.get("is_hd"), bool) else None,
    }


def profile_metrics(raw: Mapping[str, Any], last_broadcast_at: datetime | None) -> dict[str, Any]:
    """Profile JSON as snapshot metrics."""
    photo_sets = raw.get("photo_sets")
    return {
        "follower_count": _int(raw.get("follower_count")),
        "display_age": _int(raw.get("display_age")),
        "room_status": _text(raw.get("room_status"), 64),
        "last_broadcast": last_broadcast_at.isoformat() if last_broadcast_at else None,
        "photo_sets": len(photo_sets) if isinstance(photo_sets, list) else None,
    }


def profile_fields(
    raw: Mapping[str, Any],
    *,
    about_me_html: str | None,
    wish_list_html: str | None,
    last_broadcast_at: datetime | None,
) -> dict[str, Any]:
    """The profile columns a fetched profile sets (HTML already sanitized by the client)."""
    return {
        "location": _text(raw.get("location"), 200),
        "languages": _text(raw.get("languages"), 200),
        "age": _int(raw.get("display_age")),
        "followers": _int(raw.get("follower_count")),
        "real_name": _text(raw.get("real_name"), 200),
        "about_me_html": about_me_html,
        "wish_list_html": wish_list_html,
        "room_status": _text(raw.get("room_status"), 64),
        "last_broadcast_at": last_broadcast_at,
        "gender": gender_code(raw.get("sex")),
    }


def online_status(last_seen_online_at: datetime | None, now: datetime) -> bool | None:
    """True when seen online within ONLINE_WINDOW; None (unknown) otherwise: the feed lags
    and misses rooms, so absence from it is not proof of being offline."""
    if last_seen_online_at is not None and now - last_seen_online_at <= ONLINE_WINDOW:
        return True
    return None


def follower_changes(
    previous: Mapping[int, int | None], observed: Mapping[int, int | None]
) -> dict[int, int]:
    """The observed follower counts that differ from what is stored (unknown counts ignored)."""
    return {
        person_id: count
        for person_id, count in observed.items()
        if count is not None and count >= 0 and previous.get(person_id) != count
    }
