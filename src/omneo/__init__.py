"""Python SDK for the Omneo admin API (and self-hosted Omneo-compatible servers).

from omneo import Omneo

with Omneo(tenant="acme", token="...") as client:
    profile = client.profiles.get("9297...")
    for brand in client.brands.list({"page": {"size": 50}}):
        ...
"""

from ._client import AsyncOmneo, HealthStatus, Omneo
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MethodNotAllowedError,
    NotFoundError,
    OmneoError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from .id import ID, AsyncID
from .pagination import AsyncPage, Page

__all__ = [
    "ID",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncID",
    "AsyncOmneo",
    "AsyncPage",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "HealthStatus",
    "InternalServerError",
    "MethodNotAllowedError",
    "NotFoundError",
    "Omneo",
    "OmneoError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ValidationError",
    "__version__",
]
