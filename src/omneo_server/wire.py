"""Wire formats shared by the HTTP layer and the event payloads: JSON with exact decimals,
``YYYY-MM-DD HH:MM:SS`` UTC timestamps, and lenient parsing of the timestamps clients send."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


def parse_timestamp(value: str | datetime) -> datetime:
    """Accept ``YYYY-MM-DD HH:MM:SS`` (UTC) or ISO-8601 with any offset; return naive UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """JSON with Decimals written as numbers, digit for digit."""
    return simplejson.dumps(value, use_decimal=True, default=_default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)
