"""List queries: ``filter[field][op]=v``, ``filter[search]``, ``sort=a,-b`` and pagination,
checked against a whitelist so a bad field is a 422, never a SQL error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.domain.errors import Invalid
from omneo_server.wire import parse_timestamp

#: Integer columns are 32-bit; larger numbers are refused rather than sent to the database.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nullable")
_KEY = re.compile(r"^([a-z_]+)((?:\[[^\[\]]*\])*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """A filterable / sortable field. ``via`` is a relationship: the filter then matches a row
    when any related row matches (``filter[tags][handle]=vip``)."""

    column: Any
    kind: type = str
    #: Relationship path from the listed row to the column's row.
    via: tuple[Any, ...] = ()
    #: Normalises a filter value the way stored values were (e.g. lower-cased emails).
    normalise: Callable[[str], str] | None = None


@dataclass
class ListQuery:
    filters: list[tuple[str, str, str]] = field(default_factory=list)
    search: str | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    page: int = 1
    size: int = 15


def _bracket_path(key: str) -> list[str] | None:
    match = _KEY.match(key)
    if not match:
        return None
    return [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise Invalid.field(name, f"The {name} must be an integer.") from None
    if value < 1:
        raise Invalid.field(name, f"The {name} must be at least 1.")
    if value > INT_MAX:
        raise Invalid.field(name, f"The {name} must be at most {INT_MAX}.")
    return value


def parse_list_query(
    params: Iterable[tuple[str, str]], default_size: int, max_size: int, ignore: Sequence[str] = ()
) -> ListQuery:
    """Read the query string. Keys outside filter/sort/page conventions are left to the route."""
    query = ListQuery(size=default_size)
    offset: int | None = None
    for key, raw in params:
        path = _bracket_path(key)
        if path is None or path[0] in ignore:
            continue
        head = path[0]
        if head == "filter" and len(path) >= 2:
            rest = path[1:]
            if rest == ["search"]:
                query.search = raw
                continue
            op = "eq"
            if len(rest) >= 2 and rest[-1] in OPERATORS:
                op = rest.pop()
            query.filters.append((".".join(rest), op, raw))
        elif head == "sort" and len(path) == 1:
            for part in filter(None, (p.strip() for p in raw.split(","))):
                query.sort.append((part.lstrip("-+"), part.startswith("-")))
        elif (head == "page" and path[1:] == ["number"]) or (head == "page" and len(path) == 1):
            query.page = _positive_int("page", raw)
        elif (head == "page" and path[1:] == ["size"]) or head in ("per_page", "limit"):
            query.size = _positive_int("page[size]", raw)
        elif head == "offset":
            offset = 0 if raw == "0" else _positive_int("offset", raw)
    # Sizes above the cap are served at the cap (meta.per_page tells the client).
    query.size = min(query.size, max_size)
    if offset is not None:
        query.page = offset // query.size + 1
    return query


def _coerce(name: str, kind: type, raw: str) -> Any:
    try:
        if kind is bool:
            if raw.lower() in ("1", "true"):
                return True
            if raw.lower() in ("0", "false"):
                return False
            raise ValueError
        if kind is int:
            value = int(raw)
            if not INT_MIN <= value <= INT_MAX:
                raise ValueError
            return value
        if kind is Decimal:
            return Decimal(raw)
        if kind is datetime:
            return parse_timestamp(raw)
        if kind is date:
            return date.fromisoformat(raw)
        return raw
    except (ValueError, InvalidOperation):
        raise Invalid.field(f"filter[{name}]", f"The filter {name} must be a valid {kind.__name__}.") from None


_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
}


def _condition(name: str, spec: Field, op: str, raw: str) -> ColumnElement[bool]:
    column = spec.column
    if spec.normalise is not None:
        raw = spec.normalise(raw)
    if op == "nullable":
        flag = _coerce(name, bool, raw)
        cond: ColumnElement[bool] = column.is_(None) if flag else column.is_not(None)
    elif op == "in":
        values = [_coerce(name, spec.kind, v.strip()) for v in raw.split(",") if v.strip()]
        cond = column.in_(values) if values else false()
    else:
        cond = _COMPARE[op](column, _coerce(name, spec.kind, raw))
    for relation in reversed(spec.via):
        cond = relation.any(cond) if relation.property.uselist else relation.has(cond)
    return cond


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    size: int


def apply(
    stmt: Select[Any],
    query: ListQuery,
    filters: Mapping[str, Field],
    sorts: Mapping[str, Field],
    search: Sequence[Any] = (),
    default_sort: Sequence[Any] = (),
) -> Select[Any]:
    """Add the query's filters and ordering to ``stmt`` (422 on fields outside the whitelist)."""
    for name, op, raw in query.filters:
        spec = filters.get(name)
        if spec is None:
            raise Invalid.field(f"filter[{name}]", f"Filtering by {name} is not allowed.")
        stmt = stmt.where(_condition(name, spec, op, raw))
    if query.search:
        if not search:
            raise Invalid.field("filter[search]", "Search is not available here.")
        needle = f"%{query.search.lower()}%"
        stmt = stmt.where(or_(*(func.lower(column).like(needle) for column in search)))
    order: list[Any] = []
    for name, descending in query.sort:
        spec = sorts.get(name)
        if spec is None:
            raise Invalid.field("sort", f"Sorting by {name} is not allowed.")
        order.append(spec.column.desc() if descending else spec.column.asc())
    return stmt.order_by(*order, *default_sort)


async def paginate(session: AsyncSession, stmt: Select[Any], query: ListQuery) -> Page:
    result = await session.execute(stmt.limit(query.size).offset((query.page - 1) * query.size))
    rows = list(result.scalars().unique())
    if query.page == 1 and len(rows) < query.size:
        return Page(rows, len(rows), query.page, query.size)  # the whole result: nothing to count
    total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    return Page(rows, total, query.page, query.size)
