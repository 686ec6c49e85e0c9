"""Organisations and access: the permission catalogue, roles, users and their logins,
organisations with their member profiles and role definitions, and the audit trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires, throttle
from omneo_server.api.resources import list_query, mount
from omneo_server.api.throttle import client_address
from omneo_server.domain import action_history, audits, oauth, organisations, permissions, roles, users
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import NotFound
from omneo_server.domain.profiles import commands as profile_commands
from omneo_server.domain.query import Page
from omneo_server.wire import loads

router = routing.router()
READ = requires("read-permissions")
READ_ROLES = requires("read-roles")


@router.get("/permissions", tags=["permissions"])
async def list_permissions(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    result = await permissions.listed(database(request), list_query(request, ctx))
    return render.page(request, result, [permissions.render(row) for row in result.rows])


@router.get("/permissions/{key}", tags=["permissions"])
async def get_permission(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    row = await permissions.get(database(request), key)
    if row is None:
        raise NotFound("Permission")
    return render.data(permissions.render(row))


# Organisation roles: mounted before /roles/{key}, so "definitions" is not read as a role's id.
mount(router, organisations.ROLE_DEFINITIONS, "/roles/definitions")
mount(router, organisations.ORGANISATIONS, "/organisations")
ORG = "/organisations/{key}/profiles"


@router.get(ORG, tags=["organisations"])
async def organisation_profiles(
    key: str, request: Request, ctx: Ctx = Depends(requires("read-organisations"))
) -> Response:
    """The organisation's member profiles, as ``GET /profiles`` answers them, each with its
    ``membership`` (role definition, active, expiry, and whether it holds now)."""
    db = database(request)
    async with db.read() as session:
        result, memberships = await organisations.members(
            session, await organisations.organisation(session, ctx, key), list_query(request, ctx)
        )
    bodies = await profile_commands.read_models(db, ctx, result.rows)
    items = [{**loads(bodies[pid]), "membership": memberships[pid]} for pid in result.rows if pid in bodies]
    return render.page(request, result, items)


@router.post(ORG, tags=["organisations"], status_code=201)
async def attach_profile(
    key: str, body: organisations.MembershipIn, request: Request, ctx: Ctx = Depends(requires("update-organisations"))
) -> Response:
    async with database(request).write() as session:
        org = await organisations.organisation(session, ctx, key)
        return render.data(await organisations.attach(session, ctx, org, body), status_code=201)


@router.delete(ORG + "/{profile_id}", tags=["organisations"], status_code=204)
async def detach_profile(
    key: str, profile_id: str, request: Request, ctx: Ctx = Depends(requires("update-organisations"))
) -> Response:
    async with database(request).write() as session:
        await organisations.detach(session, ctx, await organisations.organisation(session, ctx, key), profile_id)
    return render.no_content()


@router.get("/roles", tags=["roles"])
async def list_roles(request: Request, ctx: Ctx = Depends(READ_ROLES)) -> Response:
    """The tenant's roles, heaviest first, each with the permissions it grants (one page)."""
    async with database(request).read() as session:
        rows, catalogue = await roles.listed(session, ctx.tenant_id), await roles.catalogue(session)
    items = [roles.render(row, catalogue) for row in rows]
    return render.page(request, Page(rows, len(rows), 1, max(1, len(rows))), items)


@router.post("/roles", tags=["roles"], status_code=201)
async def create_role(body: roles.RoleIn, request: Request, ctx: Ctx = Depends(requires("create-roles"))) -> Response:
    """A role of the tenant's own, with the permissions chosen (never more than the caller holds)."""
    async with database(request).write() as session:
        row = await roles.create(session, ctx, body)
        return render.data(roles.render(row, await roles.catalogue(session)), status_code=201)


@router.put("/roles/{key}", tags=["roles"])
async def update_role(
    key: str, body: roles.RoleUpdate, request: Request, ctx: Ctx = Depends(requires("update-roles"))
) -> Response:
    async with database(request).write() as session:
        row = await roles.get(session, ctx.tenant_id, key)
        if row is None:
            raise NotFound("Role")
        row = await roles.update(session, ctx, row, body)
        return render.data(roles.render(row, await roles.catalogue(session)))


@router.delete("/roles/{key}", tags=["roles"], status_code=204)
async def delete_role(key: str, request: Request, ctx: Ctx = Depends(requires("delete-roles"))) -> Response:
    async with database(request).write() as session:
        row = await roles.get(session, ctx.tenant_id, key)
        if row is None:
            raise NotFound("Role")
        await roles.delete(session, ctx, row)
    return render.no_content()


@router.get("/roles/{key}", tags=["roles"])
async def get_role(key: str, request: Request, ctx: Ctx = Depends(READ_ROLES)) -> Response:
    async with database(request).read() as session:
        row = await roles.get(session, ctx.tenant_id, key)
        if row is None:
            raise NotFound("Role")
        return render.data(roles.render(row, await roles.catalogue(session)))


@router.get("/users", tags=["users"])
async def list_users(request: Request, ctx: Ctx = Depends(requires("read-users"))) -> Response:
    async with database(request).read() as session:
        result = await users.listed(session, ctx, list_query(request, ctx))
        catalogue = await roles.catalogue(session)
    return render.page(request, result, [users.render(row, catalogue) for row in result.rows])


@router.post("/users", tags=["users"], status_code=201)
async def create_user(body: users.UserIn, request: Request, ctx: Ctx = Depends(requires("create-users"))) -> Response:
    async with database(request).write() as session:
        row = await users.create(session, ctx, body)
        return render.data(users.render(row, await roles.catalogue(session)), status_code=201)


@router.get("/users/me", tags=["users"])
async def me(request: Request, ctx: Ctx = Depends(requires(None))) -> Response:
    """The user a personal token or a login acts for (a machine's API token acts for no one: 404)."""
    if ctx.user_id is None:
        raise NotFound("User")
    async with database(request).read() as session:
        row = await users.get(session, ctx, str(ctx.user_id))
        return render.data(users.render(row, await roles.catalogue(session)))


@router.get("/users/{key}", tags=["users"])
async def get_user(key: str, request: Request, ctx: Ctx = Depends(requires("read-users"))) -> Response:
    async with database(request).read() as session:
        row = await users.get(session, ctx, key)
        return render.data(users.render(row, await roles.catalogue(session)))


@router.put("/users/{key}", tags=["users"])
async def update_user(
    key: str, body: users.UserUpdate, request: Request, ctx: Ctx = Depends(requires("update-users"))
) -> Response:
    async with database(request).write() as session:
        row = await users.update(session, ctx, await users.get(session, ctx, key), body)
        return render.data(users.render(row, await roles.catalogue(session)))


@router.delete("/users/{key}", tags=["users"], status_code=204)
async def delete_user(key: str, request: Request, ctx: Ctx = Depends(requires("delete-users"))) -> Response:
    async with database(request).write() as session:
        await users.delete(session, ctx, await users.get(session, ctx, key))
    return render.no_content()


# --- logins ------------------------------------------------------------------------------------------

#: Mounted at the root (``/oauth/token``, where Laravel Passport answers), not under ``/api/v3``.
logins = routing.router(tags=["oauth"])


async def _form(request: Request) -> dict[str, Any]:
    """The token request: form-encoded (as OAuth clients send it) or JSON."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    body = await request.json()
    if not isinstance(body, dict):
        raise oauth.OAuthError(400, "invalid_request", "The token request must be a form or a JSON object.")
    return body


@logins.post("/oauth/token")
async def token(request: Request) -> Response:
    """The password grant and refresh tokens (``domain/oauth.py``); failures count against the
    caller's address, refused (429) once it has failed too often."""
    limits, address = throttle(request), client_address(request.scope)
    await limits.check_auth(address)
    db = database(request)
    try:
        form = await _form(request)
        try:
            async with db.write() as session:
                grant = await oauth.grant(session, form)
        except oauth.RefreshReused as reused:
            async with db.write() as session:
                await oauth.end_family(session, reused.family)
            raise oauth.invalid_refresh() from None
    except oauth.OAuthError as refused:
        if refused.status == 401:
            await limits.auth_failed(address)
        return render.JSON(refused.render(), status_code=refused.status)
    return render.JSON(grant.render(), headers={"Cache-Control": "no-store"})


# --- action history ------------------------------------------------------------------------------------

HISTORY = requires("read-action-history")


@router.get("/action-history", tags=["action-history"])
async def list_action_history(request: Request, ctx: Ctx = Depends(HISTORY)) -> Response:
    """What triggers and automations did, newest first (``filter[profile_id]`` for one profile's)."""
    async with database(request).read() as session:
        result = await action_history.listed(session, ctx, list_query(request, ctx))
    return render.page(request, result, [action_history.render(row) for row in result.rows])


@router.get("/action-history/{key}", tags=["action-history"])
async def get_action_history(key: str, request: Request, ctx: Ctx = Depends(HISTORY)) -> Response:
    async with database(request).read() as session:
        return render.data(action_history.render(await action_history.get(session, ctx, key)))


# --- audits ----------------------------------------------------------------------------------------

mount(router, audits.AUDITS, "/audits", verbs=("list", "get", "update", "delete"))


@router.post("/audits", status_code=201, tags=["audits"])
async def create_audit(
    body: audits.AuditIn, request: Request, ctx: Ctx = Depends(requires("create-audits"))
) -> Response:
    """Record an audit of something done elsewhere; who and where default to the caller's."""
    async with database(request).write() as session:
        row = await audits.create(session, ctx, body.model_dump())
        return render.data(audits.render(row), status_code=201)
