"""Lookups a request makes are planned on an index that matches them, not as a walk over a table or
over every row a tenant has (which costs nothing on a test database and seconds at a retailer's
scale). Plans are SQLite's, on a database of its own: without planner statistics SQLite breaks a
tie between one-column indexes towards ``ix_<table>_tenant_id``, so it shows a walk the statement
allows; PostgreSQL has statistics and would hide it until the data grew."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.selectable import Select

from omneo_server.db import migrate
from omneo_server.db.prepared import Prepared
from omneo_server.domain.commerce import sales
from tests.conftest import TenantInfo
from tests.server.api import Api

#: Tables that grow with members, sales and time (configuration tables are a tenant's handful).
GROWING = [
    "profiles",
    "identities",
    "addresses",
    "profile_dates",
    "profile_statuses",
    "profile_tags",
    "profile_regions",
    "custom_fields",
    "transactions",
    "transaction_items",
    "orders",
    "order_items",
    "transaction_claims",
    "interactions",
    "aggregations",
    "spend_days",
    "rewards",
    "points",
    "credits",
    "benefits",
    "redemptions",
    "redemption_items",
    "ledger_entries",
    "tier_points",
    "profile_tiers",
    "achievement_points",
    "profile_achievements",
    "outbox_events",
    "deliveries",
    "queued_jobs",
    "profile_documents",
    "products",
    "product_variants",
]
_WALK = re.compile(
    rf"\bSCAN (?:TABLE )?({'|'.join(GROWING)})\b"
    rf"|\bUSING (?:COVERING )?INDEX ix_({'|'.join(GROWING)})_tenant_id \(tenant_id=\?\)$"
    r"|AUTOMATIC"
)
DIALECT = sqlite.dialect(paramstyle="qmark")


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = Path(tmp_path_factory.mktemp("plans")) / "plans.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def walks(planner: sqlite3.Connection, sql: str) -> list[str]:
    """The steps of ``sql``'s plan that walk a growing table (or a tenant's slice of it)."""
    plan = planner.execute(f"EXPLAIN QUERY PLAN {sql}", (None,) * sql.count("?")).fetchall()
    return [row[3] for row in plan if _WALK.search(row[3])]


def test_every_prepared_statement_is_planned_on_an_index(planner: sqlite3.Connection) -> None:
    sales._variants(2, 1, 1)  # made per shape on first use: the one a sale naming SKUs, ids and codes uses
    found = {statement.sql(DIALECT): walks(planner, statement.sql(DIALECT)) for statement in list(Prepared.made)}
    assert len(found) > 30  # the hot paths' statements are all here
    assert {sql: steps for sql, steps in found.items() if steps} == {}


def _sqlite_text(element: Any, params: dict[str, Any]) -> str | None:
    """The statement as SQLite would run it (values given at execution, an eager load's keys, fill
    its expanding ``IN`` lists)."""
    if not isinstance(element, Select | Insert | Update | Delete):
        return None
    bound = element.params(params) if params and isinstance(element, Select) else element
    return str(bound.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True}))


def test_a_members_requests_look_up_on_indexes(tenant: TenantInfo, planner: sqlite3.Connection) -> None:
    """What a till, a storefront and a support desk do for one member: every statement is a lookup
    (lists of everything a tenant has — admin pages — are not in this journey)."""
    api = Api(tenant)
    statements: list[tuple[Any, dict[str, Any]]] = []

    def capture(_conn: Any, element: Any, multiparams: Any, params: Any, _options: Any) -> None:
        given = multiparams[0] if multiparams and isinstance(multiparams[0], dict) else params
        statements.append((element, dict(given or {})))

    engine = tenant.server.db.engine.sync_engine
    event.listen(engine, "before_execute", capture)
    try:
        profile = api.ok(
            "POST",
            "/profiles",
            json={"email": "plans@example.com", "identities": [{"handle": "pos", "identifier": "PLAN-1"}]},
        )
        pid = profile["id"]
        sale = {
            "profile_id": "PLAN-1",
            "profile_id_handle": "pos",
            "transacted_at": "2026-01-02 10:00:00",
            "external_id": "plan-sale-1",
            "receipt_ref": "R-PLAN-1",
            "total": 12,
            "items": [{"sku": "PLAN-SKU", "price_sell": 12}],
        }
        tx = api.ok("POST", "/transactions", json=sale)
        api.ok("POST", "/transactions", json={**sale, "profile_id": None, "external_id": "plan-2", "receipt_ref": "R2"})
        api.ok("POST", f"/profiles/{pid}/transactions/claims", json={"transaction_receipt_ref": "R2"})
        api.ok("GET", f"/transactions/{tx['id']}")
        api.ok("GET", "/transactions/external/plan-sale-1")
        api.ok("PUT", f"/transactions/{tx['id']}", json={"status": "checked"})
        for path in ("transactions", "rewards", "points", "credits", "benefits", "ledgers", "redemptions"):
            api.ok("GET", f"/profiles/{pid}/{path}")
        api.ok("GET", "/identities/search-profile/PLAN-1")
        api.ok("POST", "/profiles/search-id", json={"type": "pos", "id": "PLAN-1"})
        api.ok("PUT", f"/profiles/{pid}", json={"first_name": "Plan"})
        api.ok("GET", f"/profiles/{pid}/identities")
    finally:
        event.remove(engine, "before_execute", capture)
    texts = {text for element, params in statements if (text := _sqlite_text(element, params)) is not None}
    assert len(texts) > 20
    assert {sql: steps for sql in texts if (steps := walks(planner, sql))} == {}
