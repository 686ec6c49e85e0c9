"""Rewards, points, credits and benefits as issued, balances, ledgers, allocations and redemptions,
globally and under ``/profiles/{id}``. Each route parses, authorises, runs one domain command in
one transaction and renders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query, mount
from omneo_server.api.routes.profiles import _find as find_profile
from omneo_server.db import tables as t
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives import benefits as b
from omneo_server.domain.incentives import ledger, lots
from omneo_server.domain.incentives import redemptions as r
from omneo_server.domain.incentives.definitions import render_definition
from omneo_server.domain.incentives.lots import LotKind
from omneo_server.domain.inputs import Body, is_uuid
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX

router = routing.router()
PROFILE = "/profiles/{profile_id}"


@asynccontextmanager
async def _profile(request: Request, ctx: Ctx, profile_id: str, write: bool) -> AsyncIterator[tuple[AsyncSession, str]]:
    """A session and the id of the live profile the path names (by UUID, or by identity with
    ``?identity[handle]=…``), found without loading the profile. A write locks the profile before
    anything of it is read (the one lock order: ``domain/locks.py``)."""
    db = database(request)
    handle = request.query_params.get("identity[handle]")
    async with db.write() if write else db.read() as session:
        if write and handle is None and is_uuid(profile_id):
            found: str | None = profile_id.lower()  # the lock finds it (or answers 404) in one statement
        else:
            found = await profiles.live_id(session, ctx, profile_id, handle)
        if found is None:
            raise NotFound("Profile")
        if write:
            await ledger.lock_profile(session, ctx, found)
        yield session, found


def _for_profile(body: Body, profile_id: str) -> Body:
    """A body issued under ``/profiles/{id}`` belongs to that profile whatever it says."""
    return body.model_copy(update={"profile_id": profile_id})


def _owner(body: Any) -> str:
    if not getattr(body, "profile_id", None):
        raise Invalid.field("profile_id", "The profile id field is required.")
    return str(body.profile_id)


# --- rewards, points and credits ------------------------------------------------------------------


def _mount_lots(kind: LotKind) -> None:
    name, res = kind.resource.name, kind.resource
    tags: list[str | Enum] = [name]
    read, create, update, delete = (requires(f"{verb}-{name}") for verb in ("read", "create", "update", "delete"))

    async def create_(body: Body, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with database(request).write() as session:
            profile_id = (await find_profile(session, ctx, request, _owner(body))).id
            lot = await lots.issue(session, ctx, kind, profile_id, body)  # type: ignore[arg-type]
            return render.data(lots.render(kind, lot), status_code=201)

    async def update_(key: str, body: lots.LotUpdate, request: Request, ctx: Ctx = Depends(update)) -> Response:
        async with database(request).write() as session:
            lot = await lots.update(session, ctx, kind, await lots.get(session, ctx, kind, key), body)
            return render.data(lots.render(kind, lot))

    async def delete_(key: str, request: Request, ctx: Ctx = Depends(delete)) -> Response:
        async with database(request).write() as session:
            await lots.delete(session, ctx, kind, await lots.get(session, ctx, kind, key))
        return render.no_content()

    async def extend_(request: Request, ctx: Ctx = Depends(update)) -> Response:
        # The JS SDK sends rewards.extend as query parameters; others send a JSON body.
        raw: Any = await request.json() if await request.body() else {}
        if not raw:
            raw = {k: v for k, v in request.query_params.items() if not k.startswith("ids")}
            raw["ids"] = request.query_params.getlist("ids[]") or request.query_params.getlist("ids")
        try:
            body = lots.ExtendIn.model_validate(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        async with database(request).write() as session:
            extended = await lots.extend(session, ctx, kind, body)
            return render.JSON({"data": [lots.render(kind, lot) for lot in extended]})

    async def profile_list(profile_id: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        query = list_query(request, ctx)
        async with _profile(request, ctx, profile_id, False) as (session, pid):
            page = await crud.list_rows(session, ctx, res, query, kind.ledger.table.profile_id == pid)
            return render.page(request, page, [res.render(row) for row in page.rows])

    async def profile_get(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with _profile(request, ctx, profile_id, False) as (session, pid):
            return render.data(lots.render(kind, await lots.get(session, ctx, kind, key, pid)))

    async def profile_create(profile_id: str, body: Body, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with _profile(request, ctx, profile_id, True) as (session, pid):
            lot = await lots.issue(session, ctx, kind, pid, _for_profile(body, pid))  # type: ignore[arg-type]
            return render.data(lots.render(kind, lot), status_code=201)

    async def profile_update(
        profile_id: str, key: str, body: lots.LotUpdate, request: Request, ctx: Ctx = Depends(update)
    ) -> Response:
        async with _profile(request, ctx, profile_id, True) as (session, pid):
            lot = await lots.update(session, ctx, kind, await lots.get(session, ctx, kind, key, pid), body)
            return render.data(lots.render(kind, lot))

    async def profile_delete(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(delete)) -> Response:
        async with _profile(request, ctx, profile_id, True) as (session, pid):
            await lots.delete(session, ctx, kind, await lots.get(session, ctx, kind, key, pid))
        return render.no_content()

    create_.__annotations__["body"] = kind.create
    profile_create.__annotations__["body"] = kind.create
    base, item, mine = f"/{name}", f"/{name}/{{key}}", f"{PROFILE}/{name}"
    routes: list[tuple[str, str, Any, int]] = [
        ("POST", f"{base}/extend", extend_, 200),
        ("POST", base, create_, 201),
        ("PUT", item, update_, 200),
        ("DELETE", item, delete_, 204),
        ("GET", mine, profile_list, 200),
        ("POST", mine, profile_create, 201),
        ("GET", f"{mine}/{{key}}", profile_get, 200),
        ("PUT", f"{mine}/{{key}}", profile_update, 200),
        ("DELETE", f"{mine}/{{key}}", profile_delete, 204),
    ]
    for method, path, handler, status in routes:
        router.add_api_route(
            path, handler, methods=[method], tags=tags, status_code=status, name=f"{name}.{handler.__name__}"
        )
    mount(router, res, base, ("list", "get"))


# --- benefits -------------------------------------------------------------------------------------

BENEFIT_TAGS: list[str | Enum] = ["benefits"]
READ_BENEFITS, CREATE_BENEFITS, UPDATE_BENEFITS, DELETE_BENEFITS = (
    requires(f"{verb}-benefits") for verb in ("read", "create", "update", "delete")
)


@router.get("/benefits.count", tags=BENEFIT_TAGS)
async def count_benefits(request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    async with database(request).read() as session:
        return render.data(await b.counts(session, ctx))


@router.post("/benefits/extend", tags=BENEFIT_TAGS)
async def extend_benefits(body: lots.ExtendIn, request: Request, ctx: Ctx = Depends(UPDATE_BENEFITS)) -> Response:
    async with database(request).write() as session:
        return render.JSON({"data": [b.render(row) for row in await b.extend(session, ctx, body)]})


@router.post("/benefits", tags=BENEFIT_TAGS, status_code=201)
async def create_benefit(body: b.BenefitIn, request: Request, ctx: Ctx = Depends(CREATE_BENEFITS)) -> Response:
    async with database(request).write() as session:
        profile_id = (await find_profile(session, ctx, request, _owner(body))).id
        return render.data(b.render(await b.create(session, ctx, profile_id, body)), status_code=201)


@router.put("/benefits/{key}", tags=BENEFIT_TAGS)
async def update_benefit(
    key: str, body: b.BenefitUpdate, request: Request, ctx: Ctx = Depends(UPDATE_BENEFITS)
) -> Response:
    async with database(request).write() as session:
        row = await crud.get_row(session, ctx, b.BENEFITS, key)
        return render.data(b.render(await b.update(session, ctx, row, body)))


@router.delete("/benefits/{key}", tags=BENEFIT_TAGS, status_code=204)
async def delete_benefit(key: str, request: Request, ctx: Ctx = Depends(DELETE_BENEFITS)) -> Response:
    async with database(request).write() as session:
        await b.void(session, ctx, await crud.get_row(session, ctx, b.BENEFITS, key))
    return render.no_content()


BENEFITS_RESOURCE = Resource(**{**b.BENEFITS.__dict__, "render": b.render})
mount(router, BENEFITS_RESOURCE, "/benefits", ("list", "get"))

MINE = f"{PROFILE}/benefits"


@router.get(f"{MINE}/viewable", tags=BENEFIT_TAGS)
async def viewable_benefits(profile_id: str, request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        profile = await ledger.lock_profile(session, ctx, pid)
        return render.data([render_definition(d) for d in await b.viewable(session, ctx, profile)])


@router.get(f"{MINE}/claimable", tags=BENEFIT_TAGS)
async def claimable_benefits(profile_id: str, request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        profile = await ledger.lock_profile(session, ctx, pid)
        return render.data([render_definition(d) for d in await b.claimable(session, ctx, profile)])


@router.post(f"{MINE}/claim", tags=BENEFIT_TAGS, status_code=201)
async def claim_benefit(
    profile_id: str, body: b.ClaimIn, request: Request, ctx: Ctx = Depends(requires("claim-benefits"))
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        profile = await ledger.lock_profile(session, ctx, pid)  # held already: answers the row
        return render.data(b.render(await b.claim(session, ctx, profile, body)), status_code=201)


@router.post(f"{MINE}/claim-redeem", tags=BENEFIT_TAGS, status_code=201)
async def claim_redeem_benefit(
    profile_id: str, body: b.ClaimIn, request: Request, ctx: Ctx = Depends(requires("claim-benefits"))
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        profile = await ledger.lock_profile(session, ctx, pid)
        redemption = await r.claim_and_redeem(session, ctx, profile, body)
        return render.data(await r.render(session, ctx, redemption), status_code=201)


@router.get(f"{PROFILE}/redeemable_benefits", tags=BENEFIT_TAGS)
async def redeemable_benefits(profile_id: str, request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    query = list_query(request, ctx)
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        page = await crud.list_rows(session, ctx, b.BENEFITS, query, t.Benefit.profile_id == pid, b.redeemable_now())
        return render.page(request, page, [b.render(row) for row in page.rows])


@router.get(MINE, tags=BENEFIT_TAGS)
async def profile_benefits(profile_id: str, request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    query = list_query(request, ctx)
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        page = await crud.list_rows(session, ctx, b.BENEFITS, query, t.Benefit.profile_id == pid)
        return render.page(request, page, [b.render(row) for row in page.rows])


@router.post(MINE, tags=BENEFIT_TAGS, status_code=201)
async def issue_profile_benefit(
    profile_id: str, body: b.BenefitIn, request: Request, ctx: Ctx = Depends(CREATE_BENEFITS)
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        return render.data(b.render(await b.create(session, ctx, pid, body)), status_code=201)


@router.get(f"{MINE}/{{key}}", tags=BENEFIT_TAGS)
async def profile_benefit(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(READ_BENEFITS)) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        return render.data(b.render(await crud.get_row(session, ctx, b.BENEFITS, key, t.Benefit.profile_id == pid)))


@router.put(f"{MINE}/{{key}}", tags=BENEFIT_TAGS)
async def update_profile_benefit(
    profile_id: str, key: str, body: b.BenefitUpdate, request: Request, ctx: Ctx = Depends(UPDATE_BENEFITS)
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        row = await crud.get_row(session, ctx, b.BENEFITS, key, t.Benefit.profile_id == pid)
        return render.data(b.render(await b.update(session, ctx, row, body)))


@router.delete(f"{MINE}/{{key}}", tags=BENEFIT_TAGS, status_code=204)
async def delete_profile_benefit(
    profile_id: str, key: str, request: Request, ctx: Ctx = Depends(DELETE_BENEFITS)
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        await b.void(session, ctx, await crud.get_row(session, ctx, b.BENEFITS, key, t.Benefit.profile_id == pid))
    return render.no_content()


@router.post(f"{MINE}/{{key}}/redeem", tags=BENEFIT_TAGS, status_code=201)
async def redeem_benefit(
    profile_id: str,
    key: str,
    request: Request,
    body: b.RedeemCountIn | None = None,
    ctx: Ctx = Depends(requires("redeem-benefits")),
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        benefit = await crud.get_row(session, ctx, b.BENEFITS, key, t.Benefit.profile_id == pid)
        pick = r.BenefitPick(id=benefit.id, quantity=body.count if body else 1)
        redemption = await r.redeem(session, ctx, pid, r.RedemptionIn(benefits=[pick]))
        return render.data(await r.render(session, ctx, redemption), status_code=201)


# --- credits: redeeming one -------------------------------------------------------------------------


class CreditRedeemIn(Body):
    amount: lots.Positive
    strict: bool = True
    location_id: int | None = None
    transaction_external_id: str | None = None
    transaction_receipt_ref: str | None = None
    meta: Any = None


@router.post(f"{PROFILE}/credits/{{key}}/redeem", tags=["credits"], status_code=201)
async def redeem_credit(
    profile_id: str, key: str, body: CreditRedeemIn, request: Request, ctx: Ctx = Depends(requires("redeem-credits"))
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        credit = await lots.get(session, ctx, lots.CREDITS, key, pid)
        wanted = r.RedemptionIn(**body.model_dump(), strategies=["credits"])
        redemption = await r.redeem(session, ctx, pid, wanted, only={"credit": [credit]})
        return render.data(await r.render(session, ctx, redemption), status_code=201)


# --- balances, ledgers, allocations ---------------------------------------------------------------


@router.get(f"{PROFILE}/balances", tags=["balances"])
async def profile_balances(
    profile_id: str, request: Request, ctx: Ctx = Depends(requires("read-balances"))
) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        return render.data(await ledger.balances(session, ctx, pid))


@router.get(f"{PROFILE}/ledgers", tags=["ledgers"])
async def profile_ledgers(profile_id: str, request: Request, ctx: Ctx = Depends(requires("read-ledgers"))) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        profile = await profiles.get(session, ctx, pid, include_deleted=True)
        return render.data([ledger.render_entry(e, profile) for e in await ledger.entries(session, ctx, pid)])


@router.get(f"{PROFILE}/ledgers/{{entry_id}}", tags=["ledgers"])
async def profile_ledger(
    profile_id: str, entry_id: str, request: Request, ctx: Ctx = Depends(requires("read-ledgers"))
) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        profile = await profiles.get(session, ctx, pid, include_deleted=True)
        row = await crud.get_row(session, ctx, ALLOCATIONS, entry_id, t.LedgerEntry.profile_id == pid)
        return render.data(ledger.render_entry(row, profile))


_ENTRY_FIELDS = standard_fields(
    t.LedgerEntry, "id", "profile_id", "kind", "lot_id", "entry_type", "redemption_id", "transaction_id", "created_at"
)
#: Allocations are the ledger's earn (``issue``) entries: what was attributed to whom, from what.
ALLOCATIONS = Resource(
    name="allocations",
    event="allocation",
    table=t.LedgerEntry,
    filters=_ENTRY_FIELDS,
    sorts=_ENTRY_FIELDS,
    label="Ledger",
    render=render_columns,
)


@router.get("/allocations", tags=["allocations"])
async def list_allocations(request: Request, ctx: Ctx = Depends(requires("read-allocations"))) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        page = await crud.list_rows(session, ctx, ALLOCATIONS, query, t.LedgerEntry.entry_type == "issue")
        return render.page(request, page, [render_columns(row) for row in page.rows])


@router.get("/allocations/{definition_id}/count", tags=["allocations"])
async def count_allocations(
    definition_id: Annotated[int, Path(ge=1, le=INT_MAX)],
    request: Request,
    ctx: Ctx = Depends(requires("read-allocations")),
) -> Response:
    async with database(request).read() as session:
        return render.data({"count": await b.allocated(session, ctx, definition_id)})


# --- redemptions ----------------------------------------------------------------------------------

REDEMPTION_TAGS: list[str | Enum] = ["redemptions"]
READ_REDEMPTIONS = requires("read-redemptions")
REDEEM = requires("redeem-strategy")
REDEMPTIONS_RESOURCE = Resource(**{**r.REDEMPTIONS.__dict__, "render": render_columns})


@router.get("/redemptions/group/{attribute}", tags=REDEMPTION_TAGS)
async def group_redemptions(attribute: str, request: Request, ctx: Ctx = Depends(READ_REDEMPTIONS)) -> Response:
    async with database(request).read() as session:
        return render.data(await r.group_by(session, ctx, attribute))


mount(router, r.REDEMPTION_ITEMS, "/redemptions/items", ("list", "get"))


@router.get("/redemptions", tags=REDEMPTION_TAGS)
async def list_redemptions(request: Request, ctx: Ctx = Depends(READ_REDEMPTIONS)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        page = await crud.list_rows(session, ctx, r.REDEMPTIONS, query)
        return render.page(request, page, [await r.render(session, ctx, row, False) for row in page.rows])


@router.get("/redemptions/{key}", tags=REDEMPTION_TAGS)
async def get_redemption(key: str, request: Request, ctx: Ctx = Depends(READ_REDEMPTIONS)) -> Response:
    async with database(request).read() as session:
        return render.data(await r.render(session, ctx, await r.get(session, ctx, key)))


@router.post("/redemptions/{key}/reversal", tags=REDEMPTION_TAGS, status_code=201)
async def reverse_redemption(key: str, request: Request, ctx: Ctx = Depends(REDEEM)) -> Response:
    async with database(request).write() as session:
        child = await r.reverse(session, ctx, await r.get(session, ctx, key))
        return render.data(await r.render(session, ctx, child), status_code=201)


@router.post("/redemptions/{key}/return", tags=REDEMPTION_TAGS, status_code=201)
async def return_redemption(
    key: str, request: Request, body: r.ReturnIn | None = None, ctx: Ctx = Depends(REDEEM)
) -> Response:
    async with database(request).write() as session:
        child = await r.give_back(session, ctx, await r.get(session, ctx, key), body or r.ReturnIn())
        return render.data(await r.render(session, ctx, child), status_code=201)


@router.post("/redemptions/{key}/benefit/return", tags=REDEMPTION_TAGS, status_code=201)
async def return_benefit_redemption(
    key: str, request: Request, body: r.BenefitReturnIn | None = None, ctx: Ctx = Depends(REDEEM)
) -> Response:
    async with database(request).write() as session:
        parent = await r.get(session, ctx, key)
        child = await r.benefit_return(session, ctx, parent, body.count if body else None)
        return render.data(await r.render(session, ctx, child), status_code=201)


MY_REDEMPTIONS = f"{PROFILE}/redemptions"


@router.get(f"{MY_REDEMPTIONS}/{{kind}}/{{item_id}}/count", tags=REDEMPTION_TAGS)
async def count_redemptions(
    profile_id: str,
    kind: str,
    item_id: Annotated[int, Path(ge=1, le=INT_MAX)],
    request: Request,
    ctx: Ctx = Depends(READ_REDEMPTIONS),
) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        return render.data({"count": await r.count_for(session, ctx, pid, kind, item_id)})


@router.get(MY_REDEMPTIONS, tags=REDEMPTION_TAGS)
async def profile_redemptions(profile_id: str, request: Request, ctx: Ctx = Depends(READ_REDEMPTIONS)) -> Response:
    query = list_query(request, ctx)
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        page = await crud.list_rows(session, ctx, r.REDEMPTIONS, query, t.Redemption.profile_id == pid)
        return render.page(request, page, [await r.render(session, ctx, row, False) for row in page.rows])


@router.get(f"{MY_REDEMPTIONS}/{{key}}", tags=REDEMPTION_TAGS)
async def profile_redemption(
    profile_id: str, key: str, request: Request, ctx: Ctx = Depends(READ_REDEMPTIONS)
) -> Response:
    async with _profile(request, ctx, profile_id, False) as (session, pid):
        return render.data(await r.render(session, ctx, await r.get(session, ctx, key, pid)))


@router.post(MY_REDEMPTIONS, tags=REDEMPTION_TAGS, status_code=201)
async def create_redemption(
    profile_id: str, body: r.RedemptionIn, request: Request, ctx: Ctx = Depends(REDEEM)
) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        redemption = await r.redeem(session, ctx, pid, body)
        return render.data(await r.render(session, ctx, redemption), status_code=201)


@router.post(f"{PROFILE}/redeem", tags=REDEMPTION_TAGS, status_code=201)
async def redeem(profile_id: str, body: r.RedeemIn, request: Request, ctx: Ctx = Depends(REDEEM)) -> Response:
    async with _profile(request, ctx, profile_id, True) as (session, pid):
        redemption = await r.redeem(session, ctx, pid, r.RedemptionIn(amount=body.amount, meta=body.meta))
        return render.data(await r.render(session, ctx, redemption), status_code=201)


for lot_kind in lots.LOT_KINDS.values():
    _mount_lots(lot_kind)


# --- incentive notifications on demand ------------------------------------------------------------


async def _instance_context(session: AsyncSession, ctx: Ctx, kind: str, instance: Any) -> dict[str, Any]:
    """The context a notification of ``instance`` renders with (as if its event were dispatched)."""
    from omneo_server.domain.reactions import context as contexts

    rendered = b.render(instance) if kind == "benefit" else lots.render(lots.LOT_KINDS[kind], instance)
    event = t.OutboxEvent(
        tenant_id=ctx.tenant_id, type=f"{kind}.notify", subject_type=kind, subject_id=str(instance.id), payload=rendered
    )
    return await contexts.event_context(session, ctx, event)


def _mount_trigger_target(kind: str, resource: Resource, scope: str) -> None:
    async def trigger_target(key: str, moment: str, request: Request, ctx: Ctx = Depends(requires(scope))) -> Response:
        from omneo_server.domain.reactions import notifications

        async with database(request).write() as session:
            instance = await crud.get_row(session, ctx, resource, key)
            context = await _instance_context(session, ctx, kind, instance)
            return render.JSON({"data": await notifications.send_now(session, ctx, kind, instance, moment, context)})

    router.add_api_route(
        f"/{kind}s/{{key}}/trigger-target/{{moment}}",
        trigger_target,
        methods=["GET"],
        tags=[f"{kind}s"],
        name=f"{kind}s.trigger_target",
        summary=f"Send the {kind} definition's target for one {kind} now",
    )


_mount_trigger_target("reward", lots.REWARDS.resource, "update-rewards")
_mount_trigger_target("benefit", b.BENEFITS, "update-benefits")
_mount_trigger_target("credit", lots.CREDITS.resource, "update-credits")
