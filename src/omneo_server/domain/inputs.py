"""Reusable input types for request bodies."""

from __future__ import annotations

import re
import uuid
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from omneo_server.domain.query import INT_MAX, INT_MIN
from omneo_server.wire import NotADate, business_timestamp

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


def _alpha_3(value: Any) -> Any:
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
        return value  # alpha-3 already
    if not isinstance(value, str | int) or isinstance(value, bool):
        return value
    import pycountry

    known = pycountry.countries.get(alpha_2=_country(value))
    if known is None:
        raise ValueError("The country must be an ISO 3166 country code.")
    return str(known.alpha_3)


#: A country code stored as alpha-3 (a location's ``country_iso_3``), from any ISO form.
Alpha3 = Annotated[str, BeforeValidator(_alpha_3), StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]


def _numeric_code(value: Any) -> Any:
    return str(value).zfill(3) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else value


#: An ISO 3166 numeric code, three digits (``36`` sent as a number is ``"036"``).
NumericCode = Annotated[str, BeforeValidator(_numeric_code), StringConstraints(pattern=r"^[0-9]{3}$")]


def slug(text: str) -> str:
    """A handle made from a name (``"Asia Pacific"`` → ``asia-pacific``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100]


_TRUE, _FALSE = ("true", "1"), ("false", "0")
_INTEGER = re.compile(r"^[+-]?\d+$")


def as_type(kind: str, value: Any) -> Any:
    """``value`` as a value of ``kind`` (a setting's or custom field's ``string``, ``boolean``,
    ``integer``, ``float``, ``array`` or ``json``), read from the neighbouring forms clients send: the
    text a GET answered (``"0.01"`` for a float, ``"true"`` or ``1`` for a boolean), a number where
    text is expected. ``ValueError`` when it has no one obvious reading. Null fits every kind."""
    if value is None or kind == "json":
        return value
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    text = value.strip().lower() if isinstance(value, str) else None
    if kind == "string" and (text is not None or number):
        return value if text is not None else str(value)
    if kind == "boolean" and (isinstance(value, bool) or value in (0, 1) or text in _TRUE + _FALSE):
        return value if isinstance(value, bool) else bool(value) if number else text in _TRUE
    if kind == "integer" and number and value == int(value):
        return int(value)
    if kind == "integer" and text is not None and _INTEGER.match(text):
        return int(text)
    if kind == "float" and number:
        return value
    if kind == "float" and text is not None:
        try:
            parsed = Decimal(text)
        except ArithmeticError:
            raise ValueError(kind) from None
        if parsed.is_finite():
            return parsed
    if kind == "array" and isinstance(value, list):
        return value
    raise ValueError(kind)


def kind_of(value: Any) -> str:
    """The type a value sent without one reads as: ``true`` a boolean, ``4`` an integer, ``{}`` json…"""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "float"
    return "json" if isinstance(value, dict | list) else "string"


def is_uuid(key: str) -> bool:
    """Whether ``key`` reads as a UUID (a profile id, say)."""
    try:
        uuid.UUID(key)
    except ValueError:
        return False
    return True


def _timestamp(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return business_timestamp(value)
    except NotADate:  # worded as every unreadable date is ("The x is not a valid date.")
        raise PydanticCustomError("datetime_parsing", "The date is not a valid date.") from None


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
    expected (a receipt number sent as ``123``: one obvious meaning) and reject other wrong types.

    Empty text is null, and null where a field cannot be null is the field left out (its default, or
    "the … field is required"):
    what Laravel's ``ConvertEmptyStringsToNull`` does to every request the hosted API reads, so a
    client that sends ``"gender": ""`` or ``"timezone": null`` for "not known" is understood. One
    value where a list is expected is a list of one (``"tags": "vip"``), and a choice matches in any
    case (``"gender": "Male"``)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, coerce_numbers_to_str=True, defer_build=True)
    #: An update's fields (``partial``) keep an explicit null: it asks to clear the field.
    is_update: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = _unstorable(value)
        if problem:
            raise ValueError(problem)
        if not isinstance(value, dict):
            return value
        shape = _shape(cls)
        out = {}
        for key, item in value.items():
            if not cls.is_update and isinstance(item, str) and not item.strip():
                item = None
            if item is None and not cls.is_update and key in shape.not_null:
                continue
            if key in shape.lists and isinstance(item, str | int | float | Decimal) and not isinstance(item, bool):
                item = [item]  # one value where a list is expected: a list of one
            elif key in shape.choices and isinstance(item, str):
                item = shape.choices[key].get(item.strip().lower(), item)  # "Male" is "male"
            out[key] = item
        return out

    @model_validator(mode="after")
    def _fits_integer_columns(self) -> Body:
        # Integer columns are 32-bit (PostgreSQL refuses more; SQLite would silently take it).
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
                raise ValueError(f"The {name} must be between {INT_MIN} and {INT_MAX}.")
        return self


@dataclass(frozen=True)
class _Shape:
    #: Keys of fields that cannot be null: null there means "not sent" (the default, or "required").
    not_null: frozenset[str]
    #: Keys of list fields.
    lists: frozenset[str]
    #: Keys of fields with a fixed set of text choices: each choice by its lower case.
    choices: dict[str, dict[str, str]]


def _bare(annotation: Any) -> tuple[Any, bool]:
    """An annotation without ``Annotated`` and ``| None``, and whether it allowed None."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(get_args(annotation))
        if len(members) == 1:
            return _bare(members[0])[0], nullable
        return annotation, nullable
    return annotation, annotation is None or annotation is Any


@cache
def _shape(model: type[BaseModel]) -> _Shape:
    not_null: set[str] = set()
    lists: set[str] = set()
    choices: dict[str, dict[str, str]] = {}
    for name, info in model.model_fields.items():
        keys = {name} | {alias for alias in (info.alias, info.validation_alias) if isinstance(alias, str)}
        bare, nullable = _bare(info.annotation)
        if not nullable:
            not_null |= keys
        if get_origin(bare) is list:
            lists |= keys
        elif get_origin(bare) is Literal and all(isinstance(v, str) for v in get_args(bare)):
            choices |= {key: {v.lower(): v for v in get_args(bare)} for key in keys}
    return _Shape(frozenset(not_null), frozenset(lists), choices)


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
    result.is_update = True
    return result
