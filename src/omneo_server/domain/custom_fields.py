"""Custom fields: ``namespace:handle`` values on any owner (a profile, an address, a status, the tenant…).

One table holds them all (profile custom attributes included), addressed by ``owner_type`` (the model
slug of the API, e.g. ``profile``) and ``owner_id``. Updating a value keeps the previous one as a
version. Each command runs inside the caller's one transaction and appends the event it causes
(``custom_field.created|updated|deleted``, ``custom.<event>``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import StringConstraints, model_validator
from sqlalchemy import ColumnElement, Select, String, and_, cast, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import DomainError, Invalid, NotFound
from omneo_server.domain.inputs import Body, Handle, Name, as_type, kind_of
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate
from omneo_server.wire import dumps

Kind = Literal["string", "integer", "float", "boolean", "json", "array"]
#: The longest outbox event type (``outbox_events.type`` is VARCHAR(100)).
EVENT_TYPE_MAX = 100
CUSTOM_EVENT_PREFIX = "custom."
_EVENT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_INT_MAX = 2**31 - 1


# --- input ---------------------------------------------------------------------------------------


class CustomFieldIn(Body):
    namespace: Handle
    handle: Handle
    #: Read from the value when not sent, as a setting's is (``7`` an integer, ``"x"`` a string…).
    type: Kind = None  # type: ignore[assignment]
    value: Any = None
    name: Name | None = None
    is_index: bool = False

    @model_validator(mode="after")
    def _typed(self) -> CustomFieldIn:
        if self.type is None:
            self.type = kind_of(self.value)
        return self


class CustomFieldUpdate(Body):
    """A PUT: ``value`` (and ``type``) make a new version; ``name`` / ``is_index`` are edited in place."""

    is_update = True

    type: Kind | None = None
    value: Any = None
    name: Name | None = None
    is_index: bool | None = None


class FieldRef(Body):
    namespace: str
    handle: str


class BatchDeleteIn(Body):
    custom_fields: list[FieldRef]


class CustomEventIn(Body):
    event: Annotated[str, StringConstraints(min_length=1, max_length=EVENT_TYPE_MAX)]
    context: dict[str, Any] | None = None


# --- owners --------------------------------------------------------------------------------------


class UnknownModel(NotFound):
    def __init__(self, model: str) -> None:
        DomainError.__init__(self, f"Unknown model type {model}.")


@dataclass(frozen=True)
class Owner:
    """Whose fields: the model slug (``custom_fieldable_type``) and the owner's id as stored."""

    type: str
    id: str


def _as_int(raw: str) -> int | None:
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= _INT_MAX:
        return int(raw)
    return None


def _as_uuid(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


@dataclass(frozen=True)
class OwnerKind:
    label: str
    #: ``SELECT <id>`` over the tenant's live owners of this kind.
    live: Callable[[Ctx], Select[Any]]
    #: The condition picking one owner by the id in the URL; ``None`` when the id is malformed.
    match: Callable[[str], ColumnElement[bool] | None]


def _match_int(column: Any) -> Callable[[str], ColumnElement[bool] | None]:
    def match(raw: str) -> ColumnElement[bool] | None:
        number = _as_int(raw)
        return None if number is None else column == number

    return match


def _match_tenant(raw: str) -> ColumnElement[bool]:
    number = _as_int(raw)
    return t.Tenant.id == number if number is not None else t.Tenant.handle == raw


def _match_profile(raw: str) -> ColumnElement[bool] | None:
    profile_id = _as_uuid(raw)
    return None if profile_id is None else t.Profile.id == profile_id


#: The owners whose tables exist. The API also names credit, credit_definition,
#: organisation, product, product_list, role_definition and share: those answer
#: "Unknown model type" until they are added here.
OWNERS: dict[str, OwnerKind] = {
    "profile": OwnerKind(
        "Profile",
        lambda ctx: select(t.Profile.id).where(t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None)),
        _match_profile,
    ),
    "address": OwnerKind(
        "Address",
        lambda ctx: (
            select(t.Address.id)
            .join(t.Profile, t.Profile.id == t.Address.profile_id)
            .where(t.Address.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None))
        ),
        _match_int(t.Address.id),
    ),
    "status": OwnerKind(
        "Status",
        lambda ctx: select(t.Status.id).where(t.Status.tenant_id == ctx.tenant_id),
        _match_int(t.Status.id),
    ),
    "location": OwnerKind(
        "Location",
        lambda ctx: select(t.Location.id).where(t.Location.tenant_id == ctx.tenant_id),
        _match_int(t.Location.id),
    ),
    "transaction": OwnerKind(
        "Transaction",
        lambda ctx: select(t.Transaction.id).where(t.Transaction.tenant_id == ctx.tenant_id),
        _match_int(t.Transaction.id),
    ),
    "order": OwnerKind(
        "Order",
        lambda ctx: select(t.Order.id).where(t.Order.tenant_id == ctx.tenant_id),
        _match_int(t.Order.id),
    ),
    "tenant": OwnerKind(
        "Tenant",
        lambda ctx: select(t.Tenant.id).where(t.Tenant.id == ctx.tenant_id),
        _match_tenant,
    ),
}


async def owner(session: AsyncSession, ctx: Ctx, model: str, raw_id: str) -> Owner:
    """The owner named by ``/custom-fields/{model}/{id}``: 404 for unknown models and ids (and for
    another tenant's records, and deleted profiles)."""
    kind = OWNERS.get(model)
    if kind is None:
        raise UnknownModel(model)
    condition = None if "\x00" in raw_id else kind.match(raw_id)
    if condition is None:
        raise NotFound(kind.label)
    found = (await session.execute(kind.live(ctx).where(condition).limit(1))).scalar_one_or_none()
    if found is None:
        raise NotFound(kind.label)
    return Owner(model, str(found))


def tenant_owner(ctx: Ctx) -> Owner:
    return Owner("tenant", str(ctx.tenant_id))


def _visible(ctx: Ctx) -> ColumnElement[bool]:
    """Fields whose owner is live (hides a soft-deleted profile's fields and orphans)."""
    clauses = []
    for slug, kind in OWNERS.items():
        ids = kind.live(ctx).subquery()
        column = next(iter(ids.c))
        as_text = column if isinstance(column.type, String) else cast(column, String)
        clauses.append(and_(t.CustomField.owner_type == slug, t.CustomField.owner_id.in_(select(as_text))))
    return or_(*clauses)


# --- rendering -----------------------------------------------------------------------------------


def _owner_id(row: t.CustomField) -> int | str:
    number = _as_int(row.owner_id) if row.owner_type != "profile" else None
    return row.owner_id if number is None else number


def render(row: t.CustomField) -> dict[str, Any]:
    return {
        "id": row.id,
        "namespace": row.namespace,
        "handle": row.handle,
        "name": row.name,
        "type": row.type,
        "value": row.value,
        "version": row.version,
        "is_index": row.is_index,
        "custom_fieldable_type": row.owner_type,
        "custom_fieldable_id": _owner_id(row),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def render_version(row: t.CustomField, version: t.CustomFieldVersion) -> dict[str, Any]:
    """An earlier value, in the field's shape; its timestamps are when it was replaced."""
    return {
        **render(row),
        "value": version.value,
        "version": version.version,
        "created_at": version.created_at,
        "updated_at": version.created_at,
    }


# --- values --------------------------------------------------------------------------------------


def custom_value(kind: str, value: Any, field: str = "value") -> Any:
    """A custom value read as its declared type (stored as JSON; null always fits)."""
    try:
        return as_type(kind, value)
    except ValueError:
        raise Invalid.field(field, f"The value must be of type {kind}.") from None


async def find(session: AsyncSession, ctx: Ctx, owner: Owner, namespace: str, handle: str) -> t.CustomField | None:
    stmt = select(t.CustomField).where(
        t.CustomField.tenant_id == ctx.tenant_id,
        t.CustomField.owner_type == owner.type,
        t.CustomField.owner_id == owner.id,
        t.CustomField.namespace == namespace,
        t.CustomField.handle == handle,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _new(ctx: Ctx, owner: Owner, namespace: str, handle: str, kind: str, value: Any) -> t.CustomField:
    return t.CustomField(
        tenant_id=ctx.tenant_id,
        owner_type=owner.type,
        owner_id=owner.id,
        namespace=namespace,
        handle=handle,
        type=kind,
        value=custom_value(kind, value),
        version=1,
        is_index=False,
    )


def _revise(session: AsyncSession, row: t.CustomField, kind: str, value: Any) -> None:
    """A new value (and type): the current one is kept as a version."""
    value = custom_value(kind, value)
    session.add(t.CustomFieldVersion(custom_field_id=row.id, version=row.version, value=row.value))
    row.type, row.value, row.version = kind, value, row.version + 1


async def set_custom(
    session: AsyncSession,
    ctx: Ctx,
    owner_type: str,
    owner_id: str,
    namespace: str,
    handle: str,
    kind: str,
    value: Any,
    name: str | None = None,
) -> t.CustomField:
    """Create or update a ``namespace:handle`` field, keeping the previous value as a version.
    (The profile attribute routes' upsert; it records no event of its own.)"""
    owner = Owner(owner_type, owner_id)
    row = await find(session, ctx, owner, namespace, handle)
    if row is None:
        row = _new(ctx, owner, namespace, handle, kind, value)
        session.add(row)
    else:
        _revise(session, row, kind, value)
    if name is not None:
        row.name = name
    await session.flush()
    return row


# --- queries -------------------------------------------------------------------------------------

_FIELDS: dict[str, Field] = {
    "namespace": Field(t.CustomField.namespace),
    "handle": Field(t.CustomField.handle),
    "name": Field(t.CustomField.name),
    "type": Field(t.CustomField.type),
    "is_index": Field(t.CustomField.is_index, bool),
    "version": Field(t.CustomField.version, int),
    "created_at": Field(t.CustomField.created_at, datetime),
    "updated_at": Field(t.CustomField.updated_at, datetime),
}
_SEARCH_FIELDS: dict[str, Field] = {
    **_FIELDS,
    "custom_fieldable_type": Field(t.CustomField.owner_type),
    "custom_fieldable_id": Field(t.CustomField.owner_id),
}
_TEXT = (t.CustomField.namespace, t.CustomField.handle, t.CustomField.name)


def parse_key(key: str) -> tuple[str, str]:
    """``namespace:handle`` (a malformed key names no field: 404)."""
    namespace, sep, handle = key.partition(":")
    if not sep or not namespace or not handle or "\x00" in key:
        raise NotFound("Custom field")
    return namespace, handle


def _tenant_fields(ctx: Ctx) -> Select[Any]:
    return select(t.CustomField).where(t.CustomField.tenant_id == ctx.tenant_id)


async def list_fields(session: AsyncSession, ctx: Ctx, owner: Owner, query: ListQuery) -> Page:
    stmt = _tenant_fields(ctx).where(t.CustomField.owner_type == owner.type, t.CustomField.owner_id == owner.id)
    stmt = apply(
        stmt,
        query,
        _FIELDS,
        _FIELDS,
        _TEXT,
        default_sort=(t.CustomField.namespace, t.CustomField.handle, t.CustomField.id),
    )
    return await paginate(session, stmt, query)


def _value_condition(op: str, raw: str) -> ColumnElement[bool]:
    """``filter[value]``: the stored JSON's text, matched as a string or as a bare number/boolean."""
    if op == "eq":
        wanted = [raw]
    elif op == "in":
        wanted = [v.strip() for v in raw.split(",") if v.strip()]
    else:
        raise Invalid.field("filter[value]", "The value filter takes eq or in.")
    # Stored JSON text never holds a raw NUL (and PostgreSQL refuses one as a parameter).
    forms = [form for v in wanted for form in (v, dumps(v)) if "\x00" not in form]
    return cast(t.CustomField.value, String).in_(forms) if forms else false()


async def search(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    """``GET /custom-fields/search``: the tenant's fields on every (live) owner."""
    stmt = _tenant_fields(ctx).where(_visible(ctx))
    for _name, op, raw in [f for f in query.filters if f[0] == "value"]:
        stmt = stmt.where(_value_condition(op, raw))
    rest = replace(query, filters=[f for f in query.filters if f[0] != "value"])
    stmt = apply(stmt, rest, _SEARCH_FIELDS, _SEARCH_FIELDS, _TEXT, default_sort=(t.CustomField.id,))
    return await paginate(session, stmt, query)


async def get(session: AsyncSession, ctx: Ctx, owner: Owner, key: str) -> t.CustomField:
    row = await find(session, ctx, owner, *parse_key(key))
    if row is None:
        raise NotFound("Custom field")
    return row


async def versions(session: AsyncSession, ctx: Ctx, owner: Owner, key: str) -> list[dict[str, Any]]:
    """The field's earlier values, oldest first (the current value is the field itself)."""
    row = await get(session, ctx, owner, key)
    stmt = (
        select(t.CustomFieldVersion)
        .where(t.CustomFieldVersion.custom_field_id == row.id)
        .order_by(t.CustomFieldVersion.version, t.CustomFieldVersion.id)
    )
    return [render_version(row, v) for v in (await session.execute(stmt)).scalars()]


# --- commands ------------------------------------------------------------------------------------


async def create(session: AsyncSession, ctx: Ctx, owner: Owner, body: CustomFieldIn) -> t.CustomField:
    if await find(session, ctx, owner, body.namespace, body.handle) is not None:
        raise Invalid.field("handle", f"The custom field {body.namespace}:{body.handle} already exists.")
    row = _new(ctx, owner, body.namespace, body.handle, body.type, body.value)
    row.name, row.is_index = body.name, body.is_index
    session.add(row)
    await session.flush()
    await events.record(session, ctx, "custom_field.created", row.id, render(row))
    return row


async def update(session: AsyncSession, ctx: Ctx, owner: Owner, key: str, body: CustomFieldUpdate) -> t.CustomField:
    row = await get(session, ctx, owner, key)
    given = body.model_fields_set
    kind = body.type or row.type
    if "value" in given or kind != row.type:
        _revise(session, row, kind, body.value if "value" in given else row.value)
    if body.name is not None:
        row.name = body.name
    if body.is_index is not None:
        row.is_index = body.is_index
    await session.flush()
    await events.record(session, ctx, "custom_field.updated", row.id, render(row))
    return row


async def _delete(session: AsyncSession, ctx: Ctx, row: t.CustomField) -> None:
    payload = render(row)
    await session.execute(delete(t.CustomFieldVersion).where(t.CustomFieldVersion.custom_field_id == row.id))
    await session.delete(row)
    await session.flush()
    await events.record(session, ctx, "custom_field.deleted", row.id, payload)


async def remove(session: AsyncSession, ctx: Ctx, owner: Owner, key: str) -> None:
    await _delete(session, ctx, await get(session, ctx, owner, key))


async def remove_many(session: AsyncSession, ctx: Ctx, owner: Owner, refs: Sequence[FieldRef]) -> int:
    """Delete the named fields; names that match nothing are skipped. Returns how many went."""
    deleted = 0
    for namespace, handle in dict.fromkeys((r.namespace, r.handle) for r in refs):
        row = await find(session, ctx, owner, namespace, handle)
        if row is not None:
            await _delete(session, ctx, row)
            deleted += 1
    return deleted


async def custom_event(session: AsyncSession, ctx: Ctx, body: CustomEventIn) -> dict[str, Any] | None:
    """``POST /tenants/custom-event``: record ``custom.<event>`` for automations; echoes the context."""
    if not _EVENT_NAME.match(body.event):
        raise Invalid.field("event", "The event may only contain letters, numbers, dashes, underscores and dots.")
    name = body.event if body.event.startswith(CUSTOM_EVENT_PREFIX) else CUSTOM_EVENT_PREFIX + body.event
    if len(name) > EVENT_TYPE_MAX:
        limit = EVENT_TYPE_MAX - len(CUSTOM_EVENT_PREFIX)
        raise Invalid.field("event", f"The event may not be greater than {limit} characters.")
    await events.record(session, ctx, name, ctx.tenant_id, {"event": name, "context": body.context})
    return body.context
