"""Normalizers: upstream payload -> `normalized_metrics` of a snapshot.

Deltas are computed key by key on numeric values (`mhc.domain.deltas`), so a normalizer's job is
to give each source stable, flat keys, turn sentinels into null, and never invent a value.
Unknown keys stay in the snapshot's `raw_payload` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Chaturbate Stats API keys copied as numbers (a non-number becomes null).
_CB_STATS_NUMBERS = (
    "token_balance",
    "tips_in_last_hour",
    "votes_up",
    "votes_down",
    "satisfaction_score",
    "num_followers",
    "num_viewers",
    "num_registered_viewers",
    "num_tokened_viewers",
)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _not_sentinel(value: Any) -> Any:
    """-1 means "never" or "offline" in Chaturbate payloads."""
    if value == -1 and not isinstance(value, bool):
        return None
    return value


def normalize_cb_stats(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Stats API: -1 sentinels -> null, `time_online` -> `time_online_minutes`."""
    metrics: dict[str, Any] = {key: _number(raw.get(key)) for key in _CB_STATS_NUMBERS}
    last_broadcast = _not_sentinel(raw.get("last_broadcast"))
    metrics["last_broadcast"] = last_broadcast if isinstance(last_broadcast, str) else None
    metrics["time_online_minutes"] = _number(_not_sentinel(raw.get("time_online")))
    return metrics


def normalize_statbate_member(data: Mapping[str, Any]) -> dict[str, Any]:
    """Statbate member info: every key of `data` except the name (and a batch item's `error`)."""
    return {key: value for key, value in data.items() if key not in ("name", "error")}


def normalize_statbate_model(data: Mapping[str, Any]) -> dict[str, Any]:
    """Statbate model info, flattened so rank, sessions and income each get a delta."""
    sessions = _mapping(data.get("sessions"))
    income = _mapping(data.get("income"))
    tags = data.get("tags")
    if not isinstance(tags, list):
        tags = []
    return {
        "rid": _number(data.get("rid")),
        "gender": _number(data.get("gender")),
        "rank": _number(data.get("rank")),
        "sessions_count": _number(sessions.get("count")),
        "sessions_total_duration": _number(sessions.get("total_duration")),
        "sessions_average_duration": _number(sessions.get("average_duration")),
        "income_tokens": _number(income.get("tokens")),
        "income_usd": _number(income.get("usd")),
        "tags": [
            tag["name"]
            for tag in tags
            if isinstance(tag, Mapping) and isinstance(tag.get("name"), str)
        ],
    }


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _items(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = body.get("data")
    return [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []


def _range(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    bounds = _mapping(body.get("meta")).get("range")
    if isinstance(bounds, list) and len(bounds) == 2:
        return _text(bounds[0]), _text(bounds[1])
    return None, None


def normalize_statbate_member_on_model(body: Mapping[str, Any]) -> dict[str, Any]:
    """members/{site}/{name}/model/{owner} (`{data, meta}` as received): what the member spent
    in the owner's room per Statbate, and the range that covers."""
    total = _mapping(_mapping(body.get("data")).get("total"))
    start, end = _range(body)
    return {
        "tokens": _number(total.get("tokens")),
        "tips": _number(total.get("tips")),
        "usd": _number(total.get("usd")),
        "range_start": start,
        "range_end": end,
    }


def normalize_statbate_tag_spending(body: Mapping[str, Any]) -> dict[str, Any]:
    """members/{site}/{name}/tag-spending: tokens per tag (site-wide) and the most rooms any
    one tag was seen in (a lower bound of the rooms behind the list)."""
    tags: dict[str, int | float] = {}
    rooms = 0
    for item in _items(body):
        name = _text(item.get("tag")) or _text(item.get("name")) or _text(item.get("value"))
        tokens = _number(item.get("total_tokens"))
        if name is None or tokens is None or tokens < 0:
            continue
        tags[name] = tags.get(name, 0) + tokens
        models = _number(item.get("models_count"))
        if models is not None:
            rooms = max(rooms, int(models))
    return {"tags": tags, "rooms": rooms, "tag_count": len(tags)}


def normalize_statbate_member_tips(body: Mapping[str, Any]) -> dict[str, Any]:
    """members/{site}/{name}/tips (one page, newest first): tokens per room tipped."""
    rooms: dict[str, int | float] = {}
    tips = 0
    for item in _items(body):
        model = _text(item.get("model"))
        tokens = _number(item.get("tokens"))
        if model is None or tokens is None or tokens <= 0:
            continue
        tips += 1
        key = model.lower()
        rooms[key] = rooms.get(key, 0) + tokens
    start, end = _range(body)
    return {
        "tips": tips,
        "tokens": sum(rooms.values()),
        "rooms": rooms,
        "range_start": start,
        "range_end": end,
    }


def normalize_statbate_member_activity(body: Mapping[str, Any]) -> dict[str, Any]:
    """members/{site}/{name}/activity: tips per hour of day (0-23) and day of week (Monday
    first), in the timezone asked for (`meta.timezone`)."""
    data = _mapping(body.get("data"))
    hourly = [0] * 24
    daily = [0] * 7
    for item in data.get("hourly") or []:
        if isinstance(item, Mapping):
            hour, count = _number(item.get("hour")), _number(item.get("tip_count"))
            if isinstance(hour, int) and 0 <= hour < 24 and count is not None:
                hourly[hour] += int(count)
    for item in data.get("daily") or []:
        if isinstance(item, Mapping):
            day, count = _number(item.get("day_of_week")), _number(item.get("tip_count"))
            if isinstance(day, int) and 1 <= day <= 7 and count is not None:
                daily[day - 1] += int(count)
    return {
        "timezone": _text(_mapping(body.get("meta")).get("timezone")),
        "tips_by_hour": hourly,
        "tips_by_day": daily,
        "tips": sum(hourly),
    }
