"""Engine and transactions.

SQLite is single-writer: write transactions start with ``BEGIN IMMEDIATE`` (so two writers never
deadlock upgrading a read lock) and, inside one process, queue on an asyncio lock instead of
spinning on ``SQLITE_BUSY``. PostgreSQL needs neither.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from omneo_server.db import inline_sqlite
from omneo_server.db.fast import FastPath
from omneo_server.wire import dumps, loads

_WRITE = "omneo_write"


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = make_url(url).database or ":memory:"
        engine = create_async_engine(
            url,
            # The stdlib driver, inline: no thread hop per statement (see inline_sqlite).
            async_creator=lambda: inline_sqlite.connect(path, timeout=30),
            json_serializer=dumps,
            json_deserializer=loads,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get(_WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # JIT compilation pays off for analytics, not for short OLTP statements: on a fresh database
    # (no planner statistics yet) it turned millisecond lookups into seconds.
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=dumps,
        json_deserializer=loads,
        connect_args={"server_settings": {"jit": "off"}},
    )


class Database:
    """Hands out sessions: ``read()`` for queries, ``write()`` for one atomic command."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.fast = FastPath(url)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One database transaction: committed if the block succeeds, rolled back otherwise."""
        if self._write_lock is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_lock(self) -> AsyncIterator[None]:
        """Hold the process's write lock (SQLite; nothing on PostgreSQL) for a fast-path write."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def dispose(self) -> None:
        await self.fast.close()
        await self.engine.dispose()


def dialect_insert(session: AsyncSession) -> Any:
    """``insert`` of the session's dialect, for ``ON CONFLICT`` clauses (SQLite and PostgreSQL
    spell them the same way through SQLAlchemy)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
