"""JSON Logic, the rule language of rates, benefit claims, reactions and webhook conditions.

A thin wrapper over ``datalogic_py`` (a Rust engine): rules are checked when they are written
(:func:`validate`, a 422 naming the field), and evaluated without ever raising (:func:`truthy`).

A rule is stored as the client sent it: a JSON value (``{"==": [{"var": "a"}, 1]}``) or a string
holding the JSON text of one, as Omneo's admin writes conditions. So a bare string is read as JSON
text, never as a literal string rule. Besides the engine's operators, the two Omneo's conditions
use: ``not_in`` (the negation of ``in``) and ``test`` (a regular-expression search, the pattern
written bare or PHP-style between delimiters with flags: ``"/@example\\.com$/i"``; matching is
bounded in time). Data is handed to the engine as JSON text written by
:func:`omneo_server.wire.dumps`, so Decimals (which the engine cannot take as Python values),
datetimes and dates are welcome in it: Decimals become JSON numbers, timestamps
``YYYY-MM-DD HH:MM:SS`` strings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import datalogic_py
import regex

from omneo_server.domain.errors import Invalid
from omneo_server.wire import dumps, loads

#: Rules larger than this (serialised) are refused: conditions are small; anything bigger is a
#: mistake or an attack on the evaluator.
MAX_BYTES = 20_000
#: And so are rules nested deeper than this.
MAX_DEPTH = 32
#: Operations one evaluation may charge before it is abandoned (``map``/``reduce`` over big data).
OPS_BUDGET = 100_000

#: A regular expression in a ``test`` is given this long to match before it counts as no match.
REGEX_SECONDS = 0.05
_PHP_PATTERN = regex.compile(r"^([^\w\s\\])(.*)\1([imsxu]*)$", regex.DOTALL)
_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL, "x": regex.VERBOSE, "u": 0}


@lru_cache(maxsize=256)
def _pattern(text: str) -> regex.Pattern[str] | None:
    php = _PHP_PATTERN.match(text)
    source, flags = (php.group(2), sum(_FLAGS[f] for f in set(php.group(3)))) if php else (text, 0)
    try:
        return regex.compile(source, flags)
    except regex.error:
        return None


def _test(args_json: str) -> str:
    """``{"test": [value, pattern]}``: whether the pattern is found in the value (text)."""
    args = loads(args_json)
    if len(args) < 2 or args[0] is None or not isinstance(args[1], str):
        return "false"
    pattern = _pattern(args[1])
    if pattern is None:
        return "false"
    value = args[0] if isinstance(args[0], str) else dumps(args[0])
    try:
        return "true" if pattern.search(value, timeout=REGEX_SECONDS) else "false"
    except TimeoutError:
        return "false"


def _not_in(args_json: str) -> str:
    """``{"not_in": [needle, haystack]}``: the negation of ``in`` (an array member, or a substring)."""
    args = loads(args_json)
    if len(args) < 2:
        return "true"
    needle, haystack = args[0], args[1]
    if isinstance(haystack, list):
        return "false" if needle in haystack else "true"
    if isinstance(haystack, str) and isinstance(needle, str):
        return "false" if needle in haystack else "true"
    return "true"


_ENGINE = datalogic_py.Engine(custom_operators={"test": _test, "not_in": _not_in})


def _text(rule: Any) -> str:
    """The rule as JSON text (a string already is)."""
    return rule if isinstance(rule, str) else dumps(rule)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def problem(rule: Any) -> str | None:
    """What is wrong with ``rule`` as a JSON Logic rule, or ``None`` when nothing is."""
    try:
        text = _text(rule)
    except (TypeError, ValueError):
        return "The rule is not JSON."
    if len(text.encode()) > MAX_BYTES:
        return f"The rule is too large (at most {MAX_BYTES} bytes of JSON)."
    try:
        parsed = loads(text) if isinstance(rule, str) else rule
    except ValueError:
        return "The rule is not valid JSON text."
    if _depth(parsed) > MAX_DEPTH:
        return f"The rule is nested too deeply (at most {MAX_DEPTH} levels)."
    try:
        diagnostics = _ENGINE.check(text)
    except datalogic_py.DataLogicError as exc:
        return f"The rule is not valid JSON Logic: {exc}"
    errors = [d for d in diagnostics if d.get("severity") == "error"]
    if errors:
        first = errors[0]
        where = f" at {first['pointer']}" if first.get("pointer") else ""
        return f"The rule is not valid JSON Logic: {first['message']}{where}."
    return None


def validate(rule: Any, field: str = "rule") -> None:
    """Refuse a malformed, oversized or over-deep rule with a 422 naming ``field``. ``None`` (no
    condition) is valid."""
    if rule is None:
        return
    message = problem(rule)
    if message is not None:
        raise Invalid.field(field, message)


@lru_cache(maxsize=512)
def _compiled(text: str) -> datalogic_py.Rule:
    return _ENGINE.compile(text)


def evaluate(rule: Any, data: Any) -> Any:
    """The rule's result on ``data``; raises ``datalogic_py.DataLogicError`` when it cannot be
    evaluated (see :func:`truthy` for the form that never raises)."""
    result_text, _ops = _compiled(_text(rule)).evaluate_metered(dumps(data), OPS_BUDGET)
    return loads(result_text)


def truthy(rule: Any, data: Any) -> bool:
    """Whether ``rule`` passes on ``data`` under JSON Logic truthiness (``[]``, ``""``, ``0`` and
    ``null`` are false). No rule (``None``) passes; a rule that is malformed or fails to evaluate
    does not, and never raises."""
    if rule is None:
        return True
    try:
        result_text, _ops = _compiled(_text(rule)).evaluate_metered(dumps(data), OPS_BUDGET)
        return bool(_ENGINE.truthy(result_text))
    except (datalogic_py.DataLogicError, TypeError, ValueError):
        return False
