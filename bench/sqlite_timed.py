"""The real app with its SQLite driver calls timed, for ``--sqlite-time`` (SQLite only).

``uvicorn --factory --app-dir bench sqlite_timed:create_app`` serves ``omneo_server.app`` unchanged
except that every SQLite connection it opens (the ORM's and the fast path's) is a
:class:`TimedConnection`: each call into the stdlib driver that makes SQLite work (``execute``,
``executemany``, the fetches that step a statement, ``commit``, ``rollback``) adds its wall time to
a process-wide total. ``GET /bench/sqlite`` answers the totals (``/bench/sqlite/statements``: per
statement), so a benchmark can say how much of a request's CPU is SQLite's own work (the floor no
change above the driver can go under) and how much is ours. The timing costs ~1 µs a call.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from typing import Any

from fastapi import FastAPI

from omneo_server import app as omneo_app
from omneo_server.db import fast, inline_sqlite

TOTALS = {"seconds": 0.0, "statements": 0, "commits": 0}
#: Per statement (its first 100 characters): [executions, seconds].
BY_STATEMENT: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


def _timed(call: Any, *args: Any, sql: str = "COMMIT") -> Any:
    started = time.perf_counter()
    try:
        return call(*args)
    finally:
        took = time.perf_counter() - started
        TOTALS["seconds"] += took
        BY_STATEMENT[sql[:100]][1] += took


class TimedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> TimedCursor:
        TOTALS["statements"] += 1
        BY_STATEMENT[sql[:100]][0] += 1
        self._sql = sql
        _timed(super().execute, sql, parameters, sql=sql)
        return self

    def executemany(self, sql: str, parameters: Any, /) -> TimedCursor:
        TOTALS["statements"] += 1
        BY_STATEMENT[sql[:100]][0] += 1
        self._sql = sql
        _timed(super().executemany, sql, parameters, sql=sql)
        return self

    def fetchone(self) -> Any:
        return _timed(super().fetchone, sql=self._sql)

    def fetchmany(self, size: int = 1) -> list[Any]:
        found: list[Any] = _timed(super().fetchmany, size, sql=self._sql)
        return found

    def fetchall(self) -> list[Any]:
        found: list[Any] = _timed(super().fetchall, sql=self._sql)
        return found


class TimedConnection(sqlite3.Connection):
    def cursor(self, factory: Any = TimedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> TimedCursor:
        cursor: TimedCursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> TimedCursor:
        cursor: TimedCursor = self.cursor()
        return cursor.executemany(sql, parameters)

    def commit(self) -> None:
        TOTALS["commits"] += 1
        _timed(super().commit)

    def rollback(self) -> None:
        _timed(super().rollback, sql="ROLLBACK")


class _TimedDriver:
    """``sqlite3`` as the fast path (``db/fast.py``) sees it: its connections are timed."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    @staticmethod
    def connect(database: str, **kw: Any) -> sqlite3.Connection:
        return sqlite3.connect(database, factory=TimedConnection, **kw)


def create_app() -> FastAPI:
    plain = inline_sqlite.connect

    async def connect(database: str, **kw: Any) -> inline_sqlite.Connection:
        return await plain(database, factory=TimedConnection, **kw)

    inline_sqlite.connect = connect  # type: ignore[assignment]
    fast.sqlite3 = _TimedDriver()  # type: ignore[assignment]
    app = omneo_app.create_app()

    @app.get("/bench/sqlite", include_in_schema=False)
    async def totals() -> dict[str, float]:
        return dict(TOTALS)

    @app.get("/bench/sqlite/statements", include_in_schema=False)
    async def statements() -> list[tuple[str, float, float]]:
        """Every statement's executions and seconds so far, the costliest first."""
        return sorted(((sql, n, s) for sql, (n, s) in BY_STATEMENT.items()), key=lambda row: -row[2])

    return app
