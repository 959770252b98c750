"""Chaturbate usernames: validation, normalization and extraction from pasted text."""

from __future__ import annotations

import re

#: Chaturbate usernames are letters, digits and underscores; we store them case-folded.
USERNAME_PATTERN = re.compile(r"^[a-z0-9_]{1,64}\Z")
MAX_USERNAME_LENGTH = 64

#: The one person excluded from every aggregate by default.
AUTO_EXCLUDED_USERNAMES = frozenset({"smk_lover"})


class InvalidUsername(ValueError):
    """A username outside Chaturbate's rules."""


def normalize_username(value: str) -> str:
    """Case-fold and validate a username; raise InvalidUsername with a clear message."""
    if not isinstance(value, str):
        raise InvalidUsername("username must be a string")
    # ASCII before case-folding: str.lower() maps some non-ASCII letters onto ASCII ones (the
    # Kelvin sign "\u212a" becomes "k"), which would let a look-alike name pass as another.
    if not value.isascii():
        raise InvalidUsername("only letters, digits and underscores are allowed (ASCII)")
    candidate = value.strip().lower()
    if not candidate:
        raise InvalidUsername("username is empty")
    if len(candidate) > MAX_USERNAME_LENGTH:
        raise InvalidUsername(f"username is longer than {MAX_USERNAME_LENGTH} characters")
    if not USERNAME_PATTERN.match(candidate):
        raise InvalidUsername(
            f"invalid username {candidate[:MAX_USERNAME_LENGTH]!r}: "
            "only letters, digits and underscores are allowed"
        )
    return candidate


def is_auto_excluded(username: str) -> bool:
    return username in AUTO_EXCLUDED_USERNAMES
