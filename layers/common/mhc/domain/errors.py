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

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled by its fields (a subclass may take other arguments than `args` holds): an
        # error met in a second process is raised again, as it was, in the caller.
        return (_invalid_input, (type(self), self.field, self.message))


def _invalid_input(kind: type[InvalidInput], field: str, message: str) -> InvalidInput:
    error = Exception.__new__(kind)
    InvalidInput.__init__(error, field, message)
    return error


class Conflict(DomainError):
    code = "conflict"
