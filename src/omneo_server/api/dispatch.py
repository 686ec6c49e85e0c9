"""Route dispatch by index: a request under ``/api/v3`` is matched only against the routes that share
its first path segment, not against all of them in turn.

FastAPI matches a request against every route until one fits, through two levels of included
routers; with ~400 routes that cost more than the rest of a profile read (most of it, in profiles).
:class:`IndexedRoutes` sits first in the app's routes: it groups the API's routes by their first
segment (``profiles``, ``transactions``, …) once, and hands a request to the first route of its group
that matches, exactly as the full list would have (every route starts with a literal segment, so
the order within a group is the order overall). What it does not find falls through to the normal
routing (404, 405 and slash redirects are answered there, the same way as before). The routers are
still included the usual way, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fastapi import APIRouter
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
        for entry in self.index.get(key, ()):
            found = entry.regex.match(path)
            if found is None or method not in entry.methods:
                continue  # a method mismatch is left to the full routing (405 with ``Allow``)
            params = {name: entry.convertors[name].convert(value) for name, value in found.groupdict().items()}
            child: Scope = {"endpoint": entry.route.endpoint, "path_params": params, "route": entry.route}
            return Match.FULL, child
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: APIRoute = scope["route"]
        await route.app(scope, receive, send)
