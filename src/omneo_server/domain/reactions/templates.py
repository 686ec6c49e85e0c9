"""Target templates: Twig-flavoured Jinja2, rendered in a sandbox to the JSON a target receives.

Omneo writes target templates in Twig; we render them with Jinja2's
``ImmutableSandboxedEnvironment`` (the two share their ``{{ }}`` / ``{% %}`` syntax) and add the
Twig filters templates use: ``json_encode``, ``date(format[, timezone])`` (PHP format letters),
``default`` (Twig's: also for null and empty values), ``round``, ``number_format``, ``length``,
``escape``/``e`` (``html``, ``js``, ``url`` strategies), ``raw``, ``upper``, ``lower``, ``join``,
``first``, ``last``, ``keys``, ``merge``, and the tests ``null``/``empty``. As in Twig, ``a.b``
reads the key ``b`` of a mapping before any attribute (so ``transaction.items`` is the items, not
``dict.items``), undefined values print as nothing, and autoescaping is off (a template writes JSON,
not HTML).

A template is untrusted code, so rendering is bounded: templates over :data:`MAX_TEMPLATE_BYTES`
are refused, output is capped at :data:`MAX_OUTPUT_CHARS`, ``range`` and every call charge a step
budget of :data:`MAX_STEPS`, ``*`` and ``**`` refuse results that would be enormous, filters that
pad or repeat text (``center``, ``indent``, ``format``, ``wordwrap``) are absent, only a few
harmless methods of strings and mappings may be called, and reading an unsafe attribute
(``''.__class__``) fails the render. Every failure is a :class:`TemplateProblem` with a message
meant for the person who wrote the template.
"""

from __future__ import annotations

import contextvars
import html
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from omneo_server import clock
from omneo_server.domain.errors import Invalid
from omneo_server.wire import dumps, loads, parse_timestamp

#: Templates larger than this are refused when written and when rendered.
MAX_TEMPLATE_BYTES = 64 * 1024
#: A render that writes more than this many characters is stopped.
MAX_OUTPUT_CHARS = 1_000_000
#: Loop iterations (through ``range``) plus calls one render may make.
MAX_STEPS = 100_000
#: Exponents larger than this are refused (``2 ** 10 ** 9`` would never finish).
MAX_EXPONENT = 1_000

#: Methods a template may call on values; everything else callable is refused.
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {"lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "title", "capitalize"}
    ),
    dict: frozenset({"get", "keys", "values", "items"}),
    list: frozenset({"index", "count"}),
}
#: Jinja's own filters that would let a tiny template allocate without bound.
_UNSAFE_FILTERS = ("center", "indent", "format", "wordwrap", "replace", "urlize", "pprint", "xmlattr")


class TemplateProblem(Exception):
    """A template that cannot be rendered (or written): syntax, sandbox, budget, or not JSON."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Budget:
    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def charge(self, steps: int) -> None:
        self.steps += max(steps, 1)
        if self.steps > MAX_STEPS:
            raise TemplateProblem(f"The template does too much work (more than {MAX_STEPS} steps).")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


def _charge(steps: int) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.charge(steps)


# --- filters ---------------------------------------------------------------------------------------


def _undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def _plain(value: Any) -> Any:
    """A value as JSON data (Undefined is null)."""
    return None if _undefined(value) else value


def json_encode(value: Any) -> str:
    return dumps(_plain(value))


def _moment(value: Any, zone: str | None) -> datetime:
    """A datetime from what templates hold: a timestamp string, a datetime/date, epoch seconds, or
    ``now``/null (now). Naive values are UTC; the result is in ``zone`` (UTC by default)."""
    if value is None or _undefined(value) or value == "now":
        moment = clock.now()
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.lstrip("-").isdigit():
            moment = datetime.fromtimestamp(int(text), UTC).replace(tzinfo=None)
        else:
            try:
                moment = parse_timestamp(text)
            except ValueError:
                raise TemplateProblem(f"The date filter cannot read {value!r} as a date.") from None
    else:
        raise TemplateProblem(f"The date filter cannot read a {type(value).__name__} as a date.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(ZoneInfo(zone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise TemplateProblem(f"The date filter does not know the timezone {zone!r}.") from None


def _suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _offset(moment: datetime, colon: bool) -> str:
    delta = moment.utcoffset() or timedelta()
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


def _php_letter(letter: str, m: datetime) -> str | None:
    hour12 = m.hour % 12 or 12
    table: dict[str, Any] = {
        "d": lambda: f"{m.day:02d}",
        "D": lambda: m.strftime("%a"),
        "j": lambda: str(m.day),
        "l": lambda: m.strftime("%A"),
        "N": lambda: str(m.isoweekday()),
        "S": lambda: _suffix(m.day),
        "w": lambda: str(m.isoweekday() % 7),
        "z": lambda: str(m.timetuple().tm_yday - 1),
        "W": lambda: f"{m.isocalendar()[1]:02d}",
        "F": lambda: m.strftime("%B"),
        "m": lambda: f"{m.month:02d}",
        "M": lambda: m.strftime("%b"),
        "n": lambda: str(m.month),
        "t": lambda: str(((m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day),
        "L": lambda: "1" if m.year % 4 == 0 and (m.year % 100 != 0 or m.year % 400 == 0) else "0",
        "o": lambda: str(m.isocalendar()[0]),
        "Y": lambda: f"{m.year:04d}",
        "y": lambda: f"{m.year % 100:02d}",
        "a": lambda: "am" if m.hour < 12 else "pm",
        "A": lambda: "AM" if m.hour < 12 else "PM",
        "g": lambda: str(hour12),
        "G": lambda: str(m.hour),
        "h": lambda: f"{hour12:02d}",
        "H": lambda: f"{m.hour:02d}",
        "i": lambda: f"{m.minute:02d}",
        "s": lambda: f"{m.second:02d}",
        "u": lambda: f"{m.microsecond:06d}",
        "v": lambda: f"{m.microsecond // 1000:03d}",
        "e": lambda: str(m.tzinfo),
        "T": lambda: m.tzname() or "UTC",
        "O": lambda: _offset(m, colon=False),
        "P": lambda: _offset(m, colon=True),
        "Z": lambda: str(int((m.utcoffset() or timedelta()).total_seconds())),
        "c": lambda: m.strftime("%Y-%m-%dT%H:%M:%S") + _offset(m, colon=True),
        "r": lambda: m.strftime("%a, %d %b %Y %H:%M:%S ") + _offset(m, colon=False),
        "U": lambda: str(int(m.timestamp())),
    }
    found = table.get(letter)
    return None if found is None else str(found())


def php_date(value: Any, format: str = "F j, Y H:i", timezone: str | None = None) -> str:
    """Twig's ``date`` filter: PHP ``date()`` format letters; ``\\`` escapes the next character."""
    moment = _moment(value, timezone)
    out: list[str] = []
    escaped = False
    for char in str(format):
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            rendered = _php_letter(char, moment)
            out.append(char if rendered is None else rendered)
    return "".join(out)


def _decimal(value: Any) -> Decimal:
    if value is None or _undefined(value) or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise TemplateProblem(f"{value!r} is not a number.") from None


def twig_round(value: Any, precision: int = 0, method: str = "common") -> Any:
    """Twig's ``round``: ``common`` (half away from zero), ``ceil`` or ``floor``."""
    modes = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}
    if method not in modes:
        raise TemplateProblem("The round filter only supports the common, ceil and floor methods.")
    number = _decimal(value)
    exponent = Decimal(1).scaleb(-int(precision))
    rounded = number.quantize(exponent, rounding=modes[method])
    return int(rounded) if precision <= 0 else rounded


def number_format(value: Any, decimals: int = 0, dec_point: str = ".", thousands_sep: str = ",") -> str:
    """Twig's ``number_format``."""
    rounded = _decimal(value).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + thousands_sep.join(groups)
    return f"{text}{dec_point}{fraction}" if decimals > 0 else text


def twig_default(value: Any, default: Any = "") -> Any:
    """Twig's ``default``: the fallback for undefined, null and empty values."""
    if _undefined(value) or value is None or value == "" or value == [] or value == {}:
        return default
    return value


def twig_length(value: Any) -> int:
    if value is None or _undefined(value):
        return 0
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return len(str(value))
    try:
        return len(value)
    except TypeError:
        return len(list(value))


def escape(value: Any, strategy: str = "html", _charset: str | None = None) -> str:
    """Twig's ``escape``/``e``: ``html`` (and ``html_attr``), ``js`` (a JSON string's inside) or
    ``url``."""
    text = "" if value is None or _undefined(value) else str(value)
    if strategy in ("html", "html_attr"):
        return html.escape(text, quote=True)
    if strategy == "js":
        return json.dumps(text)[1:-1]
    if strategy == "url":
        return quote(text, safe="")
    raise TemplateProblem(f"The escape filter has no {strategy!r} strategy (html, html_attr, js or url).")


def raw(value: Any) -> Any:
    return value


def twig_first(value: Any) -> Any:
    if value is None or _undefined(value):
        return None
    if isinstance(value, Mapping):
        return next(iter(value.values()), None)
    return next(iter(value), None)


def twig_last(value: Any) -> Any:
    if value is None or _undefined(value):
        return None
    if isinstance(value, Mapping):
        value = list(value.values())
    items = value if isinstance(value, Sequence) else list(value)
    return items[-1] if items else None


def twig_join(value: Any, glue: str = "", and_: str | None = None) -> str:
    if value is None or _undefined(value):
        return ""
    items = [str(v) for v in (value.values() if isinstance(value, Mapping) else value)]
    if and_ is not None and len(items) > 1:
        return glue.join(items[:-1]) + and_ + items[-1]
    return glue.join(items)


def twig_keys(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.keys())
    return list(range(len(value))) if isinstance(value, Sequence) else []


def twig_merge(value: Any, other: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(other, Mapping):
        return {**value, **other}
    return [*(value or []), *(other or [])]


def twig_replace(value: Any, pairs: Any, new: Any = None) -> str:
    """Twig's ``replace({'from': 'to'})`` (Jinja's ``replace(old, new)`` also works), bounded."""
    text = "" if value is None or _undefined(value) else str(value)
    mapping = pairs if isinstance(pairs, Mapping) else {pairs: "" if new is None else new}
    for old, replacement in mapping.items():
        old, replacement = str(old), str(replacement)
        if not old:
            continue
        if len(text) + text.count(old) * len(replacement) > MAX_OUTPUT_CHARS:
            raise TemplateProblem("The replace filter would produce too much text.")
        text = text.replace(old, replacement)
    return text


# --- the environment -------------------------------------------------------------------------------


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Twig reads a mapping's key before its attributes: ``transaction.items`` is the items.
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        if isinstance(obj, Undefined) and not attribute.startswith("_"):
            return obj  # chains: an undefined value's parts print as nothing too
        return super().getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"Access to attribute {attribute!r} of a {type(obj).__name__} is not allowed.")

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if callable(value):
            return any(isinstance(obj, kind) and attr in names for kind, names in _SAFE_METHODS.items())
        return True

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float | Decimal) and not -MAX_EXPONENT <= right <= MAX_EXPONENT:
                raise TemplateProblem(f"Exponents are limited to {MAX_EXPONENT}.")
            return left**right
        size = _sized(left) or _sized(right)
        times = right if _sized(left) is not None else left
        if size is not None and isinstance(times, int) and size * times > MAX_OUTPUT_CHARS:
            raise TemplateProblem("The template would build too large a value.")
        return left * right

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _charge(1)
        return super().call(__context, __obj, *args, **kwargs)


def _range(*args: int) -> range:
    span = range(*args)
    _charge(len(span))
    return span


class _Undefined(ChainableUndefined):
    """Twig prints undefined values (and their parts) as nothing."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    """What ``{{ value }}`` prints, as Twig does: null and false print nothing, true prints ``1``;
    (ours) lists and mappings print as JSON."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, list | dict):
        return dumps(value)
    return value


def _environment() -> _Environment:
    env = _Environment(autoescape=False, undefined=_Undefined, finalize=_finalize)
    for name in _UNSAFE_FILTERS:
        env.filters.pop(name, None)
    env.filters.update(
        json_encode=json_encode,
        date=php_date,
        default=twig_default,
        d=twig_default,
        round=twig_round,
        number_format=number_format,
        length=twig_length,
        count=twig_length,
        escape=escape,
        e=escape,
        raw=raw,
        first=twig_first,
        last=twig_last,
        join=twig_join,
        keys=twig_keys,
        merge=twig_merge,
        replace=twig_replace,
    )
    env.tests.update(null=lambda v: v is None or _undefined(v), empty=lambda v: twig_default(v, None) is None)
    env.globals["range"] = _range
    return env


_ENV = _environment()


def _check_size(template: str) -> None:
    if len(template.encode()) > MAX_TEMPLATE_BYTES:
        raise TemplateProblem(f"The template is too large (at most {MAX_TEMPLATE_BYTES} bytes).")


@lru_cache(maxsize=256)
def _compiled(template: str) -> Template:
    return _ENV.from_string(template)


def _parse(template: str) -> Template:
    """The compiled template; unknown filters and tests are syntax errors too."""
    _check_size(template)
    try:
        return _compiled(template)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"The template has a syntax error on line {exc.lineno}: {exc.message}") from None


def validate(template: Any, field: str = "template") -> None:
    """At write time: refuse a template that is not text, too large, or not valid syntax (422)."""
    if template is None:
        return
    if not isinstance(template, str):
        raise Invalid.field(field, f"The {field} must be a string.")
    try:
        _parse(template)
    except TemplateProblem as exc:
        raise Invalid.field(field, exc.message) from None


def render(template: str, context: Mapping[str, Any]) -> str:
    """The template's text on ``context``, within the budget; :class:`TemplateProblem` otherwise."""
    compiled = _parse(template)
    token = _budget.set(_Budget())
    try:
        out: list[str] = []
        written = 0
        for chunk in compiled.generate(dict(context)):
            written += len(chunk)
            if written > MAX_OUTPUT_CHARS:
                raise TemplateProblem(f"The template writes too much (more than {MAX_OUTPUT_CHARS} characters).")
            out.append(chunk)
        return "".join(out)
    except TemplateProblem:
        raise
    except SecurityError as exc:
        raise TemplateProblem(f"The template is not allowed to do that: {exc}") from None
    except RecursionError:
        raise TemplateProblem("The template recurses too deeply.") from None
    except MemoryError:
        raise TemplateProblem("The template needs too much memory.") from None
    except Exception as exc:  # anything a filter or an expression raises is the template's problem
        raise TemplateProblem(f"The template failed: {type(exc).__name__}: {exc}") from None
    finally:
        _budget.reset(token)


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """The rendered JSON text (checked to be JSON), stripped of surrounding whitespace."""
    text = render(template, context).strip()
    try:
        loads(text)
    except ValueError as exc:
        raise TemplateProblem(f"The template did not render valid JSON: {exc}") from None
    return text


def render_json(template: str, context: Mapping[str, Any]) -> Any:
    """The template rendered on ``context`` and parsed as JSON."""
    return loads(render_text(template, context))


__all__ = ["TemplateProblem", "render", "render_json", "render_text", "validate"]
