"""Exceptions raised by the SDK.

``OmneoError`` > ``APIError`` > ``APIStatusError`` (one subclass per HTTP status family) and
``APIConnectionError`` > ``APITimeoutError`` for failures without a response.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OmneoError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ValidationError",
]


class OmneoError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class APIError(OmneoError):
    """A request to the API failed; ``request`` is the request that failed."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No usable response: the connection failed or broke."""

    def __init__(self, *, request: httpx.Request, message: str = "Connection error.") -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(self, *, request: httpx.Request) -> None:
        super().__init__(request=request, message="Request timed out.")


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    ``body`` is the parsed JSON error body (or the text when it is not JSON), ``message`` the body's
    ``message`` (or a generic one), ``status_code`` the HTTP status.
    """

    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing, invalid or expired token."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the token lacks the scope for this call."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class MethodNotAllowedError(APIStatusError):
    """HTTP 405."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class PayloadTooLargeError(APIStatusError):
    """HTTP 413."""


class ValidationError(APIStatusError):
    """HTTP 422, Laravel shape: ``{"message": ..., "errors": {"field": ["...", ...]}}``."""

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        super().__init__(message, response=response, body=body)
        raw = body.get("errors") if isinstance(body, dict) else None
        self.errors: dict[str, list[str]] = (
            {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in raw.items()}
            if isinstance(raw, dict)
            else {}
        )


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitError,
}


def status_error(response: httpx.Response, body: Any) -> APIStatusError:
    """The exception for a non-2xx ``response`` whose parsed body is ``body``."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    status = response.status_code
    cls = InternalServerError if status >= 500 else _BY_STATUS.get(status, APIStatusError)
    return cls(message, response=response, body=body)
