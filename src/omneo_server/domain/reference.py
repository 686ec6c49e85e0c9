"""Reference data: the configuration hot commands read on every call (the point definitions that
earn, their rates, the tier programme, the definitions of the lots a redemption spends, settings),
cached per process and per tenant under the
tenant's configuration epoch, so a sale reads one small row instead of a query per table.

Kept honest like the profile read model (``profiles/documents.py``):

* **Changes** — every flush of a row of a cached table bumps its tenant's ``config_epoch`` in the
  same transaction (a session event: no write path can forget). Nothing writes these tables past
  the ORM.
* **Reading** — a command reads the epoch (one prepared statement, once per transaction), then the
  rows: from the cache when it holds that epoch, else from the database, stored under the epoch
  read *before* them. A change committed in between is at worst stored under the older epoch, which
  the next reader no longer matches.
* **Own changes** — a transaction that changed configuration reads the database and stores nothing
  (what it sees may yet roll back). On SQLite, commands grouped into one transaction
  (``db/engine.py``) see each other's work before it commits; a group rolled back as a whole
  empties the cache.

Cached rows are column tuples; each command adopts the ones it uses into its own session
(``db/prepared.py``), so no ORM object is shared between sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from omneo_server.db import tables as t
from omneo_server.db.engine import GROUP_ROLLED_BACK
from omneo_server.db.prepared import Prepared, adopt, attribute_names
from omneo_server.domain.context import Ctx

#: The tables whose rows are cached (each has ``tenant_id``).
CACHED: tuple[type[Any], ...] = (
    t.PointDefinition,
    t.RewardDefinition,
    t.CreditDefinition,
    t.Rate,
    t.TierDefinition,
    t.Setting,
)

T = TypeVar("T")
_EPOCH_READ = "reference_epoch"
_CHANGED = "reference_changed"
_EPOCH = Prepared(select(t.Tenant.config_epoch).where(t.Tenant.id == bindparam("tenant")))
_ROWS = {cls: Prepared(select(cls).where(cls.tenant_id == bindparam("tenant")).order_by(cls.id)) for cls in CACHED}


class _Entry(NamedTuple):
    epoch: int
    rows: tuple[tuple[Any, ...], ...]


#: Per engine (a process may hold several databases), per (tenant, table).
_CACHE: WeakKeyDictionary[Engine, dict[tuple[int, type[Any]], _Entry]] = WeakKeyDictionary()


@event.listens_for(Session, "after_flush")
def _bump(session: Session, _context: Any) -> None:
    tenants = {obj.tenant_id for obj in chain(session.new, session.dirty, session.deleted) if isinstance(obj, CACHED)}
    if tenants:
        session.info[_CHANGED] = True
        session.connection().execute(
            update(t.Tenant).where(t.Tenant.id.in_(tenants)).values(config_epoch=t.Tenant.config_epoch + 1)
        )


def _forget(session: Session, *_args: Any) -> None:
    """A new transaction reads the epoch afresh."""
    session.info.pop(_EPOCH_READ, None)
    session.info.pop(_CHANGED, None)


for _name in ("after_commit", "after_rollback"):
    event.listen(Session, _name, _forget)


def _forget_engine(engine: Engine) -> None:
    """A SQLite write group was rolled back whole: a command of it may have cached configuration
    an earlier one wrote and never committed (they share the transaction)."""
    _CACHE.pop(engine, None)


GROUP_ROLLED_BACK.append(_forget_engine)


class Row:
    """A cached row's columns by attribute name, for choosing which rows to adopt."""

    __slots__ = ("_values",)

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._values = dict(zip(names, values, strict=True))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


async def _rows(session: AsyncSession, ctx: Ctx, cls: type[Any]) -> tuple[tuple[Any, ...], ...]:
    statement = _ROWS[cls]
    if session.sync_session.info.get(_CHANGED):
        return tuple(await statement.rows(session, tenant=ctx.tenant_id))
    epoch: int | None = session.sync_session.info.get(_EPOCH_READ)
    if epoch is None:
        found = await _EPOCH.one(session, tenant=ctx.tenant_id)
        epoch = -1 if found is None else int(found[0])
        session.sync_session.info[_EPOCH_READ] = epoch
    cache = _CACHE.setdefault(session.get_bind(), {})  # type: ignore[arg-type]
    entry = cache.get((ctx.tenant_id, cls))
    if entry is None or entry.epoch != epoch:
        entry = _Entry(epoch, tuple(await statement.rows(session, tenant=ctx.tenant_id)))
        if not session.sync_session.info.get(_CHANGED):
            cache[(ctx.tenant_id, cls)] = entry
    return entry.rows


async def rows(
    session: AsyncSession, ctx: Ctx, cls: type[T], wanted: Callable[[Any], bool] = lambda _row: True
) -> list[T]:
    """The tenant's rows of ``cls`` (a cached table) that ``wanted`` accepts, in id order, as
    objects of this session."""
    names = attribute_names(inspect(cls))
    return [adopt(session, cls, row) for row in await _rows(session, ctx, cls) if wanted(Row(names, row))]
