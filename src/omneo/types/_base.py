"""Shared pieces of the API models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["Date", "Envelope", "Money", "OmneoModel", "Timestamp"]

T = TypeVar("T")


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


Timestamp = Annotated[datetime | None, BeforeValidator(_blank_to_none)]
"""A timestamp: ``YYYY-MM-DD HH:MM:SS`` (the API's usual form), ISO-8601, or a bare date; ``""`` → None."""
Date = Annotated[date | None, BeforeValidator(_blank_to_none)]
"""A calendar date ``YYYY-MM-DD``."""
Money = Decimal
"""Money and point amounts: always ``Decimal``, never float."""


class OmneoModel(BaseModel):
    """Base of every API model: every field optional, unknown fields kept (``model_extra``)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Envelope(OmneoModel, Generic[T]):
    """A whole response body ``{"data": ...}`` (the ``FULL`` return shape)."""

    data: T
