"""The permission catalogue: every scope a token (and, with the access issue's roles, a user) can
hold, as ``GET /permissions`` lists it.

It is made, not written: every scope a route checks is read off the routes' own dependencies
(``api.deps.requires`` marks each with its scope) when the app is made, and the scopes the official
SDK's types name (``APIScopes``, what existing client code asks for) are added, so the catalogue
can never miss what is enforced. Rows live in the ``permissions`` table, written at start-up for
scopes not seen before, so a permission's id never changes. ``checked`` says whether a route of
this server enforces it (an SDK scope for an area not built yet is listed but guards nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select

from omneo_server.db import tables as t
from omneo_server.db.engine import Database, dialect_insert
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate

#: The scopes the official SDK's types name (``src/types/auth.ts``, ``APIScopes``).
SDK_SCOPES = [
    "read-audits",
    "read-identities",
    "create-achievement-definitions",
    "read-achievement-definitions",
    "update-achievement-definitions",
    "delete-achievement-definitions",
    "read-benefits",
    "create-benefits",
    "delete-benefits",
    "create-benefit-definitions",
    "read-benefit-definitions",
    "update-benefit-definitions",
    "delete-benefit-definitions",
    "create-currencies",
    "read-currencies",
    "update-currencies",
    "delete-currencies",
    "read-ledgers",
    "create-locations",
    "read-locations",
    "update-locations",
    "delete-locations",
    "read-permissions",
    "read-points",
    "create-point-definitions",
    "read-point-definitions",
    "update-point-definitions",
    "delete-point-definitions",
    "create-products",
    "read-products",
    "update-products",
    "delete-products",
    "create-custom-products",
    "read-custom-products",
    "update-custom-products",
    "delete-custom-products",
    "create-product-lists",
    "read-product-lists",
    "update-product-lists",
    "delete-product-lists",
    "create-product-options",
    "read-product-options",
    "update-product-options",
    "delete-product-options",
    "create-profiles",
    "read-profiles",
    "update-profiles",
    "delete-profiles",
    "redeem-strategy",
    "redeem-benefits",
    "read-redemptions",
    "return",
    "read-rewards",
    "create-rewards",
    "update-rewards",
    "delete-rewards",
    "read-ratings",
    "create-ratings",
    "update-ratings",
    "delete-ratings",
    "create-reward-definitions",
    "read-reward-definitions",
    "update-reward-definitions",
    "delete-reward-definitions",
    "read-roles",
    "read-settings",
    "update-settings",
    "create-statuses",
    "read-statuses",
    "view-statuses",
    "update-statuses",
    "delete-statuses",
    "create-systems",
    "read-systems",
    "delete-systems",
    "create-tags",
    "read-tags",
    "delete-tags",
    "create-tenants",
    "read-tenants",
    "update-tenants",
    "delete-tenants",
    "create-tier-definitions",
    "read-tier-definitions",
    "update-tier-definitions",
    "delete-tier-definitions",
    "create-tier-points",
    "read-tier-points",
    "update-tier-points",
    "delete-tier-points",
    "create-points",
    "update-points",
    "delete-points",
    "create-transactions",
    "read-transactions",
    "update-transactions",
    "delete-transactions",
    "create-users",
    "read-users",
    "update-users",
    "delete-users",
    "create-interactions",
    "read-interactions",
    "update-interactions",
    "delete-interactions",
    "read-imports",
    "delete-imports",
    "create-imports",
    "create-webhooks",
    "read-webhooks",
    "update-webhooks",
    "delete-webhooks",
    "create-targets",
    "read-targets",
    "update-targets",
    "delete-targets",
    "read-action-history",
    "create-transaction-claims",
    "read-transaction-claims",
    "create-allocations",
    "read-allocations",
    "create-list-definitions",
    "read-list-definitions",
    "update-list-definitions",
    "delete-list-definitions",
    "read-product-list-reservations",
    "update-product-list-reservations",
    "create-rate",
    "read-rate",
    "update-rate",
    "delete-rate",
    "create-region",
    "read-region",
    "update-region",
    "delete-region",
    "create-orders",
    "update-orders",
    "read-orders",
    "delete-orders",
    "create-connection-definitions",
    "update-connection-definitions",
    "delete-connection-definitions",
    "read-connection-definitions",
    "create-connections",
    "update-connections",
    "delete-connections",
    "read-connections",
]

#: Every scope a route of this server checks (:func:`read_routes`, when the app is made).
CHECKED: set[str] = set()


def read_routes(routes: Iterable[Any]) -> None:
    """Add to :data:`CHECKED` the scope of every ``requires(scope)`` dependency of ``routes``
    (nested dependencies included): what is enforced, read off the routes themselves."""

    def scopes(dependant: Any) -> Iterator[str]:
        for dependency in dependant.dependencies:
            scope = getattr(dependency.call, "scope", None)
            if isinstance(scope, str):
                yield scope
            yield from scopes(dependency)

    for route in routes:
        dependant = getattr(route, "dependant", None)
        if dependant is not None:
            CHECKED.update(scopes(dependant))


def names() -> list[str]:
    """The catalogue's scopes, in order."""
    return sorted(CHECKED | set(SDK_SCOPES))


def verb_and_resource(name: str) -> tuple[str, str | None]:
    """``read-tier-points`` → (``read``, ``tier-points``); ``return`` → (``return``, None)."""
    verb, _, resource = name.partition("-")
    return verb, resource or None


def render(row: t.Permission) -> dict[str, Any]:
    verb, resource = verb_and_resource(row.name)
    return {
        "id": row.id,
        "name": row.name,
        "handle": verb,
        "resource": resource,
        "checked": row.name in CHECKED,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def seed(db: Database) -> None:
    """Write the scopes not seen before (ids are kept; concurrent starts insert each once)."""
    async with db.write() as session:
        known = set((await session.execute(select(t.Permission.name))).scalars())
        missing = [name for name in names() if name not in known]
        if missing:
            from omneo_server import clock

            now = clock.now()
            rows = [{"name": name, "created_at": now, "updated_at": now} for name in missing]
            insert = dialect_insert(session)(t.Permission).values(rows).on_conflict_do_nothing()
            await session.execute(insert)


FILTERS: dict[str, Field] = {
    "id": Field(t.Permission.id, int),
    "name": Field(t.Permission.name),
}


async def listed(db: Database, query: ListQuery) -> Page:
    async with db.read() as session:
        stmt = apply(
            select(t.Permission), query, FILTERS, FILTERS, (t.Permission.name,), default_sort=(t.Permission.id,)
        )
        return await paginate(session, stmt, query)


async def get(db: Database, key: str) -> t.Permission | None:
    if not (key.isascii() and key.isdigit()) or int(key) >= 2**31:
        return None
    async with db.read() as session:
        return await session.get(t.Permission, int(key))
