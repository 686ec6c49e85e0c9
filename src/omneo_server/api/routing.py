"""Routers whose requests read their JSON body once, strictly, through ``wire.parse_body``.

A gateway in front of a route (the ID API's) parses the body, checks it, and leaves the parsed
value in the scope under :data:`PARSED_BODY`; the route then uses that very value instead of
decoding the bytes again, so a check can never look at one decoding while the handler acts on
another.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from omneo_server.api import includes
from omneo_server.api.errors import BadBody
from omneo_server.wire import BodyError, parse_body

#: Scope key under which a gateway leaves the body it parsed and checked.
PARSED_BODY = "omneo.parsed_body"


class JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            if PARSED_BODY in self.scope:
                self._json = self.scope[PARSED_BODY]
            else:
                self._json = read_body(await self.body())
        return self._json


def read_body(raw: bytes) -> Any:
    """``parse_body`` with its refusal as the API's 400."""
    try:
        return parse_body(raw)
    except BodyError as exc:
        raise BadBody(str(exc)) from None


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        kind = includes.KINDS.get(self.path) if "GET" in (self.methods or ()) else None

        async def handler(request: Request) -> Response:
            response = await handle(JsonRequest(request.scope, request.receive, request._send))
            if kind is not None and "include" in request.query_params:
                response = await includes.expand(request, request.state.ctx, kind, response)
            return response

        return handler


def router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes read bodies as above."""
    return APIRouter(route_class=JsonRoute, **options)
