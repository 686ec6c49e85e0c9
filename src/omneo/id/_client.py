"""``ID`` and ``AsyncID``: the ID API clients.

Each wraps an admin client (``Omneo`` / ``AsyncOmneo``) pointed at the ID base URL and holding the
ID token as its bearer, so requests, retries, pagination and errors are the admin client's own (the
same exception classes; the JS client's raw-response asymmetry is not copied). The admin API token,
when given, is used only to mint ID tokens.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Generic, Self

import httpx

from .._client import AsyncOmneo, BaseClient, Omneo
from .._resource import Async, M, Params, Sync
from ..errors import OmneoError
from .auth import IDAuth
from .profile import IDProfile

__all__ = ["DEFAULT_ID_BASE_URL", "ID", "AsyncID", "IDState"]

DEFAULT_ID_BASE_URL = "https://api.{tenant}.getomneo.com/id/api/v1"


class IDState(ABC, Generic[M]):
    """Configuration and token state shared by ``ID`` and ``AsyncID``.

    ``tenant`` and ``base_url`` default to ``OMNEO_TENANT`` and ``OMNEO_ID_BASE_URL``; without a
    base URL the hosted ``https://api.{tenant}.getomneo.com/id/api/v1`` is used. ``omneo_api_token``
    defaults to ``OMNEO_TOKEN``; the ID token is never read from the environment.
    """

    _api: BaseClient[M, Any]

    def __init__(
        self,
        tenant: str | None = None,
        id_token: str | None = None,
        id_token_expiry: int | None = None,
        omneo_api_token: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: Any = None,
    ) -> None:
        tenant = tenant or os.environ.get("OMNEO_TENANT")
        base_url = base_url or os.environ.get("OMNEO_ID_BASE_URL")
        if base_url is None:
            if not tenant:
                raise OmneoError("pass tenant= (or base_url=), or set OMNEO_TENANT / OMNEO_ID_BASE_URL")
            base_url = DEFAULT_ID_BASE_URL.format(tenant=tenant)
        self._api = self._make_api(tenant, id_token or "", base_url, timeout, max_retries, http_client)
        self.omneo_api_token = omneo_api_token if omneo_api_token is not None else os.environ.get("OMNEO_TOKEN")
        self.id_token_expiry = id_token_expiry
        self.auth: IDAuth[M] = IDAuth(self._api, self)
        self.profile: IDProfile[M] = IDProfile(self._api)

    @abstractmethod
    def _make_api(
        self, tenant: str | None, token: str, base_url: str, timeout: float, max_retries: int, http_client: Any
    ) -> BaseClient[M, Any]:
        """The admin-style client this ID client sends its requests through."""

    @property
    def tenant(self) -> str | None:
        return self._api.tenant

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def id_token(self) -> str:
        """The ID token sent as the bearer of every ``id.profile`` request (``""`` when none)."""
        return self._api.token or ""

    @id_token.setter
    def id_token(self, value: str | None) -> None:
        self._api.token = value or ""

    def reset(self) -> None:
        """Forget the ID token and its expiry."""
        self.id_token = ""
        self.id_token_expiry = None


class ID(IDState[Sync]):
    """Synchronous ID client: ``ID(tenant=..., id_token=..., id_token_expiry=..., omneo_api_token=...,
    base_url=...)``; ``auth``, ``profile``, ``call()``, ``reset()``. A caller-provided
    ``http_client`` (``httpx.Client``) is used as is and not closed by ``close()``."""

    _api: Omneo

    def _make_api(
        self, tenant: str | None, token: str, base_url: str, timeout: float, max_retries: int, http_client: Any
    ) -> Omneo:
        return Omneo(tenant, token, base_url, timeout, max_retries, http_client)

    def call(
        self,
        method: str,
        endpoint: str,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request with the ID token (``endpoint`` relative to the ID base URL) and return
        its parsed JSON body; the same contract as ``Omneo.call``."""
        return self._api.call(method, endpoint, params, body, headers)

    @property
    def http_client(self) -> httpx.Client:
        return self._api._http

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncID(IDState[Async]):
    """Asynchronous ID client: the same namespaces and methods as ``ID``, each awaitable; takes an
    ``httpx.AsyncClient`` as ``http_client``."""

    _api: AsyncOmneo

    def _make_api(
        self, tenant: str | None, token: str, base_url: str, timeout: float, max_retries: int, http_client: Any
    ) -> AsyncOmneo:
        return AsyncOmneo(tenant, token, base_url, timeout, max_retries, http_client)

    async def call(
        self,
        method: str,
        endpoint: str,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Async ``ID.call``."""
        return await self._api.call(method, endpoint, params, body, headers)

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._api._http

    async def close(self) -> None:
        await self._api.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
