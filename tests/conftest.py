"""Test harness: the real app served by uvicorn on a free 127.0.0.1 port, on a real database.

``OMNEO_TEST_DATABASE=postgresql`` runs the suite on a throwaway PostgreSQL database at
``OMNEO_TEST_PG`` (default ``postgres@127.0.0.1:5432``); otherwise on a fresh SQLite file.
Every test gets its own tenant, which is also what isolates tests from each other.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from omneo_server import clock
from omneo_server.app import create_app
from omneo_server.db import migrate
from omneo_server.db.base import Base
from omneo_server.db.engine import Database
from omneo_server.db.tables import OutboxEvent
from omneo_server.domain import access
from omneo_server.domain.incentives import ledger
from omneo_server.jobs import outbound, worker
from omneo_server.settings import Settings

# One key for the whole run, set before anything encrypts: the test server, direct domain calls and
# the subprocesses tests start (they inherit os.environ) all read the same signing secrets.
os.environ.setdefault("OMNEO_SECRET_KEY", Fernet.generate_key().decode())

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"postgresql://{os.environ.get('OMNEO_TEST_PG', 'postgres@127.0.0.1:5432')}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(sqlite_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on (a throwaway PostgreSQL database, or a SQLite
    file at ``sqlite_path``); yields its URL."""
    if os.environ.get("OMNEO_TEST_DATABASE") == "postgresql":
        name = f"omneo_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        try:
            yield f"postgresql+asyncpg://{os.environ.get('OMNEO_TEST_PG', 'postgres@127.0.0.1:5432')}/{name}"
        finally:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        yield f"sqlite+aiosqlite:///{sqlite_path}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db") / "omneo.db") as url:
        yield url


@dataclass
class Server:
    url: str
    api_url: str
    db: Database
    loop: asyncio.AbstractEventLoop
    settings: Settings

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's own event loop (where its engine lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    migrate.upgrade(database_url)
    # No background worker: tests run the worker's passes themselves (``TenantInfo.work``).
    # Rate limits off: the whole suite calls from one address (tests/server/test_rate_limits.py
    # runs its own app with them on).
    settings = Settings(
        database_url=database_url,
        max_body_bytes=64 * 1024,
        worker=False,
        webhook_allow_networks="127.0.0.0/8",
        rate_limit_auth_failures="",
        rate_limit_token_minting="",
        rate_limit_anonymous="",
    )
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(uv.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    yield Server(url, f"{url}/api/v3", app.state.db, loop, settings)
    uv.should_exit = True
    thread.join(timeout=10)


@dataclass
class TenantInfo:
    id: int
    handle: str
    token: str
    server: Server

    def mint(self, *scopes: str, expires_in: int | None = None) -> str:
        """Another admin token for this tenant with exactly ``scopes``."""

        async def work() -> str:
            async with self.server.db.write() as session:
                expires = clock.now() + timedelta(seconds=expires_in) if expires_in is not None else None
                _row, token = await access.create_token(session, self.id, "test", list(scopes), expires)
                return token

        return self.server.run(work())

    def row_counts(self) -> dict[str, int]:
        """Rows per table belonging to this tenant: "nothing written" is this staying equal."""

        async def work() -> dict[str, int]:
            counts: dict[str, int] = {}
            async with self.server.db.read() as session:
                for table in Base.metadata.sorted_tables:
                    if "tenant_id" in table.c:
                        stmt = select(func.count()).select_from(table).where(table.c.tenant_id == self.id)
                        counts[table.name] = (await session.execute(stmt)).scalar_one()
            return counts

        return self.server.run(work())

    def work(self, passes: int = 1) -> dict[str, int]:
        """Run the worker's pass (scheduler, events, deliveries) for this tenant, ``passes`` times."""

        async def work() -> dict[str, int]:
            totals: dict[str, int] = {}
            async with outbound.client(self.server.settings) as http:
                for _ in range(passes):
                    counts = await worker.run_once(self.server.db, self.server.settings, http, [self.id])
                    totals = {k: totals.get(k, 0) + v for k, v in counts.items()}
            return totals

        return self.server.run(work())

    def count(self, table: Any) -> int:
        """How many rows of ``table`` belong to this tenant."""

        async def work() -> int:
            async with self.server.db.read() as session:
                stmt = select(func.count()).select_from(table).where(table.tenant_id == self.id)
                return int((await session.execute(stmt)).scalar_one())

        return self.server.run(work())

    def events(self, prefix: str = "") -> list[str]:
        """The types of this tenant's outbox events starting with ``prefix``, oldest first."""

        async def work() -> list[str]:
            stmt = select(OutboxEvent.type).where(OutboxEvent.tenant_id == self.id, OutboxEvent.type.startswith(prefix))
            async with self.server.db.read() as session:
                return list((await session.execute(stmt.order_by(OutboxEvent.id))).scalars())

        return self.server.run(work())

    def verify(self) -> list[str]:
        """What ``omneo-server verify`` reports for this tenant: every cached balance recomputed from
        the ledger (empty when all agree)."""

        async def work() -> list[str]:
            async with self.server.db.read() as session:
                return await ledger.verify(session, self.id)

        return self.server.run(work())


def make_tenant(server: Server) -> TenantInfo:
    handle = f"t{uuid.uuid4().hex[:10]}"

    async def work() -> TenantInfo:
        async with server.db.write() as session:
            row = await access.create_tenant(session, handle)
            _token, plaintext = await access.create_token(session, row.id, "admin", ["*"])
            return TenantInfo(row.id, handle, plaintext, server)

    return server.run(work())


@pytest.fixture
def tenant(server: Server) -> TenantInfo:
    return make_tenant(server)


@pytest.fixture
def other_tenant(server: Server) -> TenantInfo:
    return make_tenant(server)


class Clock:
    """Moves the platform's clock (the server runs in this process, so it shares it)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def travel(self, delta: timedelta) -> None:
        self.offset += delta
        offset = self.offset
        clock.set_clock(lambda: datetime.now(UTC) + offset)


@pytest.fixture
def time_machine() -> Iterator[Clock]:
    machine = Clock()
    yield machine
    clock.set_clock(None)
