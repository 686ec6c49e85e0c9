"""The one lock order for commands that move a profile's incentives (docs/decisions.md, Concurrency):

1. the profile row (two profiles — a merge, a reassignment — in id order);
2. the profile's tier row;
3. its lots in consumption order (benefits, rewards, points, credits);
4. benefit definitions whose global counters change.

A command reads what it changes only after taking its locks. As a safety net, taking a profile's
lock re-reads whatever of that profile the transaction had already loaded, so a record read too
early can never be written back from a stale copy. On SQLite the single writer serialises every
write transaction, and these locks are no-ops.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.util import identity_key

from omneo_server.db import tables as t
from omneo_server.db.prepared import Prepared, adopt
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import NotFound

_LOCKED = "locked_profiles"
_LOCK = Prepared(
    select(t.Profile)
    .where(t.Profile.id == bindparam("profile"), t.Profile.tenant_id == bindparam("tenant"))
    # FOR NO KEY UPDATE: excludes the other incentive commands, not the foreign-key checks of rows
    # that merely reference the profile (a transaction insert), so those cannot deadlock.
    .with_for_update(key_share=True)
)


@event.listens_for(Session, "after_soft_rollback")
def _forget_locks(session: Session, _previous: Any) -> None:
    """A rollback (a savepoint's too) releases the row locks taken since: lock again next time."""
    session.info.pop(_LOCKED, None)


async def lock_profile(session: AsyncSession, ctx: Ctx, profile_id: str, live: bool = True) -> t.Profile:
    """The profile, row-locked for this transaction (``NotFound`` if it is not the tenant's, or is
    deleted unless ``live=False``: undoing what a deleted profile's transactions did)."""
    locked: dict[str, t.Profile] = session.info.setdefault(_LOCKED, {})
    profile = locked.get(profile_id)
    if profile is None:
        loaded_before = identity_key(t.Profile, profile_id) in session.sync_session.identity_map
        # Once per transaction: the lock is held until it ends (this also keeps the row in memory).
        row = await _LOCK.one(session, profile=profile_id, tenant=ctx.tenant_id)
        if row is None:
            raise NotFound("Profile")
        profile = adopt(session, t.Profile, row)
        locked[profile_id] = profile
        await _reread_loaded(session, profile, loaded_before)
    if live and profile.deleted_at is not None:
        raise NotFound("Profile")
    return profile


async def lock_profiles(session: AsyncSession, ctx: Ctx, *profile_ids: str, live: bool = True) -> list[t.Profile]:
    """Several profiles, locked in id order (so two commands locking the same pair cannot deadlock);
    answered in the order asked."""
    found = {pid: await lock_profile(session, ctx, pid, live) for pid in sorted(set(profile_ids))}
    return [found[pid] for pid in profile_ids]


#: The rows the profile lock guards: what a profile holds and has spent.
GUARDED = (
    t.Reward,
    t.Point,
    t.Credit,
    t.Benefit,
    t.Redemption,
    t.TierPoint,
    t.ProfileTier,
    t.ProfileAchievement,
    t.AchievementPoint,
)


async def _reread_loaded(session: AsyncSession, profile: t.Profile, profile_loaded_before: bool) -> None:
    """Re-read the columns of the profile and of every row the lock guards that the transaction
    loaded before it held the lock (relationships stay as loaded: they are not what it guards)."""
    for obj in list(session.sync_session.identity_map.values()):
        if obj is profile:
            if not profile_loaded_before:
                continue
        elif not isinstance(obj, GUARDED) or obj.profile_id != profile.id:
            continue
        state: InstanceState[Any] = inspect(obj)
        if state.modified:
            raise RuntimeError(f"{type(obj).__name__} {state.identity} was changed before its profile was locked.")
        try:
            await session.refresh(obj, attribute_names=[c.key for c in state.mapper.column_attrs])
        except InvalidRequestError:  # deleted meanwhile
            session.expunge(obj)
