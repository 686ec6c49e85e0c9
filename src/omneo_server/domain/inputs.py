"""Reusable input types for request bodies."""

from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, create_model, model_validator

from omneo_server.wire import parse_timestamp

Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=65535)]
Iso2 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]


def _timestamp(value: Any) -> Any:
    return parse_timestamp(value) if isinstance(value, str) else value


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Body(BaseModel):
    """Request bodies ignore unknown keys (as the hosted API does) and reject wrong types."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # Text columns cannot hold NUL (PostgreSQL refuses it), so no body may carry one.
        if _has_nul(value):
            raise ValueError("Text may not contain NUL characters.")
        return value


def partial(model: type[Body]) -> type[Body]:
    """The update twin of a create body: the same fields and checks, every one optional."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        optional = copy(info)
        optional.default = None
        optional.default_factory = None
        annotation: Any = info.annotation
        fields[name] = (annotation | None, optional)
    result: type[Body] = create_model(f"{model.__name__.removesuffix('In')}Update", __base__=model, **fields)
    return result
