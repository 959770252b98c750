"""Lenient parsing of upstream payloads.

External APIs add fields and change value shapes without notice; the earlier system (and
strict client libraries) died on the first surprise. Here a value of the wrong shape is dropped
from the *typed* view and reported as a problem, never fatal. Callers keep the raw payload, so
nothing the API sent is lost.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)

_MAX_ROUNDS = 64


class LenientModel(BaseModel):
    """Typed view of an upstream object: unknown keys are kept (`model_extra`), all optional."""

    # Built on first use (defer_build): each Lambda imports views it never validates.
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)


def _remove_at(data: dict[str, Any], loc: tuple[int | str, ...]) -> bool:
    """Delete the deepest value on `loc` that exists in `data` (union tags in `loc` are skipped)."""
    parent: Any = None
    key: int | str | None = None
    node: Any = data
    for part in loc:
        if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            parent, key, node = node, part, cast(Any, node)[part]
        else:
            break
    if parent is None or key is None:
        return False
    del cast(Any, parent)[key]
    return True


def parse_lenient(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, tuple[str, ...]]:
    """Validate `data` as `model`, dropping values that do not fit; never raises.

    Returns the model (None only when a required field is missing or `data` is not a mapping)
    and the problems found, as "field.path: error type" (values are never echoed: they may be
    untrusted text).
    """
    if not isinstance(data, Mapping):
        return None, (f"expected an object, got {type(data).__name__}",)
    try:  # the common case: everything fits, no copy needed (validation never mutates input)
        return model.model_validate(data), ()
    except ValidationError:
        pass
    candidate: dict[str, Any] = copy.deepcopy(dict(data))
    problems: list[str] = []
    for _ in range(_MAX_ROUNDS):
        try:
            return model.model_validate(candidate), tuple(problems)
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = tuple(error["loc"])
            problems.append(f"{'.'.join(str(p) for p in loc) or '<root>'}: {error['type']}")
            if error["type"] == "missing" or not _remove_at(candidate, loc):
                return None, tuple(problems)
    return None, (*problems, "too many invalid fields")
