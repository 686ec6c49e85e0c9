"""Typed failures of domain commands; the HTTP layer maps each to its status."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "Resource") -> None:
        super().__init__(f"{what} not found.")


class Invalid(DomainError):
    """Validation and uniqueness failures (422)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        first = next(iter(errors.values()), ["The given data was invalid."])[0]
        super().__init__(message or first, errors)

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


class Conflict(DomainError):
    status = 409


class Unauthenticated(DomainError):
    status = 401

    def __init__(self, message: str = "Unauthenticated.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    status = 403
