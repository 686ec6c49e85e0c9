"""Benefits: profile-specific entitlements counted in redemptions, not dollars.

A benefit is redeemable while ``issued_at ≤ now < expires_at``, it is not void, it has
redemptions remaining (``None`` = no per-profile limit) and its definition has global redemptions
remaining and has not ended. Limited benefits keep their count in the ledger (kind ``benefit``):
the issue entry holds ``max_redemptions`` and each redemption takes its count away.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field as Pyd
from pydantic import model_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid
from omneo_server.domain.incentives import ledger
from omneo_server.domain.incentives.definitions import render_definition
from omneo_server.domain.incentives.lots import (
    Amount,
    DefinitionId,
    ExtendIn,
    ProfileId,
    Timezone,
    default_expiry,
    extended_expiry,
)
from omneo_server.domain.inputs import Body, Handle, Name, Timestamp
from omneo_server.wire import dumps, loads

Count = Annotated[int, Pyd(ge=1, le=10_000)]


class BenefitIn(Body):
    benefit_definition_id: DefinitionId | None = None
    benefit_definition_handle: Handle | None = None
    profile_id: ProfileId | None = None
    timezone: Timezone | None = None
    issued_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    external_id: Name | None = None
    value: Amount | None = None
    meta: Any = None

    @model_validator(mode="after")
    def _expiry_after_issue(self) -> BenefitIn:
        if self.issued_at and self.expires_at and self.expires_at <= self.issued_at:
            raise ValueError("The expires at must be a date after issued at.")
        return self


class BenefitUpdate(Body):
    is_update = True
    expires_at: Timestamp | None = None
    external_id: Name | None = None
    redeem_code_online: Name | None = None
    redeem_code_pos: Name | None = None
    value: Amount | None = None
    is_void: bool | None = None
    meta: Any = None


class ClaimIn(Body):
    """Names the definition to claim, by id or handle."""

    benefit_definition_id: DefinitionId | None = None
    benefit_definition_handle: Handle | None = None
    definition_id: DefinitionId | None = None
    handle: Handle | None = None
    timezone: Timezone | None = None


class RedeemCountIn(Body):
    count: Count = 1


_FIELDS = standard_fields(
    t.Benefit,
    "id",
    "profile_id",
    "benefit_definition_id",
    "external_id",
    "issued_at",
    "expires_at",
    "claimed_at",
    "redemptions_remaining",
    "is_void",
    "created_at",
    "updated_at",
)
BENEFITS = Resource(name="benefits", event="benefit", table=t.Benefit, filters=_FIELDS, sorts=_FIELDS, label="Benefit")


def is_redeemable(benefit: t.Benefit, now: datetime) -> bool:
    definition = benefit.definition
    global_left = (
        definition.max_global_redemptions is None
        or definition.total_global_redemptions < definition.max_global_redemptions
    )
    return (
        not benefit.is_void
        and benefit.issued_at <= now
        and (benefit.expires_at is None or benefit.expires_at > now)
        and (benefit.redemptions_remaining is None or benefit.redemptions_remaining > 0)
        and (definition.end_at is None or definition.end_at > now)
        and global_left
    )


def render(benefit: t.Benefit) -> dict[str, Any]:
    now = clock.now()
    definition = render_definition(benefit.definition)
    return {
        **render_columns(benefit),
        "definition": definition,
        "is_expired": benefit.expires_at is not None and benefit.expires_at <= now,
        "is_redeemable": is_redeemable(benefit, now),
        "is_combined": False,
        "combine_meta": None,
        "total_global_redemptions_remaining": definition["total_global_redemptions_remaining"],
        "redeem_code_pos": benefit.redeem_code_pos or benefit.definition.redeem_code_pos,
        "redeem_code_online": benefit.redeem_code_online or benefit.definition.redeem_code_online,
    }


async def _definition(session: AsyncSession, ctx: Ctx, key: int | None, handle: str | None) -> t.BenefitDefinition:
    from omneo_server.domain.incentives.lots import definition_for

    definition: t.BenefitDefinition = await definition_for(
        session, ctx, t.BenefitDefinition, "benefit_definition", key, handle
    )
    return definition


async def issue(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    definition: t.BenefitDefinition,
    *,
    source_type: str | None = None,
    source_id: int | None = None,
    body: BenefitIn | None = None,
    claimed: bool = False,
) -> t.Benefit:
    """Give a profile a benefit from ``definition`` (published, not archived, not ended)."""
    await ledger.lock_profile(session, ctx, profile_id)
    definition = await lock_definition(session, definition.id)  # its global counter changes
    now = clock.now()
    if not definition.is_published or definition.is_archived:
        raise Invalid.field("benefit_definition_id", f"The benefit definition {definition.handle} is not published.")
    if definition.end_at is not None and definition.end_at <= now:
        raise Invalid.field("benefit_definition_id", f"The benefit definition {definition.handle} has ended.")
    data = body.model_dump() if body is not None else {}
    issued_at = data.get("issued_at") or now
    expires_at = data.get("expires_at") or default_expiry(definition, issued_at)
    if definition.end_at is not None and (expires_at is None or expires_at > definition.end_at):
        expires_at = definition.end_at
    if expires_at is not None and expires_at <= issued_at:
        raise Invalid.field("expires_at", "The expires at must be a date after issued at.")
    benefit = t.Benefit(
        tenant_id=ctx.tenant_id,
        profile_id=profile_id,
        benefit_definition_id=definition.id,
        external_id=data.get("external_id"),
        value=data.get("value") if data.get("value") is not None else definition.value,
        timezone=data.get("timezone") or "UTC",
        issued_at=issued_at,
        expires_at=expires_at,
        claimed_at=now if claimed else None,
        redemptions_remaining=definition.max_redemptions,
        source_type=source_type,
        source_id=source_id,
        meta=data.get("meta"),
    )
    benefit.definition = definition
    session.add(benefit)
    definition.total_global_created += 1
    await session.flush()
    await _count_entry(session, ctx, benefit, "issue", Decimal(definition.max_redemptions or 0), "Benefit issued.")
    await events.record(session, ctx, "benefit.claimed" if claimed else "benefit.issued", benefit.id, render(benefit))
    return benefit


async def _count_entry(
    session: AsyncSession,
    ctx: Ctx,
    benefit: t.Benefit,
    entry_type: str,
    amount: Decimal,
    description: str,
    redemption_id: int | None = None,
) -> None:
    session.add(
        t.LedgerEntry(
            tenant_id=ctx.tenant_id,
            profile_id=benefit.profile_id,
            kind="benefit",
            lot_id=benefit.id,
            entry_type=entry_type,
            amount=amount,
            dollar_value=Decimal(0),
            balance_after=Decimal(await ledger.benefit_balance(session, benefit.profile_id)),
            redemption_id=redemption_id,
            description=description,
            expires_at=benefit.expires_at,
            created_at=clock.now(),
        )
    )
    await session.flush()


async def create(session: AsyncSession, ctx: Ctx, profile_id: str, body: BenefitIn) -> t.Benefit:
    definition = await _definition(session, ctx, body.benefit_definition_id, body.benefit_definition_handle)
    return await issue(session, ctx, profile_id, definition, body=body)


async def lock_definition(session: AsyncSession, definition_id: int) -> t.BenefitDefinition:
    """Row-lock a definition whose global counters are about to change (PostgreSQL)."""
    stmt = (
        select(t.BenefitDefinition)
        .where(t.BenefitDefinition.id == definition_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def spend(
    session: AsyncSession, ctx: Ctx, benefit: t.Benefit, count: int, redemption_id: int, field: str = "count"
) -> None:
    """Use ``count`` redemptions of a benefit (the caller holds the profile lock)."""
    now = clock.now()
    benefit.definition = await lock_definition(session, benefit.benefit_definition_id)
    if not is_redeemable(benefit, now):
        raise Invalid.field(field, f"The benefit {benefit.id} is not redeemable.")
    if benefit.redemptions_remaining is not None and benefit.redemptions_remaining < count:
        raise Invalid.field(
            field, f"The benefit {benefit.id} has only {benefit.redemptions_remaining} redemptions left."
        )
    definition = benefit.definition
    if (
        definition.max_global_redemptions is not None
        and definition.total_global_redemptions + count > definition.max_global_redemptions
    ):
        raise Invalid.field(field, f"The benefit {benefit.id} has no global redemptions left.")
    definition.total_global_redemptions += count
    if benefit.redemptions_remaining is not None:
        benefit.redemptions_remaining -= count
    await session.flush()
    await _count_entry(session, ctx, benefit, "spend", Decimal(-count), "Benefit redeemed.", redemption_id)


async def give_back(
    session: AsyncSession, ctx: Ctx, benefit: t.Benefit, count: int, redemption_id: int, how: str
) -> None:
    """Return ``count`` redemptions to a benefit (a reversal or return of its redemption)."""
    definition = await lock_definition(session, benefit.benefit_definition_id)
    definition.total_global_redemptions = max(0, definition.total_global_redemptions - count)
    if benefit.redemptions_remaining is not None:
        benefit.redemptions_remaining += count
    await session.flush()
    await _count_entry(session, ctx, benefit, how, Decimal(count), f"Benefit redemption {how}.", redemption_id)


async def update(session: AsyncSession, ctx: Ctx, benefit: t.Benefit, body: BenefitUpdate) -> t.Benefit:
    given = body.model_dump(exclude_unset=True)
    await ledger.lock_profile(session, ctx, benefit.profile_id)
    if given.pop("is_void", None):
        benefit.is_void = True
    if "expires_at" in given and given["expires_at"] is not None and given["expires_at"] <= benefit.issued_at:
        raise Invalid.field("expires_at", "The expires at must be a date after issued at.")
    for name, value in given.items():
        setattr(benefit, name, value)
    await session.flush()
    await events.record(session, ctx, "benefit.updated", benefit.id, render(benefit))
    return benefit


async def void(session: AsyncSession, ctx: Ctx, benefit: t.Benefit) -> None:
    await ledger.lock_profile(session, ctx, benefit.profile_id)
    benefit.is_void = True
    await session.flush()
    await events.record(session, ctx, "benefit.voided", benefit.id, render(benefit))


async def extend(session: AsyncSession, ctx: Ctx, body: ExtendIn) -> list[t.Benefit]:
    await ledger.lock_profile(session, ctx, body.profile_id)
    stmt = select(t.Benefit).where(
        t.Benefit.tenant_id == ctx.tenant_id, t.Benefit.profile_id == body.profile_id, t.Benefit.id.in_(body.ids)
    )
    found = list((await session.execute(stmt.order_by(t.Benefit.id))).scalars())
    missing = sorted(set(body.ids) - {b.id for b in found})
    if missing:
        raise Invalid.field("ids", f"Unknown benefit ids for this profile: {missing}.")
    now = clock.now()
    for benefit in found:
        if not benefit.definition.is_extendable or benefit.is_void:
            raise Invalid.field("ids", f"The benefit {benefit.id} is not extendable.")
        benefit.expires_at = extended_expiry(body, benefit.expires_at, benefit.definition.extend_days, now)
        benefit.extended_at = now
        await events.record(session, ctx, "benefit.extended", benefit.id, render(benefit))
    await session.flush()
    return found


async def counts(session: AsyncSession, ctx: Ctx) -> dict[str, int]:
    """``{countAll, countRedeemed}``: benefits issued, and those redeemed at least once."""
    total = select(func.count()).where(t.Benefit.tenant_id == ctx.tenant_id, t.Benefit.is_void.is_(False))
    redeemed = select(func.count(func.distinct(t.LedgerEntry.lot_id))).where(
        t.LedgerEntry.tenant_id == ctx.tenant_id, t.LedgerEntry.kind == "benefit", t.LedgerEntry.entry_type == "spend"
    )
    return {
        "countAll": int((await session.execute(total)).scalar_one()),
        "countRedeemed": int((await session.execute(redeemed)).scalar_one()),
    }


async def allocated(session: AsyncSession, ctx: Ctx, definition_id: int) -> int:
    stmt = select(func.count()).where(
        t.Benefit.tenant_id == ctx.tenant_id,
        t.Benefit.benefit_definition_id == definition_id,
        t.Benefit.is_void.is_(False),
    )
    return int((await session.execute(stmt)).scalar_one())


# --- what a profile may see, claim and redeem ----------------------------------------------------


async def _profile_data(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> dict[str, Any]:
    from omneo_server.domain import organisations
    from omneo_server.domain.profiles import commands as profiles

    # Conditions see the profile as the API renders it (attributes, statuses, tags, tier…), and
    # its organisation memberships.
    data = await profiles.render(session, ctx, await profiles.get(session, ctx, profile.id))
    return {**data, "organisations": loads(dumps(await organisations.of_profile(session, ctx, profile.id)))}


def _condition_passes(rule: Any, data: dict[str, Any]) -> bool:
    from omneo_server.domain import jsonlogic

    return jsonlogic.truthy(rule, data)


async def _published(session: AsyncSession, ctx: Ctx) -> list[t.BenefitDefinition]:
    stmt = select(t.BenefitDefinition).where(
        t.BenefitDefinition.tenant_id == ctx.tenant_id,
        t.BenefitDefinition.is_published.is_(True),
        t.BenefitDefinition.is_archived.is_(False),
    )
    return list((await session.execute(stmt.order_by(t.BenefitDefinition.id))).scalars())


async def viewable(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> list[t.BenefitDefinition]:
    data = await _profile_data(session, ctx, profile)
    return [d for d in await _published(session, ctx) if _condition_passes(d.view_condition, data)]


async def _holds(session: AsyncSession, profile_id: str, definition_id: int) -> bool:
    stmt = select(t.Benefit.id).where(
        t.Benefit.profile_id == profile_id, t.Benefit.benefit_definition_id == definition_id
    )
    return (await session.execute(stmt.limit(1))).first() is not None


def _claim_window_open(definition: t.BenefitDefinition, now: datetime) -> bool:
    started = definition.claim_period_start_at is None or definition.claim_period_start_at <= now
    open_ = definition.claim_period_end_at is None or definition.claim_period_end_at > now
    return started and open_ and (definition.end_at is None or definition.end_at > now)


async def claimable(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> list[t.BenefitDefinition]:
    now = clock.now()
    data = await _profile_data(session, ctx, profile)
    out = []
    for definition in await _published(session, ctx):
        if not definition.is_claimable or not _claim_window_open(definition, now):
            continue
        if not definition.is_reclaimable and await _holds(session, profile.id, definition.id):
            continue
        if _condition_passes(definition.claim_condition, data):
            out.append(definition)
    return out


async def claim(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: ClaimIn) -> t.Benefit:
    """A customer asks for a benefit: the definition must be claimable now, its claim condition must
    hold for the profile, and it must not be held already unless reclaimable."""
    key = body.benefit_definition_id or body.definition_id
    handle = body.benefit_definition_handle or body.handle
    definition = await _definition(session, ctx, key, handle)
    field = "benefit_definition_id" if key is not None else "benefit_definition_handle"
    await ledger.lock_profile(session, ctx, profile.id)
    if not definition.is_claimable:
        raise Invalid.field(field, f"The benefit {definition.handle} cannot be claimed.")
    if not _claim_window_open(definition, clock.now()):
        raise Invalid.field(field, f"The benefit {definition.handle} is outside its claim period.")
    if not definition.is_reclaimable and await _holds(session, profile.id, definition.id):
        raise Invalid.field(field, f"The benefit {definition.handle} has already been claimed.")
    if not _condition_passes(definition.claim_condition, await _profile_data(session, ctx, profile)):
        raise Invalid.field(field, f"The profile does not meet the claim condition of {definition.handle}.")
    return await issue(session, ctx, profile.id, definition, source_type="claim", claimed=True)


def redeemable_now() -> Any:
    """Benefits that could be redeemed at this moment (for listing)."""
    return ledger.redeemable_benefit(clock.now())
