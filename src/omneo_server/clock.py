"""The one clock every rule reads "now" from, so tests can travel in time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time as a naive UTC datetime (how the database stores it)."""
    return _source().astimezone(UTC).replace(tzinfo=None, microsecond=0)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the time source (``None`` restores the wall clock)."""
    global _source
    _source = source or (lambda: datetime.now(UTC))
