"""Webhooks routes: the subscriptions (CRUD), their delivery log, and a test send."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query, mount
from omneo_server.domain.context import Ctx
from omneo_server.domain.reactions import webhooks

router = routing.router()


@router.post("/webhooks", tags=["webhooks"], status_code=201, name="webhooks.create", summary="Create webhooks")
async def create_webhook(
    body: webhooks.WebhookIn, request: Request, ctx: Ctx = Depends(requires("create-webhooks"))
) -> Response:
    """Create a webhook. The answer carries its signing ``secret``, shown this once only."""
    async with database(request).write() as session:
        created = await webhooks.create_webhook(session, ctx, body.model_dump(by_alias=True))
    return render.data(created, status_code=201)


@router.get("/webhooks/{key}/deliveries", tags=["webhooks"], name="webhooks.deliveries")
async def list_deliveries(key: str, request: Request, ctx: Ctx = Depends(requires("read-webhooks"))) -> Response:
    """The webhook's delivery log, newest first, each delivery with its ``attempts``."""
    query = list_query(request, ctx)
    async with database(request).read() as session:
        page, items = await webhooks.list_deliveries(session, ctx, key, query)
    return render.page(request, page, items)


@router.post("/webhooks/{key}/test", tags=["webhooks"], status_code=201, name="webhooks.test")
async def test_webhook(key: str, request: Request, ctx: Ctx = Depends(requires("update-webhooks"))) -> Response:
    """Queue a ``webhook.test`` delivery to this webhook; the worker sends it like any other."""
    async with database(request).write() as session:
        delivery = await webhooks.send_test(session, ctx, key)
        return render.data(webhooks.render_delivery(delivery, []), status_code=201)


mount(router, webhooks.WEBHOOKS, "/webhooks", ("list", "get", "update", "delete"))
