"""Route dispatch by index: a request under ``/api/v3`` is matched only against the routes that share
its first path segment, not against all of them in turn.

FastAPI matches a request against every route until one fits, through two levels of included
routers; with ~400 routes that cost more than the rest of a profile read (most of it, in profiles).
:class:`IndexedRoutes` sits first in the app's routes: it groups the API's routes by their first
segment (``profiles``, ``transactions``, …) once, and hands a request to the first route of its group
that matches, exactly as the full list would have (every route starts with a literal segment, so
the order within a group is the order overall). A path some route serves with another method is a
partial match, answered 405 by that route; what it does not find falls through to the app's own
routing (404 and slash redirects, which ask :meth:`IndexedRoutes.matches` again).

The routers are not also included in the app: FastAPI's ``include_router`` builds every route a
second time (a third of start-up). The OpenAPI document is built from them on first request
(:func:`openapi`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import Receive, Scope, Send


class _Entry:
    __slots__ = ("convertors", "methods", "regex", "route")

    def __init__(self, prefix: str, route: APIRoute) -> None:
        self.route = route
        self.methods = route.methods or set()
        self.regex, _format, self.convertors = compile_path(prefix + route.path)


def _segment(path: str, prefix: str) -> str | None:
    """The first path segment after ``prefix`` (``/api/v3/profiles/x`` → ``profiles``)."""
    if not path.startswith(prefix + "/"):
        return None
    return path[len(prefix) + 1 :].split("/", 1)[0]


class IndexedRoutes(BaseRoute):
    """The routes of ``routers`` mounted at ``prefix``, indexed by their first segment."""

    def __init__(self, prefix: str, routers: Iterable[APIRouter]) -> None:
        self.prefix = prefix
        self.index: dict[str, list[_Entry]] = defaultdict(list)
        for router in routers:
            for route in router.routes:
                if not isinstance(route, APIRoute):
                    continue
                key = _segment(prefix + route.path, prefix)
                if key is None or "{" in key:
                    raise ValueError(f"{route.path} must start with a literal segment to be indexed")
                self.index[key].append(_Entry(prefix, route))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        key = _segment(path, self.prefix)
        if key is None:
            return Match.NONE, {}
        method = scope["method"]
        partial: Scope | None = None
        for entry in self.index.get(key, ()):
            found = entry.regex.match(path)
            if found is None or (partial is not None and method not in entry.methods):
                continue
            params = {name: entry.convertors[name].convert(value) for name, value in found.groupdict().items()}
            child: Scope = {"endpoint": entry.route.endpoint, "path_params": params, "route": entry.route}
            if method in entry.methods:
                return Match.FULL, child
            partial = child  # served with another method: the route answers 405 unless a later one fits
        return (Match.NONE, {}) if partial is None else (Match.PARTIAL, partial)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: APIRoute = scope["route"]
        await route.handle(scope, receive, send)


def openapi(app: FastAPI, prefix: str, routers: Iterable[APIRouter]) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: the document of the app's own routes and ``routers`` mounted at ``prefix``,
    built once, when first asked for."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            mounted = APIRouter(prefix=prefix)
            for router in routers:
                mounted.include_router(router)
            own = [route for route in app.routes if not isinstance(route, IndexedRoutes)]
            app.openapi_schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=[*own, *mounted.routes]
            )
        return app.openapi_schema

    return document
