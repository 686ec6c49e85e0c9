"""ASGI app factory: mounts the admin API under /api/v3, health, and the OpenAPI docs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from omneo_server.api import errors
from omneo_server.api.dispatch import IndexedRoutes, openapi
from omneo_server.api.routes import (
    access,
    batches,
    catalogue,
    commerce,
    custom_fields,
    definitions,
    incentives,
    platform,
    profiles,
    reactions,
    tiers,
    webhooks,
)
from omneo_server.api.routes import id as id_api
from omneo_server.api.throttle import Throttle
from omneo_server.db.engine import Database
from omneo_server.domain import permissions, roles
from omneo_server.jobs import outbound, worker
from omneo_server.settings import Settings, load_settings

API_PREFIX = "/api/v3"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    outbound.policy(settings)  # a malformed OMNEO_WEBHOOK_ALLOW_NETWORKS stops the start, not a request
    db = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await permissions.seed(db)  # scopes first checked by this version get their ids
        await roles.seed(db)  # tenants made before the preset roles existed get them
        stop = asyncio.Event()
        background = asyncio.create_task(worker.run(db, settings, stop)) if settings.worker else None
        yield
        stop.set()
        if background is not None:
            await background
        await db.dispose()

    app = FastAPI(
        title="Omneo (self-hosted)",
        version="3",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
        description=(
            "The Omneo admin API. Lists are paginated with `page[number]` / `page[size]` "
            f"(default {settings.default_page_size}, at most {settings.max_page_size} per page; "
            "larger sizes are served at the cap)."
        ),
    )
    app.state.settings = settings
    app.state.db = db
    app.state.throttle = Throttle(settings)
    errors.install(app)
    app.add_middleware(errors.RequestGuard, limit=settings.max_body_bytes)
    app.add_middleware(id_api.IdGateway, body_limit=settings.max_body_bytes)  # /id/api/v1 → admin routes
    app.add_middleware(id_api.IdCors, origins=settings.id_cors_origins.split(","))  # pre-flights
    app.add_middleware(errors.CollapseSlashes)  # outermost: every layer sees the path it means

    @app.get("/api/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(id_api.router)
    app.include_router(access.logins)
    # First of all routes: matches /api/v3 requests within their first segment's group only.
    app.router.routes.insert(0, IndexedRoutes(API_PREFIX, API_ROUTERS))
    permissions.read_routes(route for router in (*API_ROUTERS, id_api.router) for route in router.routes)
    app.openapi = openapi(app, API_PREFIX, API_ROUTERS)  # type: ignore[method-assign]
    return app


#: The admin API's routers, in matching order (definitions first: /rewards/definitions must not be
#: read as /rewards/{id}).
API_ROUTERS = (
    platform.router,
    commerce.router,
    profiles.router,
    profiles.identities,
    custom_fields.router,
    catalogue.router,
    catalogue.profile_interactions,
    definitions.router,
    tiers.router,
    incentives.router,
    reactions.router,
    webhooks.router,
    batches.router,
    access.router,
)
