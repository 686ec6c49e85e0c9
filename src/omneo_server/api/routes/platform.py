"""Auth tokens and the configuration namespaces."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy import select
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires, throttle
from omneo_server.api.resources import mount
from omneo_server.db.tables import ApiToken, Setting, Tenant
from omneo_server.domain import access, config
from omneo_server.domain.context import Ctx

router = routing.router()


@router.post("/auth/api-tokens", tags=["auth"], status_code=201)
async def create_api_token(
    body: access.TokenIn, request: Request, ctx: Ctx = Depends(requires("create-api-tokens"))
) -> Response:
    access.check_grantable(ctx.scopes, body.scopes)
    await throttle(request).minting(str(ctx.actor))
    # Made with a user's login, it is their personal token: never more than they may do.
    kind = "api" if ctx.user_id is None else "personal"
    async with database(request).write() as session:
        row, plaintext = await access.create_token(
            session, ctx.tenant_id, body.name, body.scopes, body.expires_at, token_type=kind, user_id=ctx.user_id
        )
        return render.JSON({"accessToken": plaintext, "token": access.render_token(row)}, status_code=201)


@router.get("/auth/access-tokens", tags=["auth"])
async def list_api_tokens(request: Request, ctx: Ctx = Depends(requires("read-api-tokens"))) -> Response:
    """The tenant's tokens as a plain array (the SDK's ``getAPITokens`` reads one), oldest first;
    ``type`` keeps the tokens of that type only."""
    wanted = request.query_params.get("type")
    stmt = select(ApiToken).where(ApiToken.tenant_id == ctx.tenant_id).order_by(ApiToken.created_at, ApiToken.id)
    if wanted is not None:
        stmt = stmt.where(ApiToken.type == wanted)
    async with database(request).read() as session:
        rows = (await session.execute(stmt)).scalars().all()
    return render.JSON([access.render_token(r) for r in rows])


@router.delete("/auth/api-tokens/{token_id}", tags=["auth"], status_code=204)
async def delete_api_token(
    token_id: str, request: Request, ctx: Ctx = Depends(requires("delete-api-tokens"))
) -> Response:
    async with database(request).write() as session:
        await access.revoke_token(session, ctx.tenant_id, token_id)
    return render.no_content()


@router.get("/auth/verify", tags=["auth"])
async def verify_token(request: Request, ctx: Ctx = Depends(requires(None))) -> Response:
    async with database(request).read() as session:
        tenant = await session.get(Tenant, ctx.tenant_id)
        token = await session.get(ApiToken, ctx.actor)
    assert tenant is not None and token is not None
    # ``status`` is what the SDK's ``verifyToken`` reads (200: the token is good).
    return render.JSON(
        {
            "status": 200,
            "message": "The token is valid.",
            # ``scopes``: what the token may do now (a user's token: cut to what their roles allow).
            "data": {
                "valid": True,
                "tenant": tenant.handle,
                "token": access.render_token(token),
                "scopes": sorted(ctx.scopes),
            },
        }
    )


@router.post("/auth/delegate", tags=["auth"])
async def delegate(
    body: access.DelegateIn, request: Request, ctx: Ctx = Depends(requires("create-delegations"))
) -> Response:
    await throttle(request).minting(str(ctx.actor))
    async with database(request).write() as session:
        return render.data(
            {
                "token": await access.create_delegate_token(
                    session, ctx.tenant_id, body.client_handle, ctx.scopes, ctx.user_id
                )
            }
        )


@router.get("/settings/environment", tags=["settings"])
async def settings_environment(request: Request, ctx: Ctx = Depends(requires("read-settings"))) -> Response:
    stmt = select(Setting).where(Setting.tenant_id == ctx.tenant_id).order_by(Setting.handle)
    async with database(request).read() as session:
        rows = (await session.execute(stmt)).scalars().all()
    return render.data([{"handle": r.handle, "value": config.setting_value(r)} for r in rows])


mount(router, config.BRANDS, "/brands")
mount(router, config.COUNTRIES, "/countries")
mount(router, config.CURRENCIES, "/currencies")
mount(router, config.REGIONS, "/regions")
mount(router, config.STATUSES, "/statuses")
mount(router, config.TAGS, "/tags", ("list", "get", "create", "delete"))
mount(router, config.SYSTEMS, "/systems", ("list", "get", "create", "delete"), paginated=False)
mount(router, config.SETTINGS, "/settings", paginated=False)
