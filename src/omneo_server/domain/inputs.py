"""Reusable input types for request bodies."""

from __future__ import annotations

import uuid
from copy import copy
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    create_model,
    model_validator,
)

from omneo_server.domain.query import INT_MAX, INT_MIN
from omneo_server.wire import business_timestamp

Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=65535)]
Iso2 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]


def _country(value: Any) -> Any:
    """A country as its ISO 3166 alpha-2 code, from any ISO form clients send: alpha-2, alpha-3
    (``USA``), numeric (``840``) or the English name. A two-letter code is kept as sent."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return value
    text = str(value).strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    import pycountry  # its tables load on first use: only a request that needs them pays

    try:
        return str(pycountry.countries.lookup(text.zfill(3) if text.isdigit() else text).alpha_2)
    except LookupError:
        raise ValueError("The country must be an ISO 3166 country code.") from None


#: A country code, stored as alpha-2 whatever ISO form it came in.
Country = Annotated[Iso2, BeforeValidator(_country)]


def is_uuid(key: str) -> bool:
    """Whether ``key`` reads as a UUID (a profile id, say)."""
    try:
        uuid.UUID(key)
    except ValueError:
        return False
    return True


def _timestamp(value: Any) -> Any:
    return business_timestamp(value) if isinstance(value, str) else value


def _naive_utc(value: datetime | None) -> datetime | None:
    """Whatever form a timestamp came in (text, epoch seconds, with an offset), store naive UTC,
    within the business range."""
    return None if value is None else business_timestamp(value)


Timestamp = Annotated[datetime, BeforeValidator(_timestamp), AfterValidator(_naive_utc)]


def _unstorable(value: Any) -> str | None:
    """What no column can hold: NUL characters (PostgreSQL refuses them) and integers beyond 64 bits
    (SQLite cannot bind them)."""
    if isinstance(value, str):
        return "Text may not contain NUL characters." if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return "Numbers must fit in 64 bits." if abs(value) >= 2**63 else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = _unstorable(key) or _unstorable(item)
        if problem:
            return problem
    return None


class Body(BaseModel):
    """Request bodies ignore unknown keys (as the hosted API does), take a number where text is
    expected (a receipt number sent as ``123``: one obvious meaning) and reject other wrong types."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, coerce_numbers_to_str=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = _unstorable(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _fits_integer_columns(self) -> Body:
        # Integer columns are 32-bit (PostgreSQL refuses more; SQLite would silently take it).
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
                raise ValueError(f"The {name} must be between {INT_MIN} and {INT_MAX}.")
        return self


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
