"""Person roles: what we have seen someone do (watch, broadcast, or both)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MODEL = "MODEL"
    VIEWER = "VIEWER"
    BOTH = "BOTH"
    UNKNOWN = "UNKNOWN"


def merge_role(current: Role, observed: Role) -> Role:
    """Combine the role we hold with a newly observed one.

    UNKNOWN never erases knowledge; seeing someone both watch and broadcast makes them BOTH.
    """
    if observed is Role.UNKNOWN or observed is current:
        return current
    if current is Role.UNKNOWN:
        return observed
    return Role.BOTH
