from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from omneo import AsyncOmneo, Omneo
from tests.conftest import TenantInfo
from tests.e2e.receivers import Receiver, serving


@pytest.fixture
def client(tenant: TenantInfo) -> Iterator[Omneo]:
    with Omneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(tenant: TenantInfo) -> AsyncIterator[AsyncOmneo]:
    async with AsyncOmneo(
        tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url, max_retries=0
    ) as sdk:
        yield sdk


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1; set ``receiver.script`` to script its answers."""
    with serving(Receiver()) as state:
        yield state
