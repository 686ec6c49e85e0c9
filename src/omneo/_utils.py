"""Wire helpers: query flattening and JSON (de)serialisation that keeps money as ``Decimal``."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

__all__ = ["dumps", "flatten_params", "loads", "to_jsonable"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return _scalar(value.value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_scalar(v) for v in value if v is not None)
    return str(value)


def flatten_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Flatten nested query params into bracket keys (admin-api.md §0.3).

    ``{"filter": {"email": {"eq": "a"}}, "page": {"size": 10}}`` →
    ``{"filter[email][eq]": "a", "page[size]": "10"}``. ``None`` values are dropped, lists are
    comma-joined, booleans become ``1``/``0``.
    """
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_unset=True, by_alias=True)
        if isinstance(value, Mapping):
            for key, sub in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), sub)
        else:
            out[prefix] = _scalar(value)

    walk("", params or {})
    return out


def to_jsonable(value: Any) -> Any:
    """Pydantic models → plain dicts (``exclude_unset``, by alias); everything else unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True, by_alias=True)
    return value


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, BaseModel):
        value = to_jsonable(value)
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, bool | int | str):
        parts.append(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot serialise non-finite Decimal {value!r} as JSON")
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, Mapping):
        parts.append("{")
        for i, (key, sub) in enumerate(value.items()):
            if i:
                parts.append(",")
            parts.append(json.dumps(str(key)))
            parts.append(":")
            _encode(sub, parts)
        parts.append("}")
    elif isinstance(value, list | tuple | set | frozenset):
        parts.append("[")
        for i, sub in enumerate(value):
            if i:
                parts.append(",")
            _encode(sub, parts)
        parts.append("]")
    elif isinstance(value, dt.date | dt.time):
        parts.append(json.dumps(value.isoformat()))
    elif isinstance(value, uuid.UUID):
        parts.append(json.dumps(str(value)))
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """JSON text for a request body.

    ``Decimal`` is written as a JSON number with its exact digits (never via float), dates and
    datetimes as ISO-8601 strings, pydantic models as their ``exclude_unset`` dump.
    """
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def loads(text: str | bytes) -> Any:
    """Parse a response body; JSON fractions become ``Decimal`` so money never passes through float."""
    return json.loads(text, parse_float=Decimal)
