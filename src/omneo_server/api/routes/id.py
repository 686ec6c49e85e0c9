"""The ID API (``/id/api/v1``): profile-scoped tokens for storefronts.

* ``POST /auth/token`` (admin token with ``create-id-tokens``) mints an ID token for a profile, by
  UUID or by identity, or an anonymous one.
* ``/profiles/me[/...]`` is the admin ``/api/v3/profiles/{pid}[/...]`` with ``pid`` taken from the
  token: ``IdGateway`` verifies the token, checks the (method, sub-path) pair against ``ALLOWED``
  (the sub-routes id-api.md exposes), refuses bodies that name another profile, and re-dispatches the
  request inside the same app with an ``IdPrincipal`` that holds only profile scopes. One
  implementation underneath: the admin routes serve both APIs.
* ``POST /profiles`` with an anonymous token creates a profile, or on a match by email or mobile
  updates only its comms attributes.
* ``GET /locations[/...]`` is the admin locations listing, read-only, for store finders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omneo_server.api import render, routing
from omneo_server.api.deps import (
    ID_PRINCIPAL,
    IdPrincipal,
    database,
    id_principal,
    origin,
    requires,
    settings,
    throttle,
)
from omneo_server.api.errors import bad_body, domain_error, error
from omneo_server.api.routing import PARSED_BODY
from omneo_server.api.throttle import Throttle, client_address
from omneo_server.db.engine import Database
from omneo_server.domain import id_tokens
from omneo_server.domain.access import scope_allows
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import DomainError, Forbidden, NotFound, Unauthenticated
from omneo_server.domain.inputs import Body
from omneo_server.domain.profiles import commands as cmd
from omneo_server.domain.profiles import schemas as s
from omneo_server.wire import BodyError, parse_body

PREFIX = "/id/api/v1"
ADMIN_PREFIX = "/api/v3"

#: What a profile's ID token may do on its own profile (``requires`` checks these on the admin
#: routes). Creating incentives (achievements, tier assignment) is deliberately absent: those admin
#: routes refuse ID tokens even though id-api.md lists the paths.
PROFILE_SCOPES = frozenset(
    {
        "read-profiles",
        "update-profiles",
        "delete-profiles",
        "read-transactions",
        "update-transactions",
        "read-orders",
        "read-interactions",
        "delete-interactions",
        *(
            f"read-{r}"
            for r in (
                "rewards",
                "points",
                "tiers",
                "benefits",
                "credits",
                "ledgers",
                "redemptions",
                "balances",
                "achievements",
                "connections",
                "product-lists",
            )
        ),
        "update-connections",
        "create-product-lists",
        "update-product-lists",
        "delete-product-lists",
        "claim-benefits",
        "redeem-benefits",
        "redeem-credits",
        "redeem-strategy",
    }
)
ANONYMOUS_SCOPES = frozenset({"create-profiles"})
LOCATION_SCOPES = frozenset({"read-locations"})

# --- the /profiles/me allowlist (id-api.md §3 and §4); ``*`` is one path segment ------------------

_ROUTES: dict[str, tuple[str, ...]] = {
    "GET": (
        "",
        "resync",
        "transaction-products",
        "achievements",
        "achievements/*/achievement-points",
        "addresses",
        "addresses/*",
        "aggregations",
        "aggregations/calculate",
        "attributes/appearance",
        "attributes/comms",
        "attributes/custom",
        "attributes/custom/*",
        "attributes/dates",
        "balances",
        "benefits",
        "benefits/*",
        "redeemable_benefits",
        "connections",
        "connections/*/profileInfo",
        "credits",
        "identities",
        "identities/*",
        "identities/id/*",
        "interactions",
        "interactions/*",
        "ledgers",
        "ledgers/*",
        "lists",
        "lists/*",
        "lists/*/custom-fields",
        "lists/*/custom-fields/*",
        "lists/*/items",
        "lists/*/items/*",
        "reservations",
        "orders",
        "orders/*",
        "group_orders",
        "points",
        "points/*",
        "redemptions",
        "redemptions/*",
        "redemptions/*/*/count",
        "regions",
        "rewards",
        "rewards/*",
        "tiers",
        "tiers/calculate",
        "tiers/points",
        "transactions",
        "transactions/*",
        "transactions/claims",
        "transactions/claims/*",
        "find-transactions",
        "group_transactions",
        "transactionitems/list/unassigned",
        "transactionitems/list/assigned",
    ),
    "PUT": (
        "",
        "comms",
        "update-type",
        "addresses/*",
        "attributes/appearance",
        "attributes/comms",
        "attributes/custom/*",
        "attributes/dates",
        "benefits/*",
        "connections/*",
        "identities/*",
        "identities/id/*",
        "lists/*",
        "lists/*/custom-fields/*",
        "lists/*/items/*",
        "regions/*",
    ),
    "POST": (
        "redeem",
        "achievements",
        "addresses",
        "benefits/*/redeem",
        "benefits/claim",
        "benefits/claim-redeem",
        "credits/*/redeem",
        "identities",
        "lists",
        "lists/*/custom-fields",
        "lists/*/items",
        "lists/*/custom",
        "lists/*/shares",
        "regions",
        "tiers/assign",
        "transactions/claims",
        "transactions/items/*/list-item",
    ),
    "DELETE": (
        "",
        "purge",
        "addresses/*",
        "attributes/custom/*",
        "attributes/dates/*",
        "benefits/*",
        "identities/*",
        "identities/id/*",
        "interactions/*",
        "lists/*",
        "lists/*/custom-fields/*",
        "lists/*/items/*",
        "lists/*/shares/*",
        "regions/*",
        "transactions/claims/*",
    ),
}


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    alternatives = (re.escape(p).replace(r"\*", "[^/]+") for p in patterns)
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


ALLOWED: dict[str, re.Pattern[str]] = {method: _compile(paths) for method, paths in _ROUTES.items()}
_LOCATIONS = re.compile(r"^(?:|[^/]+|[^/]+/(?!custom-fields$)[^/]+)$")

#: Keys an ID request body may not carry: they would name another profile (or merge one in).
SMUGGLING_KEYS = frozenset(
    {"profile_id", "loser_id", "winner_id", "source_profile_id", "destination_profile_id", "profile_ids"}
)
#: Top-level keys an ID body may not carry: the record's own id, and the labels that grant
#: privileges in reactions and benefit conditions (managed by the brand, not the customer).
TOP_LEVEL_KEYS = frozenset({"id", "statuses", "tags"})
#: Anonymous sign-up may not claim identities or choose a type either.
ANONYMOUS_KEYS = frozenset({"identities", "profile_type", "joined_staff_id", "preferred_staff_id"})


def _granted(verified: id_tokens.IdToken, scopes: frozenset[str]) -> frozenset[str]:
    """What the token may do on this route: the route's ID scopes its minting token also held."""
    return scopes if verified.scopes is None else scopes & verified.scopes


def mintable(granted: frozenset[str], anonymous: bool) -> list[str]:
    """The ID scopes a token minted by a holder of ``granted`` carries: never more than it holds."""
    offered = (ANONYMOUS_SCOPES if anonymous else PROFILE_SCOPES) | LOCATION_SCOPES
    return [scope for scope in offered if scope_allows(granted, scope)]


def allowed(method: str, rest: str) -> bool:
    pattern = ALLOWED.get(method)
    return pattern is not None and pattern.match(rest) is not None


#: Profile types a customer may give their own profile (system, temporary and dependant are the brand's).
CUSTOMER_PROFILE_TYPES = frozenset({"active", "incomplete", "pending", "deleted"})


def _smuggled(value: Any, top: bool, forbidden_top: frozenset[str]) -> str | None:
    """The first key naming another record, anywhere in a JSON body."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SMUGGLING_KEYS or (top and key in forbidden_top):
                return str(key)
            found = _smuggled(item, False, forbidden_top)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _smuggled(item, False, forbidden_top)
            if found is not None:
                return found
    return None


# --- the gateway -----------------------------------------------------------------------------------


class IdCors:
    """CORS for the ID API only (storefront JavaScript calls it from the browser): pre-flights are
    answered here, before any token is asked for; ``origins`` allowed, none by default. The admin
    API is for servers and answers no pre-flight."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=[o.strip().rstrip("/") for o in origins if o.strip()],
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Idempotency-Key"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _without_identity_query(query_string: bytes) -> bytes:
    """Drop ``identity[...]`` keys: the admin routes resolve ``{profile_id}`` by identity with them."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not (k == "identity" or k.startswith("identity["))]
    return urlencode(kept).encode("latin-1")


class IdGateway:
    """ASGI middleware in front of the app: serves ``/id/api/v1`` by verifying the ID token and
    re-dispatching into the admin routes (see the module docstring)."""

    def __init__(self, app: ASGIApp, body_limit: int = 1024 * 1024) -> None:
        self.app = app
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.pop(ID_PRINCIPAL, None)
        path: str = scope["path"]
        if not path.startswith(PREFIX + "/") or path in (f"{PREFIX}/auth/token", f"{PREFIX}/auth/token/"):
            await self.app(scope, receive, send)
            return
        route = path[len(PREFIX) :].rstrip("/")
        method: str = scope["method"]
        db: Database = scope["app"].state.db
        limits: Throttle = scope["app"].state.throttle
        address = client_address(scope)
        token = _bearer(scope)
        try:
            await limits.check_auth(address)
            try:
                if token is None:
                    raise Unauthenticated()
                verified = await id_tokens.verify(db.read, token)
            except Unauthenticated:
                await limits.auth_failed(address)
                raise
            if verified.profile_id is None:
                await limits.anonymous_request(address)
        except DomainError as exc:  # 401, or 429 with Retry-After
            await domain_error(exc)(scope, receive, send)
            return

        if route == "/profiles":
            principal = IdPrincipal(verified.tenant_id, verified.profile_id, _granted(verified, ANONYMOUS_SCOPES))
            forbidden = TOP_LEVEL_KEYS | ANONYMOUS_KEYS
            await self._forward(scope, receive, send, path, principal, forbidden, None)
        elif route == "/profiles/me" or route.startswith("/profiles/me/"):
            if verified.profile_id is None:
                await error(404, "Profile not found.")(scope, receive, send)
                return
            rest = route[len("/profiles/me") :].lstrip("/")
            if not allowed(method, rest):
                methods = [m for m in ALLOWED if allowed(m, rest)]
                await _not_allowed(methods)(scope, receive, send)
                return
            target = f"{ADMIN_PREFIX}/profiles/{verified.profile_id}" + (f"/{rest}" if rest else "")
            principal = IdPrincipal(verified.tenant_id, verified.profile_id, _granted(verified, PROFILE_SCOPES))
            public = (f"{ADMIN_PREFIX}/profiles/{verified.profile_id}", f"{PREFIX}/profiles/me")
            await self._forward(scope, receive, send, target, principal, TOP_LEVEL_KEYS, public)
        elif route == "/locations" or route.startswith("/locations/"):
            rest = route[len("/locations") :].lstrip("/")
            if method != "GET" or not _LOCATIONS.match(rest):
                await _not_allowed(["GET"] if _LOCATIONS.match(rest) else [])(scope, receive, send)
                return
            principal = IdPrincipal(verified.tenant_id, verified.profile_id, _granted(verified, LOCATION_SCOPES))
            public = (f"{ADMIN_PREFIX}/locations", f"{PREFIX}/locations")
            await self._forward(scope, receive, send, ADMIN_PREFIX + route, principal, frozenset(), public)
        else:
            await error(404, "Not found.")(scope, receive, send)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: str,
        principal: IdPrincipal,
        forbidden_top: frozenset[str],
        public: tuple[str, str] | None,
    ) -> None:
        """Re-dispatch to ``target`` as ``principal``, after checking the body; rewrite admin URLs in
        the answer (page links) back to their public ID form."""
        replay, body = await self._buffer(receive)
        if body is None:
            await error(413, "The request body is too large.")(scope, receive, send)
            return
        inner = dict(scope)
        if body:
            # The one reading of the body: what is checked here is what the route receives.
            try:
                parsed = parse_body(body)
            except BodyError as exc:
                await bad_body(str(exc))(scope, receive, send)
                return
            inner[PARSED_BODY] = parsed
            key = _smuggled(parsed, True, forbidden_top)
            if key is not None:
                message = f"The {key} field cannot be set with an ID token."
                await error(422, message, {key: [message]})(scope, receive, send)
                return
            if isinstance(parsed, dict) and parsed.get("profile_type", "active") not in CUSTOMER_PROFILE_TYPES:
                message = "With an ID token the profile type may only be " + ", ".join(sorted(CUSTOMER_PROFILE_TYPES))
                await error(422, message, {"profile_type": [message]})(scope, receive, send)
                return
        inner["path"] = target
        inner["raw_path"] = quote(target).encode("latin-1")
        inner["query_string"] = _without_identity_query(scope.get("query_string", b""))
        inner[ID_PRINCIPAL] = principal
        await self.app(inner, replay, send if public is None else _rewriting(send, public))

    async def _buffer(self, receive: Receive) -> tuple[Receive, bytes | None]:
        """Read the request body and a ``receive`` that replays it; ``None`` for a body over the
        limit (reading stops just past it)."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False) or size > self.body_limit:
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay, body if size <= self.body_limit else None


def _not_allowed(methods: list[str]) -> Response:
    """404 for a path the ID API does not serve, 405 (with ``Allow``) for a method it does not."""
    if not methods:
        return error(404, "Not found.")
    return error(405, "Method not allowed.", headers={"Allow": ", ".join(methods)})


def _rewriting(send: Send, public: tuple[str, str]) -> Send:
    """A ``send`` that writes ``public[0]`` URLs as ``public[1]`` in JSON answers (page links)."""
    admin, shown = public[0].encode(), public[1].encode()
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if b"application/json" not in content_type:
                await send(message)
                return
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks).replace(admin, shown)
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


# --- routes served under /id/api/v1 ------------------------------------------------------------------

router = routing.router(prefix=PREFIX, tags=["id"])


class TokenIn(Body):
    """``{id, id_handle?}``: a profile UUID, or an identity identifier with its handle; no ``id``
    (or an empty one) asks for an anonymous token."""

    id: str | int | None = None
    id_handle: str | None = None


@router.post("/auth/token")
async def auth_token(body: TokenIn, request: Request, ctx: Ctx = Depends(requires("create-id-tokens"))) -> Response:
    identifier = "" if body.id is None else str(body.id).strip()
    await throttle(request).minting(str(ctx.actor))
    async with database(request).read() as session:
        profile_id: str | None = None
        if identifier and body.id_handle:
            profile_id = (await cmd.get_by_identity(session, ctx, body.id_handle, identifier)).id
        elif identifier:
            if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", identifier):
                raise NotFound("Profile")
            profile_id = (await cmd.get(session, ctx, identifier.lower())).id
        tenant = await id_tokens.tenant_row(session, ctx.tenant_id)
    scopes = mintable(ctx.scopes, profile_id is None)
    token, exp = id_tokens.mint(tenant, profile_id, ctx.settings.id_token_ttl_seconds, scopes)
    return render.data({"token": token, "exp": exp})


def _anonymous(request: Request) -> Ctx:
    principal = id_principal(request)
    if principal is None:
        raise Unauthenticated()
    if principal.profile_id is not None:
        raise Forbidden("Only anonymous ID tokens create profiles; use /profiles/me.")
    if not scope_allows(principal.scopes, "create-profiles"):
        raise Forbidden("This ID token does not carry the create-profiles scope.")
    return Ctx(
        principal.tenant_id,
        settings(request),
        principal.actor,
        principal.scopes,
        token_name=principal.actor,
        origin=origin(request),
    )


@router.post("/profiles", status_code=201)
async def anonymous_profile(body: s.ProfileFields, request: Request, ctx: Ctx = Depends(_anonymous)) -> Response:
    """Sign-up with an anonymous token: a new profile answers 201 in full. When a live profile already
    has this email or mobile, only the comms its owner never set are filled in, and the answer (200)
    echoes what was sent: nothing stored is revealed, nothing the owner chose is overwritten."""
    async with database(request).write() as session:
        created = await cmd.sign_up(session, ctx, body)
        if created is not None:
            return render.data(await cmd.render(session, ctx, created), status_code=201)
    sent = {"email": body.email, "mobile_phone": body.mobile_phone, "attributes": {"comms": cmd.sent_comms(body)}}
    return render.data(sent)
