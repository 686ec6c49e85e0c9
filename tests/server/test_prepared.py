"""Prepared statements store and read values exactly as the ORM does, inside the session's
transaction (what they write rolls back with it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from omneo_server.db import tables as t
from omneo_server.db.prepared import ROWS_PER_STATEMENT, Insert, Prepared
from tests.conftest import TenantInfo

FIND = Prepared(
    select(t.Reward.id, t.Reward.value_remaining, t.Reward.expires_at, t.Reward.is_void).where(
        t.Reward.profile_id == bindparam("profile_id")
    )
)
SPEND = Prepared(update(t.Reward).where(t.Reward.id == bindparam("lot")).values(value_remaining=bindparam("left")))
NOTE = Prepared(
    insert(t.LedgerEntry)
    .values(
        tenant_id=bindparam("tenant"),
        profile_id=bindparam("profile"),
        kind="reward",
        lot_id=bindparam("lot"),
        entry_type="adjust",
        amount=bindparam("amount"),
        dollar_value=bindparam("amount"),
        balance_after=bindparam("after"),
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
    .returning(t.LedgerEntry.id, t.LedgerEntry.amount, t.LedgerEntry.created_at)
)


def test_prepared_statements_agree_with_the_orm(tenant: TenantInfo) -> None:
    async def work() -> None:
        db = tenant.server.db
        async with db.write() as session:
            profile = t.Profile(tenant_id=tenant.id, email="prep@example.com", first_name="P")
            definition = t.RewardDefinition(tenant_id=tenant.id, name="R", handle="r", type="spend")
            session.add_all([profile, definition])
            await session.flush()
            moment = datetime(2030, 5, 6, 7, 8, 9)
            reward = t.Reward(
                tenant_id=tenant.id,
                profile_id=profile.id,
                reward_definition_id=definition.id,
                value_initial=Decimal("12.34"),
                value_remaining=Decimal("12.34"),
                issued_at=moment,
                expires_at=moment,
            )
            session.add(reward)
            # The ORM's pending row is flushed before a prepared statement runs.
            found = await FIND.rows(session, profile_id=profile.id)
            assert found == [(reward.id, Decimal("12.34"), moment, False)]
            assert await SPEND.run(session, lot=reward.id, left=Decimal("0.01")) == 1
            written = await NOTE.one(
                session,
                tenant=tenant.id,
                profile=profile.id,
                lot=reward.id,
                amount=Decimal("-12.33"),
                after=Decimal("0.01"),
                at=moment,
            )
            assert written is not None and written[1:] == (Decimal("-12.33"), moment)
            stored = await session.get(t.LedgerEntry, written[0])
            assert stored is not None and stored.amount == Decimal("-12.33") and stored.created_at == moment
            await session.refresh(reward)
            assert reward.value_remaining == Decimal("0.01")
            profile_id = profile.id
        async with db.write() as session:
            await SPEND.run(session, lot=reward.id, left=Decimal("5.00"))
            await session.rollback()
        async with db.read() as session:
            value = (
                await session.execute(select(t.Reward.value_remaining).where(t.Reward.id == reward.id))
            ).scalar_one()
            assert value == Decimal("0.01")  # the rolled-back prepared write is gone
            assert (await FIND.rows(session, profile_id=profile_id))[0][1] == Decimal("0.01")

    tenant.server.run(work())


def test_a_row_written_by_insert_is_stored_as_the_orm_stores_it_and_stays_in_the_session(tenant: TenantInfo) -> None:
    """``Insert.adopt``: defaults applied, JSON and money stored exactly, the answered object is the
    session's own (a later change to it is flushed like any loaded row's)."""

    async def work() -> None:
        db = tenant.server.db
        moment = datetime(2031, 1, 2, 3, 4, 5)
        async with db.write() as session:
            tx = await Insert(t.Transaction).adopt(
                session,
                {
                    "tenant_id": tenant.id,
                    "transacted_at": moment,
                    "timezone": "Australia/Melbourne",
                    "total": Decimal("12.30"),
                    "systems": ["pos"],
                    "meta": {"lane": [1, "two"]},
                },
                items=[],
            )
            assert tx in session and tx.id > 0 and tx.is_void is False and tx.tags == [] and tx.created_at
            assert await session.get(t.Transaction, tx.id) is tx  # no second copy, no read back
            tx.status = "checked"
            tx_id = tx.id
        async with db.read() as session:
            stored = await session.get(t.Transaction, tx_id)
            assert stored is not None
            assert (stored.total, stored.systems, stored.meta, stored.status) == (
                Decimal("12.30"),
                ["pos"],
                {"lane": [1, "two"]},
                "checked",
            )
            assert (stored.transacted_at, stored.is_void, stored.payments) == (moment, False, [])

    tenant.server.run(work())


def test_rows_written_together_are_adopted_with_their_own_keys(tenant: TenantInfo) -> None:
    """``Insert.adopt_many``: one statement per 50 rows, and each adopted object holds the key the
    database gave its row (a line's key is the row with its own SKU, across statement boundaries)."""

    async def work() -> None:
        db = tenant.server.db
        count = ROWS_PER_STATEMENT + 7
        async with db.write() as session:
            tx = await Insert(t.Transaction).adopt(
                session,
                {"tenant_id": tenant.id, "transacted_at": datetime(2031, 1, 2), "timezone": "UTC", "total": 1},
                items=[],
            )
            lines = await Insert(t.TransactionItem).adopt_many(
                session,
                [
                    {
                        "tenant_id": tenant.id,
                        "transaction_id": tx.id,
                        "sku": f"SKU-{n}",
                        "name": "line",
                        "quantity": n + 1,
                        "price_current": 1,
                        "price_sell": 1,
                    }
                    for n in range(count)
                ],
            )
            assert [line.sku for line in lines] == [f"SKU-{n}" for n in range(count)]
            assert all(line in session for line in lines) and len({line.id for line in lines}) == count
            written = {line.id: (line.sku, line.quantity) for line in lines}
        async with db.read() as session:
            stored = await session.execute(select(t.TransactionItem).where(t.TransactionItem.transaction_id == tx.id))
            assert {i.id: (i.sku, i.quantity) for i in stored.scalars()} == written

    tenant.server.run(work())
