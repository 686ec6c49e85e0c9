"""``omneo-server verify``: every cached balance recomputed from the ledger, differences reported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import update

from omneo_server.db import tables as t
from tests.conftest import TenantInfo
from tests.server.api import Api


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def _verify(tenant: TenantInfo) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNEO_DATABASE_URL": tenant.server.db.url}
    command = [sys.executable, "-m", "omneo_server.cli", "verify", "--tenant", tenant.handle]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def _tamper(tenant: TenantInfo, by: int) -> None:
    async def work() -> None:
        async with tenant.server.db.write() as session:
            await session.execute(
                update(t.Reward)
                .where(t.Reward.tenant_id == tenant.id)
                .values(value_remaining=t.Reward.value_remaining + by)
            )

    tenant.server.run(work())


def test_verify_reports_a_balance_the_ledger_does_not_explain(api: Api, tenant: TenantInfo) -> None:
    profile = api.ok("POST", "/profiles", json={"email": "v@example.com"})
    body = {"name": "Gift", "handle": "gift", "value": "10", "type": "other", "period": 30, "absolute_expiry": None}
    api.ok("POST", "/rewards/definitions", json=body)
    reward = api.ok("POST", "/rewards", json={"profile_id": profile["id"], "reward_definition_handle": "gift"})
    api.ok("POST", f"/profiles/{profile['id']}/redeem", json={"amount": "4"})
    clean = _verify(tenant)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    _tamper(tenant, 1)
    broken = _verify(tenant)
    assert broken.returncode == 1
    assert f"reward {reward['id']}: value_remaining 7.00 but the ledger sums to 6.00" in broken.stdout
    _tamper(tenant, -1)
    assert _verify(tenant).returncode == 0
