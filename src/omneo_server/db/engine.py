"""Engine and transactions.

SQLite is single-writer: write transactions start with ``BEGIN IMMEDIATE`` (so two writers never
deadlock upgrading a read lock) and, inside one process, queue on an asyncio lock instead of
spinning on ``SQLITE_BUSY``. PostgreSQL needs neither.

**Group commit** (SQLite): the commands that queue for the write lock while one runs share its
database transaction, each in a savepoint of its own: a command that fails rolls back to its
savepoint and leaves its neighbours' work alone (the first needs none: if it fails, the transaction,
which holds nothing else yet, is rolled back). The last command of a group (no one else waiting,
or :data:`GROUP_LIMIT` reached) commits it, and every command of the group answers only once that
commit is done, so nothing is answered that is not durable. If the commit itself fails, every
command of the group fails with it: none of their work was kept.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_

from omneo_server.db import inline_sqlite
from omneo_server.db.fast import FastPath
from omneo_server.wire import dumps, loads

_WRITE = "omneo_write"
#: The most commands one SQLite transaction holds before it commits.
GROUP_LIMIT = 64
#: Called with the engine when a group's transaction is rolled back as a whole: what its commands
#: read of each other's uncommitted work (a cache filled from it) must be forgotten.
GROUP_ROLLED_BACK: list[Callable[[Any], None]] = []


def _savepoint_undone(connection: AsyncConnection) -> bool:
    """After a failed command: whether its savepoint was rolled back and the group can go on."""
    transaction = connection.get_transaction()
    return transaction is not None and transaction.is_active and not connection.in_nested_transaction()


class _Group:
    """A SQLite write transaction shared by the commands that queued while it was open."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.size = 0
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()


#: How long a writer waits for another process's write transaction before it gives up.
WRITE_WAIT_SECONDS = 30.0


def _begin_immediate(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for another connection's write lock *asynchronously*: the driver
    is called inline, and its own busy wait would stop the event loop (and with it every request of
    the process, and the other connection's commit if it is ours) for as long as the lock is held."""
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    delay = 0.0005
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            await_(asyncio.sleep(delay))
            delay = min(delay * 2, 0.05)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(WRITE_WAIT_SECONDS * 1000)}")


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
            if conn.get_execution_options().get(_WRITE, False):
                _begin_immediate(conn.connection.driver_connection._conn)
            else:
                conn.exec_driver_sql("BEGIN")

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
        self._group: _Group | None = None
        self._waiting = 0  # write commands queued for the lock (they may join the open group)
        self.fast = FastPath(url)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One atomic command: committed if the block succeeds (answered once durable), rolled back
        otherwise."""
        if self._write_lock is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        self._waiting += 1
        try:
            await self._write_lock.acquire()
        finally:
            self._waiting -= 1
        group: _Group | None = None
        try:
            group = self._group or await self._open_group()
            # The first command needs no savepoint: if it fails, the whole (so far empty) group goes.
            joining = "create_savepoint" if group.size else "rollback_only"
            group.size += 1
            session = AsyncSession(bind=group.connection, join_transaction_mode=joining, expire_on_commit=False)
            async with session, session.begin():
                yield session
        except BaseException:
            if group is not None and not _savepoint_undone(group.connection):
                await self._end_group(commit=False)
            raise
        finally:
            try:
                if self._group is not None and (self._waiting == 0 or self._group.size >= GROUP_LIMIT):
                    await self._end_group(commit=True)
            finally:
                self._write_lock.release()
        await asyncio.shield(group.committed)

    async def _open_group(self) -> _Group:
        connection = await self.engine.execution_options(**{_WRITE: True}).connect()
        try:
            await connection.begin()  # BEGIN IMMEDIATE
        except BaseException:
            await connection.close()
            raise
        self._group = _Group(connection)
        return self._group

    async def _end_group(self, commit: bool) -> None:
        """Commit (or, when a command left it broken, roll back) the open group and tell its
        commands."""
        group, self._group = self._group, None
        if group is None:
            return
        try:
            if not commit:
                raise RuntimeError("A command left the shared write transaction unusable; it was rolled back.")
            await group.connection.commit()
            group.committed.set_result(None)
        except BaseException as error:
            group.committed.set_exception(error)
            group.committed.exception()  # retrieved here: a group whose commands all failed has no reader
            with suppress(Exception):
                await group.connection.rollback()
            for forget in GROUP_ROLLED_BACK:
                forget(self.engine.sync_engine)
        finally:
            await group.connection.close()

    @asynccontextmanager
    async def write_lock(self) -> AsyncIterator[None]:
        """Hold the process's write lock (SQLite; nothing on PostgreSQL) for a fast-path write, on a
        connection of its own: the open group (if any) is committed first."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            await self._end_group(commit=True)
            yield

    async def dispose(self) -> None:
        await self.fast.close()
        await self.engine.dispose()


def dialect_insert(session: AsyncSession) -> Any:
    """``insert`` of the session's dialect, for ``ON CONFLICT`` clauses (SQLite and PostgreSQL
    spell them the same way through SQLAlchemy)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
