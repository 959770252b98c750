"""Errors a use case can raise; the API and CLI map each to one status or exit code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: the message is safe to show to the owner."""

    code = "error"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    """Bad input, naming the field at fault."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(DomainError):
    code = "conflict"
