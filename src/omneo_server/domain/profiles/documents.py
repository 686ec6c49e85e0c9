"""The profile read model: ``GET /profiles/{id}`` (and the ID API's ``/profiles/me``) answered by one
indexed lookup of the profile's rendered JSON (``profile_documents``), on the fast path.

Kept honest three ways:

* **Changes** — every flush of a row that alters what a profile renders (the profile, its
  identities, addresses, dates, statuses, regions, tags, custom attributes, lots, benefits, tier)
  bumps that profile's ``generation`` and clears its body, in the same transaction: a session event
  does it, so no write path can forget. Changes to configuration every profile renders (statuses,
  regions, tags, tier definitions, settings) bump the tenant's ``profile_epoch`` instead.
* **Races** — a reader reads the generation and epoch *before* it renders, and stores what it
  rendered only if the generation is still the one it read (``ON CONFLICT … WHERE``); a change that
  committed meanwhile wins, and the next read renders again.
* **Time** — ``valid_until`` is the first moment the rendering changes by time alone (a lot or
  status expiring, points accruing, the birthday countdown at midnight); past it the document is
  rendered again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Session

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.db.prepared import Prepared
from omneo_server.domain.context import Ctx
from omneo_server.wire import dumps

#: Rows that belong to one profile and change what it renders.
OWNED = (
    t.Identity,
    t.Address,
    t.ProfileDate,
    t.ProfileStatus,
    t.ProfileRegion,
    t.ProfileTag,
    t.Reward,
    t.Point,
    t.Credit,
    t.Benefit,
    t.ProfileTier,
)
#: Configuration rows every profile of the tenant may render; a new one changes no existing profile
#: (a setting always may: ``point_dollar_rate`` prices the point balance).
CONFIGURATION = (t.Status, t.Region, t.Tag, t.TierDefinition)

#: What else bounds a rendering's life besides the profile's own rows (the incentive ledgers add
#: their expiries and accruals here): ``(session, ctx, profile_id, now) -> first change or None``.
VALIDITY_HOOKS: list[Callable[[AsyncSession, Ctx, str, datetime], Awaitable[datetime | None]]] = []

_INVALIDATED = "profile_documents_invalidated"
_RENDERED = "profile_documents_rendered"
Renderer = Callable[[AsyncSession, Ctx, t.Profile], Awaitable[dict[str, Any]]]


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


# --- invalidation -----------------------------------------------------------------------------------


def _owners(obj: Any) -> Iterable[str]:
    """The profiles whose rendering ``obj`` (flushed) changes."""
    if isinstance(obj, t.Profile):
        return [obj.id]
    if isinstance(obj, OWNED):
        state: InstanceState[Any] = inspect(obj)
        history = state.attrs.profile_id.history
        return [pid for pid in chain([obj.profile_id], history.deleted or ()) if pid]
    if isinstance(obj, t.CustomField) and obj.owner_type == "profile":
        return [obj.owner_id]
    return []


@event.listens_for(Session, "after_flush")
def _invalidate(session: Session, _context: Any) -> None:
    done: set[str] = session.info.setdefault(_INVALIDATED, set())
    owners: set[str] = set()
    tenants: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        owners.update(_owners(obj))
        if isinstance(obj, t.Setting) or (isinstance(obj, CONFIGURATION) and obj not in session.new):
            tenants.add(obj.tenant_id)
    _forget_renderings(session, owners, everything=bool(tenants))
    profiles = owners - done
    connection = session.connection()
    if profiles:
        connection.execute(_BUMP, {"ids": sorted(profiles)})
        done.update(profiles)
    if tenants:
        connection.execute(
            update(t.Tenant).where(t.Tenant.id.in_(tenants)).values(profile_epoch=t.Tenant.profile_epoch + 1)
        )


def _bump(where: str) -> str:
    """Bump the generation (and clear the body) of the profiles ``where`` selects."""
    return (
        "INSERT INTO profile_documents (profile_id, tenant_id, generation, epoch) "
        f"SELECT id, tenant_id, 1, 0 FROM profiles WHERE {where} "
        "ON CONFLICT (profile_id) DO UPDATE SET generation = profile_documents.generation + 1, body = NULL"
    )


_BUMP = text(_bump("id IN :ids")).bindparams(bindparam("ids", expanding=True))
_BUMP_ONE = Prepared(text(_bump("id = :profile")))


async def invalidate(session: AsyncSession, profile_id: str) -> None:
    """What the flush listener does, for a write made past the ORM (a prepared statement)."""
    _forget_renderings(session.sync_session, {profile_id})
    done: set[str] = session.sync_session.info.setdefault(_INVALIDATED, set())
    if profile_id not in done:
        await _BUMP_ONE.run(session, profile=profile_id)
        done.add(profile_id)


def _forget(session: Session, *_args: Any) -> None:
    """The transaction ended (or a savepoint rolled back): invalidate afresh from now on."""
    session.info.pop(_INVALIDATED, None)
    session.info.pop(_RENDERED, None)


# --- renderings within a command ----------------------------------------------------------------
# A command that renders a profile twice (its event, then its answer) renders it once: the rendering
# is remembered in the transaction until anything the profile renders is written.


def remembered(session: AsyncSession, profile_id: str) -> tuple[int, dict[str, Any]] | None:
    """The profile's rendering made earlier in this transaction, if nothing it shows changed since,
    with the configuration epoch read before it was made."""
    found: dict[str, tuple[int, dict[str, Any]]] = session.sync_session.info.get(_RENDERED, {})
    return found.get(profile_id)


def remember(session: AsyncSession, profile_id: str, seen_epoch: int, rendered: dict[str, Any]) -> None:
    session.sync_session.info.setdefault(_RENDERED, {})[profile_id] = (seen_epoch, rendered)


def _forget_renderings(session: Session, profile_ids: set[str], everything: bool = False) -> None:
    found: dict[str, Any] | None = session.info.get(_RENDERED)
    if found:
        for profile_id in list(found) if everything else profile_ids:
            found.pop(profile_id, None)


for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget)


# --- reading ----------------------------------------------------------------------------------------

_LOOKUP = (
    "SELECT d.body FROM profile_documents d JOIN tenants t ON t.id = d.tenant_id "
    "WHERE d.profile_id = ? AND d.tenant_id = ? AND d.body IS NOT NULL AND d.epoch = t.profile_epoch "
    "AND (d.valid_until IS NULL OR d.valid_until > ?)"
)
_LOOKUP_MANY = (
    "SELECT d.profile_id, d.body FROM profile_documents d JOIN tenants t ON t.id = d.tenant_id "
    "WHERE d.profile_id IN (?) AND d.tenant_id = ? AND d.body IS NOT NULL AND d.epoch = t.profile_epoch "
    "AND (d.valid_until IS NULL OR d.valid_until > ?)"
)
_STORE = (
    "INSERT INTO profile_documents (profile_id, tenant_id, generation, epoch, body, valid_until) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (profile_id) DO UPDATE SET body = excluded.body, epoch = excluded.epoch, "
    "valid_until = excluded.valid_until WHERE profile_documents.generation = excluded.generation"
)


async def cached(db: Database, tenant_id: int, profile_id: str) -> str | None:
    """The profile's stored rendering, when it is current (else ``None``: render it)."""
    row = await db.fast.fetchrow(_LOOKUP, (profile_id, tenant_id, _unix(clock.now())))
    return None if row is None else str(row[0])


async def cached_many(db: Database, tenant_id: int, profile_ids: Sequence[str]) -> dict[str, str]:
    """The stored renderings of those of ``profile_ids`` that are current."""
    if not profile_ids:
        return {}
    marks = ", ".join("?" for _ in profile_ids)
    sql = _LOOKUP_MANY.replace("IN (?)", f"IN ({marks})")
    rows = await db.fast.fetch(sql, (*profile_ids, tenant_id, _unix(clock.now())))
    return {str(row[0]): str(row[1]) for row in rows}


async def versions(session: AsyncSession, tenant_id: int, profile_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``(generation, epoch)`` of each profile as they stand, read before rendering (see the module
    docstring); a profile without a document yet is at generation 0."""
    generations = select(t.ProfileDocument.profile_id, t.ProfileDocument.generation).where(
        t.ProfileDocument.profile_id.in_(profile_ids)
    )
    found = {row[0]: int(row[1]) for row in (await session.execute(generations)).all()}
    seen_epoch = await epoch(session, tenant_id)
    return {pid: (found.get(pid, 0), seen_epoch) for pid in profile_ids}


async def valid_until(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> int | None:
    """When the profile's rendering next changes by time alone (unix seconds), or ``None``."""
    now = clock.now()
    moments: list[datetime] = [s.expires_at for s in profile.statuses if s.expires_at and s.expires_at > now]
    if profile.birth_day and profile.birth_month:  # ``birth_days`` counts down at midnight (UTC)
        moments.append(datetime.combine(now.date() + timedelta(days=1), datetime.min.time()))
    for hook in VALIDITY_HOOKS:
        found = await hook(session, ctx, profile.id, now)
        if found is not None:
            moments.append(found)
    return _unix(min(moments)) if moments else None


_EPOCH = Prepared(select(t.Tenant.profile_epoch).where(t.Tenant.id == bindparam("tenant")))
_KEEP = Prepared(
    update(t.ProfileDocument)
    .where(t.ProfileDocument.profile_id == bindparam("profile"))
    .values(body=bindparam("body"), valid_until=bindparam("until"), epoch=bindparam("epoch"))
)


async def epoch(session: AsyncSession, tenant_id: int) -> int:
    found = await _EPOCH.one(session, tenant=tenant_id)
    assert found is not None
    return int(found[0])


async def rendered_by_write(session: AsyncSession, ctx: Ctx, profile: t.Profile, render: Renderer) -> dict[str, Any]:
    """Render ``profile`` at the end of a write command and keep the rendering as its document, in
    the command's transaction: the next read is a hit. (The write has bumped the generation and
    holds the document row until it commits, so no other change can slip in unseen; the epoch is
    read before rendering, as a reader does.) Anything flushed for the profile afterwards bumps the
    generation again, so a later change in the transaction can never leave it stale."""
    if profile.deleted_at is not None:
        return await render(session, ctx, profile)
    await session.flush()
    found = remembered(session, profile.id)
    if found is None:
        seen_epoch = await epoch(session, ctx.tenant_id)
        rendered = await render(session, ctx, profile)
    else:
        seen_epoch, rendered = found
    until = await valid_until(session, ctx, profile)
    await _KEEP.run(session, profile=profile.id, body=dumps(rendered), until=until, epoch=seen_epoch)
    session.sync_session.info.get(_INVALIDATED, set()).discard(profile.id)
    return rendered


async def store(
    db: Database, tenant_id: int, profile_id: str, seen: tuple[int, int], body: str, until: int | None
) -> None:
    """Keep a rendering, unless the profile changed since ``seen`` was read."""
    await store_many(db, tenant_id, [(profile_id, seen, body, until)])


async def store_many(
    db: Database, tenant_id: int, renderings: Sequence[tuple[str, tuple[int, int], str, int | None]]
) -> None:
    """Keep several renderings ``(profile_id, seen, body, valid_until)`` in one transaction, each
    unless its profile changed since its ``seen`` was read."""
    if not renderings:
        return
    many = [(pid, tenant_id, seen[0], seen[1], body, until) for pid, seen, body, until in renderings]
    async with db.write_lock():
        await db.fast.executemany(_STORE, many)
