"""Wire formats shared by the HTTP layer and the event payloads: JSON with exact decimals,
``YYYY-MM-DD HH:MM:SS`` UTC timestamps, and lenient parsing of the timestamps clients send."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
import simplejson

TIMESTAMP = "%Y-%m-%d %H:%M:%S"
CENT = Decimal("0.01")


def money(value: Decimal | int | float | str | None) -> Decimal | None:
    """Round to cents, half up: the one rounding rule for money."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(TIMESTAMP)


class NotADate(ValueError):
    """Text that reads as no date at all (as against a date out of range)."""


def parse_timestamp(value: str | datetime) -> datetime:
    """Accept ``YYYY-MM-DD HH:MM:SS`` (UTC) or ISO-8601 with any offset; return naive UTC. The one
    parse of a timestamp: anything unreadable, or outside the years 1 to 9999 once in UTC, is a
    ``ValueError``."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise NotADate(f"{value!r} is not a date.") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("The date is out of range once converted to UTC.") from None
    return parsed.replace(microsecond=0)


#: The range a business date (a sale, an issue, an expiry, a join) may have: what a loyalty
#: programme can mean, and what every database and client library stores without surprises.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2199, 12, 31, 23, 59, 59)


def business_timestamp(value: str | datetime) -> datetime:
    """``parse_timestamp``, and within :data:`EARLIEST`..:data:`LATEST`."""
    parsed = parse_timestamp(value)
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(f"The date must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC).")
    return parsed


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _fast_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))  # a number, digit for digit
    return _default(value)


_FAST = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """JSON with Decimals written as numbers, digit for digit (orjson; simplejson for what orjson
    refuses, such as integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_fast_default, option=_FAST).decode()
    except orjson.JSONEncodeError:
        return simplejson.dumps(value, use_decimal=True, default=_default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


#: Deepest nesting a request body may have (arrays and objects); our richest bodies (JSON Logic
#: conditions, 32 levels) fit well inside it.
MAX_BODY_DEPTH = 64
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BodyError(ValueError):
    """A request body that cannot be read as JSON; the message says why."""


def parse_body(raw: bytes) -> Any:
    """The one reading of a JSON request body, for every check and handler alike: UTF-8 only
    (RFC 8259 §8.1; a UTF-8 byte order mark is ignored), at most :data:`MAX_BODY_DEPTH` levels
    deep, exact decimals, no NaN, no unpaired surrogates."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("The request body must be JSON encoded as UTF-8.") from None
    try:
        value = loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise BodyError(f"The request body is nested more than {MAX_BODY_DEPTH} levels deep.") from None
    except ValueError:
        raise BodyError("The request body is not valid JSON.") from None
    if _too_deep(value, MAX_BODY_DEPTH):
        raise BodyError(f"The request body is nested more than {MAX_BODY_DEPTH} levels deep.")
    if _LONE_SURROGATE_ESCAPE.search(raw) and not _encodable(value):
        raise BodyError("The request body contains an unpaired UTF-16 surrogate escape.")
    return value


def _children(value: Any) -> Any:
    return value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()


def _too_deep(value: Any, limit: int) -> bool:
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [child for node in level for child in _children(node) if isinstance(child, dict | list)]
    return False


def _encodable(value: Any) -> bool:
    try:
        simplejson.dumps(value, use_decimal=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
