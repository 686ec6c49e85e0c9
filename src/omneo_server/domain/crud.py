"""The small CRUD base behind every declaratively described resource.

A :class:`Resource` says which table it is, which input schemas it takes, what may be filtered and
sorted, what must be unique; the functions below do the rest, one transaction per command, each
command appending its ``{event}.created|updated|deleted`` event to the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db.base import Base
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.query import INT_MAX, INT_MIN, Field, ListQuery, Page, apply, paginate

Row = Any
Renderer = Callable[[Row], dict[str, Any]]


def render_columns(row: Row, exclude: Sequence[str] = ("tenant_id",)) -> dict[str, Any]:
    """Every mapped column by its database name (``from_`` is rendered as ``from``)."""
    cls: Any = type(row)
    return {name: getattr(row, key) for name, key in _rendered(cls, tuple(exclude))}


@cache
def _rendered(cls: Any, exclude: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(wire name, attribute) of the columns ``render_columns`` writes, worked out once per class."""
    return tuple(
        (attr.columns[0].name, attr.key) for attr in inspect(cls).column_attrs if attr.columns[0].name not in exclude
    )


def _columns_by_name(table: type[Base]) -> dict[str, str]:
    """Wire name → attribute name (they differ only where a name is a Python keyword)."""
    return {attr.columns[0].name: attr.key for attr in inspect(table).column_attrs}


@dataclass(frozen=True)
class Resource:
    name: str
    event: str
    table: type[Base]
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    filters: Mapping[str, Field] = field(default_factory=dict)
    sorts: Mapping[str, Field] = field(default_factory=dict)
    search: Sequence[Any] = ()
    #: Groups of wire fields that must be unique within a tenant.
    unique: Sequence[Sequence[str]] = ()
    #: The column a record is addressed by in its URL.
    key: str = "id"
    key_kind: type = int
    render: Renderer = render_columns
    #: Turns validated input into column values; sees the existing row on update.
    prepare: Callable[[dict[str, Any], Row], dict[str, Any]] = lambda data, _row: data
    #: Checks that need the caller's context (its settings) or I/O, run after ``prepare`` on create
    #: and update; raises (e.g. :class:`Invalid`) to refuse the write.
    check: Callable[[Ctx, dict[str, Any]], Awaitable[None]] | None = None
    label: str = "Resource"
    #: Fields naming another record of the tenant, by id (``{"location_id": Location}``): a value
    #: naming no record of the tenant (another tenant's included) is a 422 on that field.
    refs: Mapping[str, type[Base]] = field(default_factory=dict)

    def key_column(self) -> Any:
        return getattr(self.table, _columns_by_name(self.table)[self.key])


def standard_fields(table: type[Base], *names: str) -> dict[str, Field]:
    """Filter/sort fields for plain columns, typed from the column's Python type."""
    by_name = _columns_by_name(table)
    out: dict[str, Field] = {}
    for name in names:
        column = getattr(table, by_name[name])
        python_type = column.type.python_type
        kind = python_type if python_type in (int, bool, Decimal, datetime, date) else str
        out[name] = Field(column, kind)
    return out


def _tenant_select(res: Resource, ctx: Ctx) -> Any:
    return select(res.table).where(res.table.tenant_id == ctx.tenant_id)  # type: ignore[attr-defined]


async def list_rows(session: AsyncSession, ctx: Ctx, res: Resource, query: ListQuery, *where: Any) -> Page:
    """A page of the tenant's rows (narrowed by ``where``, e.g. to one profile's)."""
    stmt = apply(
        _tenant_select(res, ctx).where(*where),
        query,
        res.filters,
        res.sorts,
        res.search,
        default_sort=(res.key_column(),),
    )
    return await paginate(session, stmt, query)


async def get_row(session: AsyncSession, ctx: Ctx, res: Resource, key: Any, *where: Any) -> Row:
    try:
        key = res.key_kind(key)
    except (TypeError, ValueError):
        raise NotFound(res.label) from None
    if isinstance(key, int) and not INT_MIN <= key <= INT_MAX:
        raise NotFound(res.label)
    stmt = _tenant_select(res, ctx).where(res.key_column() == key, *where)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound(res.label)
    return row


async def check_unique(
    session: AsyncSession, ctx: Ctx, res: Resource, values: Mapping[str, Any], exclude: Row = None
) -> None:
    """Answer a clash as a 422 naming the field (the unique index is the final guard). A group whose
    values are all null constrains nothing (unique indexes let nulls repeat)."""
    by_name = _columns_by_name(res.table)
    for group in res.unique:
        if all(values.get(name) is None for name in group):
            continue
        stmt = _tenant_select(res, ctx)
        for name in group:
            stmt = stmt.where(getattr(res.table, by_name[name]) == values.get(name))
        if exclude is not None:
            stmt = stmt.where(res.key_column() != getattr(exclude, by_name[res.key]))
        if (await session.execute(stmt.limit(1))).first() is not None:
            raise Invalid.field(group[-1], f"The {group[-1]} has already been taken.")


def _nullable(annotation: Any) -> bool:
    """May a create body's field hold null? (Update bodies make every field optional, not nullable.)"""
    return annotation is Any or annotation is None or type(None) in get_args(annotation)


def _assign(res: Resource, row: Row, data: Mapping[str, Any]) -> None:
    by_name = _columns_by_name(res.table)
    for name, value in data.items():
        if name in by_name:
            setattr(row, by_name[name], value)


async def check_refs(session: AsyncSession, ctx: Ctx, refs: Mapping[str, type[Base]], data: Mapping[str, Any]) -> None:
    """Every id a ``refs`` field names (one, or a list) is a record of the tenant."""
    for name, table in refs.items():
        value = data.get(name)
        wanted = set(value if isinstance(value, list) else [] if value is None else [value])
        if not wanted:
            continue
        ids: Any = table.id  # type: ignore[attr-defined]
        found = select(func.count()).where(table.tenant_id == ctx.tenant_id, ids.in_(wanted))  # type: ignore[attr-defined]
        if (await session.execute(found)).scalar_one() != len(wanted):
            raise Invalid.field(name, f"The selected {name.replace('_', ' ')} is invalid.")


async def create_row(session: AsyncSession, ctx: Ctx, res: Resource, data: dict[str, Any]) -> Row:
    data = res.prepare(data, None)
    if res.check is not None:
        await res.check(ctx, data)
    await check_refs(session, ctx, res.refs, data)
    await check_unique(session, ctx, res, data)
    row: Any = res.table(tenant_id=ctx.tenant_id)
    _assign(res, row, data)
    session.add(row)
    await session.flush()
    await events.record(session, ctx, f"{res.event}.created", row.id, res.render(row))
    return row


async def update_row(session: AsyncSession, ctx: Ctx, res: Resource, key: Any, data: dict[str, Any]) -> Row:
    row = await get_row(session, ctx, res, key)
    if res.create is not None:
        for name, info in res.create.model_fields.items():
            wire = info.alias or name
            if wire in data and data[wire] is None and not _nullable(info.annotation):
                raise Invalid.field(wire, f"The {wire} field cannot be null.")
    data = res.prepare(data, row)
    if res.check is not None:
        await res.check(ctx, data)
    await check_refs(session, ctx, res.refs, data)
    if res.unique:
        merged = {**res.render(row), **data}
        await check_unique(session, ctx, res, merged, exclude=row)
    before = res.render(row)
    _assign(res, row, data)
    await session.flush()
    await events.record(session, ctx, f"{res.event}.updated", row.id, res.render(row), old=before)
    return row


async def delete_row(session: AsyncSession, ctx: Ctx, res: Resource, key: Any) -> None:
    row = await get_row(session, ctx, res, key)
    payload = res.render(row)
    await session.delete(row)
    await session.flush()
    await events.record(session, ctx, f"{res.event}.deleted", payload.get("id"), payload)
