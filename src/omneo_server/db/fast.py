"""The fast path: one prepared statement on the raw driver, for the requests that are most of the
traffic (a profile read is one indexed lookup of its read model).

SQLAlchemy costs about a millisecond of CPU a statement on a small machine (cache keys, the session,
result set-up) and aiosqlite adds a thread hop per call; the stdlib ``sqlite3`` driver answers an
indexed lookup in microseconds, inline (WAL keeps readers off the writer's way), and asyncpg caches
the prepared statement per connection. Statements here are plain SQL written with ``?``
placeholders (numbered for PostgreSQL), on tables whose columns are plain types (text, integers).

Writes on SQLite take the process's write lock first (``Database.write_lock``), so the fast
connection and the ORM's never contend inside one process, and the event loop never blocks on a
lock one of its own tasks holds.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.engine import make_url

Row = tuple[Any, ...]


@cache
def _numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, …``."""
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _match: f"${next(counter)}", sql)


class FastPath:
    """Raw access to the database at ``url`` for a few prepared statements."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._sqlite_path = parsed.database or ":memory:"
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._sqlite: sqlite3.Connection | None = None
        self._pool: Any = None

    def _connection(self) -> sqlite3.Connection:
        if self._sqlite is None:
            conn = sqlite3.connect(self._sqlite_path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._sqlite = conn
        return self._sqlite

    async def _postgres(self) -> Any:
        if self._pool is None:
            import asyncpg

            # Small: the ORM's pool serves everything else.
            self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=8, server_settings={"jit": "off"})
        return self._pool

    async def fetchrow(self, sql: str, params: Sequence[Any]) -> Row | None:
        if self.is_sqlite:
            found: Row | None = self._connection().execute(sql, tuple(params)).fetchone()
            return found
        row = await (await self._postgres()).fetchrow(_numbered(sql), *params)
        return None if row is None else tuple(row)

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        if self.is_sqlite:
            return list(self._connection().execute(sql, tuple(params)).fetchall())
        return [tuple(row) for row in await (await self._postgres()).fetch(_numbered(sql), *params)]

    async def executemany(self, sql: str, many: Sequence[Sequence[Any]]) -> None:
        """One statement per parameter set, together in one transaction (on SQLite, holding the
        write lock)."""
        if self.is_sqlite:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(sql, [tuple(params) for params in many])
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return
        await (await self._postgres()).executemany(_numbered(sql), [tuple(params) for params in many])

    async def execute(self, sql: str, params: Sequence[Any]) -> None:
        """One statement in its own transaction (on SQLite, call it holding the write lock)."""
        if self.is_sqlite:
            self._connection().execute(sql, tuple(params))
            return
        await (await self._postgres()).execute(_numbered(sql), *params)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
