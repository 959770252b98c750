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
