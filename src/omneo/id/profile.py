"""``id.profile``: the admin profile tree with the profile id bound to ``me``.

Nothing is re-declared here: ``MeView`` wraps the admin resource objects (``client.profiles`` and its
sub-resources) and partially applies ``"me"`` as the profile id of every method that takes one, so
``id.profile.addresses.update(address_id, body)`` is ``profiles.addresses.update("me", address_id,
body)`` → ``PUT /profiles/me/addresses/{address_id}``. Admin-only methods (create, list, merge, batch,
sync, lookups, custom events) and sub-resources (statuses, tags) are not exposed. Where the ID API
answers differently from the admin one, an ID flavour of the sub-resource replaces it (``ledgers``:
``list()`` answers the whole ``{data: [...]}`` body, id-api.md §4).
"""

from __future__ import annotations

import builtins
import functools
import inspect
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._resource import ID, Body, M, NestedGetMixin, Request, Resource, _Descriptor, data, endpoint, full
from ..resources.profiles import ProfileLedgers, Profiles
from ..types import Envelope, LedgerEntry, Profile, SuccessfulRedemption

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["IDProfile", "IDProfileLedgers", "MeView"]

#: The top-level profile methods the ID API serves (id-api.md §3).
PROFILE_METHODS = frozenset(
    {
        "get",
        "update",
        "delete",
        "purge",
        "resync",
        "subscribe",
        "unsubscribe",
        "update_type",
        "transaction_products",
        "is_subscribed",
        "is_unsubscribed",
    }
)
#: Admin sub-resources with no ID counterpart.
HIDDEN_SUBRESOURCES = frozenset({"statuses", "tags"})
_PROFILE_PARAMS = ("profile_id", "parent_id", "id")


class IDProfileLedgers(NestedGetMixin[M, LedgerEntry]):
    """``id.profile.ledgers``: ``get(ledger_id)`` as on the admin side; ``list()`` answers the whole
    body ``{data: [entry, ...]}`` (the admin ``list`` answers the entries)."""

    path = ProfileLedgers.path
    model = LedgerEntry

    @endpoint
    def list(self, profile_id: ID) -> Request[Envelope[builtins.list[LedgerEntry]]]:
        """GET /profiles/me/ledgers → ``{data: [entry, ...]}``."""
        return full("GET", self._at(profile_id), Envelope[builtins.list[LedgerEntry]])


class MeView:
    """An admin profile resource seen by one profile: methods whose first parameter is the profile
    id are served with it bound to ``me`` (or ``connection/{id}``); others are not available.
    ``overrides`` replaces sub-resources by their ID flavour."""

    def __init__(
        self,
        target: Resource[Any],
        me: str,
        methods: frozenset[str] | None = None,
        overrides: Mapping[str, Resource[Any]] | None = None,
    ) -> None:
        self._target = target
        self._me = me
        self._methods = methods
        self._overrides = overrides or {}

    def _resolve(self, name: str) -> Any:
        if name.startswith("_"):
            return None
        static = inspect.getattr_static(type(self._target), name, None)
        if isinstance(static, staticmethod):
            return getattr(self._target, name) if self._methods is None or name in self._methods else None
        if isinstance(static, _Descriptor):
            if self._methods is not None and name not in self._methods:
                return None
            parameters = list(inspect.signature(static.fn).parameters)[1:]
            if not parameters or parameters[0] not in _PROFILE_PARAMS:
                return None
            bound = getattr(self._target, name)
            return functools.update_wrapper(functools.partial(bound, self._me), bound)
        value = self._overrides.get(name) or self._target.__dict__.get(name)
        if isinstance(value, Resource) and name not in HIDDEN_SUBRESOURCES:
            return MeView(value, self._me)
        return None

    def __getattr__(self, name: str) -> Any:
        value = self._resolve(name)
        if value is None:
            raise AttributeError(f"{type(self._target).__name__}.{name} is not available on the ID API")
        return value

    def __dir__(self) -> list[str]:
        names = set(dir(type(self._target))) | set(self._target.__dict__) | set(self._overrides)
        return sorted(n for n in names if self._resolve(n) is not None)

    def __repr__(self) -> str:
        return f"<{type(self._target).__name__} at /profiles/{self._me}>"


class IDProfile(Resource[M]):
    """``id.profile``: the token's own profile (``/profiles/me``) and every sub-resource of the
    admin tree (``addresses``, ``attributes.comms``, ``identities``, ``regions``, ``transactions``,
    ``transaction_claims``, ``orders``, ``interactions``, ``aggregations``, ``rewards``, ``points``,
    ``credits``, ``benefits``, ``tiers``, ``achievements``, ``balances``, ``ledgers``,
    ``redemptions``, …) without profile ids, plus ``create`` (anonymous sign-up), ``redeem`` and
    ``connection(id)``."""

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self._admin: Profiles[M] = Profiles(client)
        self._overrides: dict[str, Resource[M]] = {"ledgers": IDProfileLedgers(client)}
        self._view = MeView(self._admin, "me", PROFILE_METHODS, self._overrides)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._view, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self._view)))

    @endpoint
    def create(self, body: Body) -> Request[Profile]:
        """POST /profiles with an **anonymous** token: creates the profile, or for a known email or
        mobile updates only its comms attributes (the answer then holds just ``id`` and comms)."""
        return data("POST", "/profiles", Profile, body=body)

    @endpoint
    def redeem(self, amount: Decimal | float | str) -> Request[SuccessfulRedemption]:
        """POST /profiles/me/redeem ``{amount}`` (no ``meta`` on the ID API) → the redemption with
        the balances after it."""
        return data("POST", "/profiles/me/redeem", SuccessfulRedemption, body={"amount": amount})

    def connection(self, connection_id: ID) -> MeView:
        """The same profile tree for a connected profile (``/profiles/connection/{id}/...``), as an
        independent view (the original stays on ``me``)."""
        return MeView(self._admin, f"connection/{connection_id}", PROFILE_METHODS, self._overrides)
