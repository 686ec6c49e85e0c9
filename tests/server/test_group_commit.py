"""Group commit (``db/engine.py``): concurrent write commands share a transaction on SQLite, each in
a savepoint of its own; one that fails after writing takes back exactly its own writes, and every
command is answered only once its group has committed."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, select

from omneo_server.db import tables as t
from tests.conftest import TenantInfo


def test_failing_commands_in_a_group_take_back_only_their_own_writes(tenant: TenantInfo) -> None:
    db = tenant.server.db
    commits: list[int] = []

    def count(_connection: Any) -> None:
        commits.append(1)

    async def command(n: int, fail: bool) -> None:
        async with db.write() as session:
            session.add(t.Setting(tenant_id=tenant.id, handle=f"group-{n}", type="string", value=str(n)))
            await session.flush()  # written, then (for some) refused
            await asyncio.sleep(0)  # let the others queue behind this one
            if fail:
                raise ValueError(f"command {n} refused after writing")
        async with db.read() as session:  # answered after the commit: visible to a new reader
            found = await session.execute(
                select(t.Setting.value).where(t.Setting.tenant_id == tenant.id, t.Setting.handle == f"group-{n}")
            )
            assert found.scalar_one() == str(n)

    async def work() -> list[Any]:
        event.listen(db.engine.sync_engine, "commit", count)
        try:
            return await asyncio.gather(*(command(n, n % 3 == 0) for n in range(30)), return_exceptions=True)
        finally:
            event.remove(db.engine.sync_engine, "commit", count)

    results = tenant.server.run(work())
    failed = {n for n, result in enumerate(results) if isinstance(result, ValueError)}
    assert failed == {n for n in range(30) if n % 3 == 0}  # the first of all among them
    assert all(result is None for n, result in enumerate(results) if n not in failed), results

    async def stored() -> set[str]:
        async with db.read() as session:
            rows = await session.execute(
                select(t.Setting.handle).where(t.Setting.tenant_id == tenant.id, t.Setting.handle.like("group-%"))
            )
            return set(rows.scalars())

    assert tenant.server.run(stored()) == {f"group-{n}" for n in range(30) if n not in failed}
    if db.is_sqlite:
        assert len(commits) < 30 - len(failed)  # the commands did share transactions
