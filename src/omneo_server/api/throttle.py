"""Rate limits (the ``limits`` library): failed authentications per client address, tokens minted
per admin token, and anonymous ID requests per client address.

Counted in this process by default (``OMNEO_RATE_LIMIT_STORAGE=memory://``), or in a shared store
(``async+redis://host:6379``) so several API processes count together. A limit set to an empty
string is off. Refusals are 429 in the Omneo error shape with ``Retry-After``.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import Scope

from omneo_server.domain.errors import DomainError
from omneo_server.settings import Settings


class TooManyRequests(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def client_address(scope: Scope) -> str:
    """The caller's address as the server sees it (behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the client's, not the proxy's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _limit(text: str) -> RateLimitItem | None:
    return parse(text) if text.strip() else None


class Throttle:
    def __init__(self, settings: Settings) -> None:
        storage = settings.rate_limit_storage
        if not storage.startswith("async+"):
            storage = f"async+{storage}"
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage))
        self.auth_failures = _limit(settings.rate_limit_auth_failures)
        self.token_minting = _limit(settings.rate_limit_token_minting)
        self.anonymous = _limit(settings.rate_limit_anonymous)

    async def _refuse(self, item: RateLimitItem, key: str, what: str) -> TooManyRequests:
        stats = await self.limiter.get_window_stats(item, what, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return TooManyRequests(f"Too many {what}; try again in {retry_after} seconds.", retry_after)

    async def check_auth(self, address: str) -> None:
        """Refuse an address that has failed to authenticate too often lately (it learns nothing
        about the token it sends until the window moves on)."""
        item = self.auth_failures
        if item is not None and not await self.limiter.test(item, "failed authentications", address):
            raise await self._refuse(item, address, "failed authentications")

    async def auth_failed(self, address: str) -> None:
        if self.auth_failures is not None:
            await self.limiter.hit(self.auth_failures, "failed authentications", address)

    async def minting(self, token_id: str) -> None:
        """Count one token minted by ``token_id``; refuse past the limit."""
        item = self.token_minting
        if item is not None and not await self.limiter.hit(item, "tokens minted", token_id):
            raise await self._refuse(item, token_id, "tokens minted")

    async def anonymous_request(self, address: str) -> None:
        """Count one request made with an anonymous ID token; refuse past the limit."""
        item = self.anonymous
        if item is not None and not await self.limiter.hit(item, "anonymous requests", address):
            raise await self._refuse(item, address, "anonymous requests")
