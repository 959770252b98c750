"""PostgreSQL text and jsonb cannot hold NUL: every value written through an MHC connection has
NUL replaced by U+FFFD, instead of failing the write (decision 17, extended to every path).

What MHC stores from outside (Events API envelopes, Statbate answers, profile JSON, error text)
is kept, never rejected for one character. Doing it in the connection's adapters (the text
and JSON dumpers) rather than at each call site covers every write, including ones added
later; the COPY path formats its own text and uses the same two functions. The API refuses
NUL in its own input before it gets here (`mhc.api.input_guard`): the owner gets a 422 naming
the field rather than a silently changed note.
"""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
from psycopg.abc import Buffer
from psycopg.types.json import set_json_dumps
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

NUL = "\x00"
REPLACEMENT = "\ufffd"

# An escaped NUL in JSON text that is not itself an escaped backslash followed by "u0000".
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def storable_text(value: str) -> str:
    return value.replace(NUL, REPLACEMENT) if NUL in value else value


def storable_json(text: str) -> str:
    """JSON text with every escaped NUL (which jsonb rejects too) turned into U+FFFD."""
    return _ESCAPED_NUL.sub(r"\1\\ufffd", text) if "\\u0000" in text else text


def dumps(value: Any) -> str:
    """`json.dumps` for jsonb parameters (psycopg's `Jsonb`), NUL made storable."""
    return storable_json(json.dumps(value))


class _StorableStrDumper(StrDumperUnknown):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(storable_text(obj))


class _StorableStrBinaryDumper(StrBinaryDumper):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(storable_text(obj))


def make_storable(conn: psycopg.Connection[Any]) -> None:
    """Make every str and jsonb parameter of `conn` storable (also the pool's `configure`)."""
    # Binary first, text last: for `%s` (auto) psycopg takes the dumper registered last, and a
    # str must stay "unknown" to PostgreSQL (inferred from its context, as psycopg's default).
    conn.adapters.register_dumper(str, _StorableStrBinaryDumper)
    conn.adapters.register_dumper(str, _StorableStrDumper)
    set_json_dumps(dumps, context=conn)
