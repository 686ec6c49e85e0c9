"""The admin API clients: ``Omneo`` (sync) and ``AsyncOmneo`` over one shared base.

Everything that does not do I/O lives in ``BaseClient``: URL and header building, query
flattening, body serialisation, response parsing, error mapping and the retry policy. The two
subclasses only send, sleep and close.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypedDict, TypeVar

import httpx

from ._resource import Async, M, PageRequest, Params, Request, Sync
from ._utils import dumps, flatten_params, loads
from ._version import __version__
from .errors import APIConnectionError, APIStatusError, APITimeoutError, OmneoError, status_error
from .pagination import AsyncPage, Page
from .resources.action_history import ActionHistories
from .resources.audits import Audits
from .resources.auth import Auth
from .resources.batches import Batches, Queue
from .resources.brands import Brands
from .resources.countries import Countries
from .resources.currencies import Currencies
from .resources.custom_fields import CustomFields
from .resources.custom_products import CustomProducts
from .resources.departments import Departments
from .resources.identities import Identities
from .resources.incentives import (
    AchievementDefinitions,
    Allocations,
    BenefitDefinitions,
    Benefits,
    CreditDefinitions,
    Credits,
    PointDefinitions,
    Points,
    Rates,
    Redemptions,
    RewardDefinitions,
    Rewards,
    TierDefinitions,
    TierPoints,
)
from .resources.interactions import Interactions
from .resources.locations import Locations
from .resources.orders import Orders
from .resources.organisations import Organisations, RoleDefinitions
from .resources.permissions import Permissions
from .resources.products import Products
from .resources.profiles import Profiles
from .resources.ratings import Ratings
from .resources.reactions import Automations, Events, Reminders, Targets, Triggers
from .resources.regions import Regions
from .resources.roles import Roles
from .resources.settings import Settings
from .resources.staff import Staffs
from .resources.statuses import Statuses
from .resources.systems import Systems
from .resources.tags import Tags
from .resources.tenants import Tenants
from .resources.transactions import Transactions
from .resources.users import Users
from .resources.webhooks import Webhooks

__all__ = ["AsyncOmneo", "BaseClient", "HealthStatus", "Omneo"]

T = TypeVar("T")
HttpT = TypeVar("HttpT", bound=httpx.Client | httpx.AsyncClient)

DEFAULT_BASE_URL = "https://api.{tenant}.getomneo.com/api/v3"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures where the request is known not to have reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class HealthStatus(TypedDict):
    status: int
    status_text: str


class BaseClient(ABC, Generic[M, HttpT]):
    """Configuration, request building, response handling and retry policy shared by both clients.

    ``M`` is how resources are served (``Sync`` / ``Async``), ``HttpT`` the httpx client class.
    A caller-provided ``http_client`` is used as is and not closed by ``close()``.
    """

    is_async: bool = False
    _http_class: type[HttpT]
    # Backoff: initial_retry_delay * 2**attempt, capped, ±25 % jitter; Retry-After capped separately.
    initial_retry_delay: float = 0.5
    max_retry_delay: float = 8.0
    max_retry_after: float = 60.0

    def __init__(
        self,
        tenant: str | None = None,
        token: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: HttpT | None = None,
    ) -> None:
        tenant = tenant or os.environ.get("OMNEO_TENANT")
        base_url = base_url or os.environ.get("OMNEO_BASE_URL")
        if base_url is None:
            if not tenant:
                raise OmneoError("pass tenant= (or base_url=), or set OMNEO_TENANT / OMNEO_BASE_URL")
            base_url = DEFAULT_BASE_URL.format(tenant=tenant)
        self.tenant = tenant
        self.token = token if token is not None else os.environ.get("OMNEO_TOKEN")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._http_class()

        self.achievement_definitions: AchievementDefinitions[M] = AchievementDefinitions(self)
        self.allocations: Allocations[M] = Allocations(self)
        self.auth: Auth[M] = Auth(self)
        self.batches: Batches[M] = Batches(self)
        self.benefit_definitions: BenefitDefinitions[M] = BenefitDefinitions(self)
        self.benefits: Benefits[M] = Benefits(self)
        self.brands: Brands[M] = Brands(self)
        self.countries: Countries[M] = Countries(self)
        self.credit_definitions: CreditDefinitions[M] = CreditDefinitions(self)
        self.credits: Credits[M] = Credits(self)
        self.currencies: Currencies[M] = Currencies(self)
        self.custom_fields: CustomFields[M] = CustomFields(self)
        self.custom_products: CustomProducts[M] = CustomProducts(self)
        self.departments: Departments[M] = Departments(self)
        self.identities: Identities[M] = Identities(self)
        self.interactions: Interactions[M] = Interactions(self)
        self.locations: Locations[M] = Locations(self)
        self.orders: Orders[M] = Orders(self)
        self.point_definitions: PointDefinitions[M] = PointDefinitions(self)
        self.points: Points[M] = Points(self)
        self.products: Products[M] = Products(self)
        self.action_histories: ActionHistories[M] = ActionHistories(self)
        self.audits: Audits[M] = Audits(self)
        self.staffs: Staffs[M] = Staffs(self)
        self.organisations: Organisations[M] = Organisations(self)
        self.permissions: Permissions[M] = Permissions(self)
        self.profiles: Profiles[M] = Profiles(self)
        self.rates: Rates[M] = Rates(self)
        self.ratings: Ratings[M] = Ratings(self)
        self.redemptions: Redemptions[M] = Redemptions(self)
        self.regions: Regions[M] = Regions(self)
        self.reward_definitions: RewardDefinitions[M] = RewardDefinitions(self)
        self.rewards: Rewards[M] = Rewards(self)
        self.roles: Roles[M] = Roles(self)
        self.role_definitions: RoleDefinitions[M] = RoleDefinitions(self)
        self.settings: Settings[M] = Settings(self)
        self.statuses: Statuses[M] = Statuses(self)
        self.systems: Systems[M] = Systems(self)
        self.tags: Tags[M] = Tags(self)
        self.tenants: Tenants[M] = Tenants(self)
        self.tier_definitions: TierDefinitions[M] = TierDefinitions(self)
        self.tier_points: TierPoints[M] = TierPoints(self)
        self.transactions: Transactions[M] = Transactions(self)
        self.users: Users[M] = Users(self)
        self.webhooks: Webhooks[M] = Webhooks(self)
        self.triggers: Triggers[M] = Triggers(self)
        self.reminders: Reminders[M] = Reminders(self)
        self.automations: Automations[M] = Automations(self)
        self.targets: Targets[M] = Targets(self)
        self.events: Events[M] = Events(self)
        self.queue: Queue[M] = Queue(self)

    # -- building ------------------------------------------------------------------------------

    @property
    def default_headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"omneo-python/{__version__} httpx/{httpx.__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @property
    def health_url(self) -> str:
        return self.base_url.replace("/api/v3", "/api/health")

    def _build_request(
        self,
        method: str,
        endpoint: str,
        params: Params | None,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        url = endpoint if endpoint.startswith(("http://", "https://")) else self.base_url + endpoint
        return self._http.build_request(
            method.upper(),
            url,
            params=flatten_params(params) or None,
            content=None if body is None else dumps(body).encode(),
            headers={**self.default_headers, **(headers or {})},
            timeout=self.timeout,
        )

    # -- responses and retries -----------------------------------------------------------------

    @staticmethod
    def _parse_body(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return loads(response.content)
        except ValueError:
            return response.text

    def _result(self, response: httpx.Response) -> Any:
        body = self._parse_body(response)
        if response.is_success:
            return body
        raise status_error(response, body)

    def _should_retry(self, request: httpx.Request, outcome: httpx.Response | httpx.TransportError) -> bool:
        # Idempotent verbs (GET/PUT/DELETE) are retried on any transport failure and on 408, 429
        # and 5xx. POST (not idempotent: it could create a second profile or transaction) is only
        # retried when the server cannot have acted on it: the connection was never made, or the
        # server refused it outright with 429 (rate limited) or 503 (unavailable).
        idempotent = request.method in _IDEMPOTENT
        if isinstance(outcome, httpx.Response):
            status = outcome.status_code
            if status in (429, 503):
                return True
            return idempotent and (status == 408 or status >= 500)
        return isinstance(outcome, _RETRYABLE_ERRORS if idempotent else _NOT_SENT)

    def _retry_after(self, response: httpx.Response | None) -> float | None:
        value = response.headers.get("retry-after") if response is not None else None
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - time.time()
        return min(max(seconds, 0.0), self.max_retry_after)

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = self._retry_after(response)
        if retry_after is not None:
            return retry_after
        delay = min(self.initial_retry_delay * 2.0**attempt, self.max_retry_delay)
        return delay * random.uniform(0.75, 1.25)

    def _settle(
        self, request: httpx.Request, attempt: int, outcome: httpx.Response | httpx.TransportError
    ) -> tuple[float | None, Any]:
        """After one attempt: ``(delay, None)`` to retry, ``(None, result)`` when done, or raise."""
        if attempt < self.max_retries and self._should_retry(request, outcome):
            response = outcome if isinstance(outcome, httpx.Response) else None
            return self._backoff(attempt, response), None
        if isinstance(outcome, httpx.TimeoutException):
            raise APITimeoutError(request=request) from outcome
        if isinstance(outcome, httpx.TransportError):
            raise APIConnectionError(request=request, message=f"Connection error: {outcome}") from outcome
        return None, self._result(outcome)

    @staticmethod
    def _health(outcome: httpx.Response | httpx.TransportError, request: httpx.Request) -> HealthStatus:
        if isinstance(outcome, httpx.TransportError):
            raise APIConnectionError(request=request, message=f"Connection error: {outcome}") from outcome
        return {"status": outcome.status_code, "status_text": outcome.reason_phrase}

    @staticmethod
    def _recovery(request: Request[T], exc: APIStatusError) -> Request[T]:
        """The request to send instead after ``exc``, or re-raise ``exc``."""
        retry = request.recover(exc) if request.recover else None
        if retry is None:
            raise exc
        return retry

    @abstractmethod
    def _bind(self, build: Callable[..., Any]) -> Callable[..., Any]:
        """Serve a resource method: build its request description and run it on this client."""


class Omneo(BaseClient[Sync, httpx.Client]):
    """Synchronous client for the Omneo admin API (``/api/v3``).

    ``Omneo(tenant="acme", token="...")`` talks to ``https://api.acme.getomneo.com/api/v3``;
    ``base_url`` replaces that URL entirely (e.g. a self-hosted server). ``tenant``, ``token`` and
    ``base_url`` default to ``OMNEO_TENANT``, ``OMNEO_TOKEN`` and ``OMNEO_BASE_URL``. A
    caller-provided ``http_client`` (``httpx.Client``) is used as is and not closed by ``close()``.
    """

    _http_class = httpx.Client

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        try:
            return self._http.send(request)
        except httpx.TransportError as exc:
            return exc

    def call(
        self,
        method: str,
        endpoint: str,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request (``endpoint`` relative to ``base_url``) and return its parsed JSON body.

        Nested ``params`` become bracket keys; ``body`` is JSON (``Decimal`` kept exact); fractions
        in the response come back as ``Decimal``; a 204 or empty body returns ``None``; non-2xx
        raises an ``APIStatusError`` subclass. Retries per the client's policy.
        """
        request = self._build_request(method, endpoint, params, body, headers)
        attempt = 0
        while True:
            delay, result = self._settle(request, attempt, self._send(request))
            if delay is None:
                return result
            time.sleep(delay)
            attempt += 1

    def _execute(self, request: Request[T]) -> T:
        if request.is_local:
            return request.parse(None)
        try:
            body = self.call(request.method, request.path, request.params, request.body, request.headers)
        except APIStatusError as exc:
            return self._execute(self._recovery(request, exc))
        return self._execute(request.then(body)) if request.then else request.parse(body)

    def _execute_page(self, request: PageRequest[T]) -> Page[T]:
        result: Page[T] = request.build(Page, self.call("GET", request.path, request.params))
        result._fetch = lambda number: self._execute_page(request.at_page(number))
        return result

    def _bind(self, build: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            request = build(*args, **kwargs)
            if isinstance(request, PageRequest):
                return self._execute_page(request)
            return self._execute(request)

        return run

    def health(self) -> HealthStatus:
        """GET ``/api/health``: ``{"status": 200, "status_text": "OK"}``; never raises on non-2xx."""
        request = self._build_request("GET", self.health_url, None, None, None)
        return self._health(self._send(request), request)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncOmneo(BaseClient[Async, httpx.AsyncClient]):
    """Asynchronous client: same namespaces and methods as ``Omneo``, each awaitable; takes an
    ``httpx.AsyncClient`` as ``http_client``."""

    is_async = True
    _http_class = httpx.AsyncClient

    async def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        try:
            return await self._http.send(request)
        except httpx.TransportError as exc:
            return exc

    async def call(
        self,
        method: str,
        endpoint: str,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Async ``Omneo.call``."""
        request = self._build_request(method, endpoint, params, body, headers)
        attempt = 0
        while True:
            delay, result = self._settle(request, attempt, await self._send(request))
            if delay is None:
                return result
            await asyncio.sleep(delay)
            attempt += 1

    async def _execute(self, request: Request[T]) -> T:
        if request.is_local:
            return request.parse(None)
        try:
            body = await self.call(request.method, request.path, request.params, request.body, request.headers)
        except APIStatusError as exc:
            return await self._execute(self._recovery(request, exc))
        return await self._execute(request.then(body)) if request.then else request.parse(body)

    async def _execute_page(self, request: PageRequest[T]) -> AsyncPage[T]:
        result: AsyncPage[T] = request.build(AsyncPage, await self.call("GET", request.path, request.params))
        result._fetch = lambda number: self._execute_page(request.at_page(number))
        return result

    def _bind(self, build: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any, **kwargs: Any) -> Any:
            request = build(*args, **kwargs)
            if isinstance(request, PageRequest):
                return await self._execute_page(request)
            return await self._execute(request)

        return run

    async def health(self) -> HealthStatus:
        """Async ``Omneo.health``."""
        request = self._build_request("GET", self.health_url, None, None, None)
        return self._health(await self._send(request), request)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
