from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel

from ..._resource import (
    ID,
    Body,
    DeleteMixin,
    GetMixin,
    ListMixin,
    M,
    PageRequest,
    Params,
    Request,
    data,
    data_first,
    empty,
    endpoint,
    full,
    page,
)
from ..._utils import to_jsonable
from ...errors import APIStatusError, ValidationError
from ...types import (
    Availability,
    BatchQueued,
    CommsAttribute,
    CommsChannel,
    Envelope,
    Message,
    Profile,
    ProfileRef,
    ProfileType,
    SuccessfulRedemption,
    TransactionProductVariant,
)
from .addresses import ProfileAddresses
from .attributes import ProfileAttributes
from .commerce import (
    ProfileAggregations,
    ProfileInteractions,
    ProfileOrders,
    ProfileTransactionClaims,
    ProfileTransactions,
)
from .identities import ProfileIdentities
from .incentives import (
    ProfileAchievements,
    ProfileBalances,
    ProfileBenefits,
    ProfileCredits,
    ProfileLedgers,
    ProfilePoints,
    ProfileRedemptions,
    ProfileRewards,
    ProfileTiers,
)
from .labels import ProfileStatuses, ProfileTags
from .regions import ProfileRegions

if TYPE_CHECKING:
    from ..._client import BaseClient

__all__ = ["Profiles"]

PHONE_EXISTS = "The phone number exists"
_CHANNELS: tuple[str, ...] = get_args(CommsChannel)


def _move_mobile_to_secondary(request: Request[Profile]) -> Request[Profile]:
    """``retry_mobile_secondary``: on a 422 whose ``errors.mobile_phone`` says the number exists,
    send the same body again with ``mobile_phone`` moved to ``secondary_phone``."""

    def recover(exc: APIStatusError) -> Request[Profile] | None:
        if not isinstance(exc, ValidationError):
            return None
        if not any(PHONE_EXISTS in message for message in exc.errors.get("mobile_phone", [])):
            return None
        body = dict(to_jsonable(request.body))
        if body.get("mobile_phone") is None:
            return None
        body["secondary_phone"] = body.pop("mobile_phone")
        return replace(request, body=body, recover=None)

    return replace(request, recover=recover)


def _check_sync_date(updated_at: date | str) -> str:
    """``profiles.sync``: the date must parse and be before tomorrow, else no request is sent."""
    if isinstance(updated_at, str):
        try:
            parsed: date = datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"updated_at is not a date: {updated_at!r}") from exc
    else:
        parsed = updated_at
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if day >= date.today() + timedelta(days=1):
        raise ValueError(f"updated_at must be before tomorrow: {updated_at!r}")
    return updated_at if isinstance(updated_at, str) else updated_at.isoformat()


def _comms_flags(comms: CommsAttribute | Mapping[str, Any], prefix: str) -> dict[str, Any]:
    if prefix not in _CHANNELS:
        raise ValueError(f"unknown comms channel {prefix!r}; expected one of {', '.join(_CHANNELS)}")
    values = comms.model_dump() if isinstance(comms, BaseModel) else comms
    return {key: values.get(f"{prefix}_{key}") for key in ("promo", "optout", "bounced")}


class Profiles(GetMixin[M, Profile], ListMixin[M, Profile], DeleteMixin[M, Profile]):
    """``client.profiles``: customer profiles and their sub-resources."""

    path = "/profiles"
    model = Profile

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.identities: ProfileIdentities[M] = ProfileIdentities(client)
        self.addresses: ProfileAddresses[M] = ProfileAddresses(client)
        self.attributes: ProfileAttributes[M] = ProfileAttributes(client)
        self.regions: ProfileRegions[M] = ProfileRegions(client)
        self.statuses: ProfileStatuses[M] = ProfileStatuses(client)
        self.tags: ProfileTags[M] = ProfileTags(client)
        self.transactions: ProfileTransactions[M] = ProfileTransactions(client)
        self.orders: ProfileOrders[M] = ProfileOrders(client)
        self.interactions: ProfileInteractions[M] = ProfileInteractions(client)
        self.transaction_claims: ProfileTransactionClaims[M] = ProfileTransactionClaims(client)
        self.aggregations: ProfileAggregations[M] = ProfileAggregations(client)
        self.achievements: ProfileAchievements[M] = ProfileAchievements(client)
        self.balances: ProfileBalances[M] = ProfileBalances(client)
        self.benefits: ProfileBenefits[M] = ProfileBenefits(client)
        self.credits: ProfileCredits[M] = ProfileCredits(client)
        self.ledgers: ProfileLedgers[M] = ProfileLedgers(client)
        self.points: ProfilePoints[M] = ProfilePoints(client)
        self.redemptions: ProfileRedemptions[M] = ProfileRedemptions(client)
        self.rewards: ProfileRewards[M] = ProfileRewards(client)
        self.tiers: ProfileTiers[M] = ProfileTiers(client)

    @endpoint
    def create(self, body: Body, *, retry_mobile_secondary: bool = False) -> Request[Profile]:
        """POST /profiles (``email``, ``first_name``, ``last_name`` required) → the profile.

        With ``retry_mobile_secondary``, a clash on ``mobile_phone`` is retried once with the number
        stored as ``secondary_phone`` instead.
        """
        request = data("POST", self.path, Profile, body=body)
        return _move_mobile_to_secondary(request) if retry_mobile_secondary else request

    @endpoint
    def update(self, id: ID, body: Body, *, retry_mobile_secondary: bool = False) -> Request[Profile]:
        """PUT /profiles/{id} (partial body) → the profile; ``retry_mobile_secondary`` as in ``create``."""
        request = data("PUT", self._at(id), Profile, body=body)
        return _move_mobile_to_secondary(request) if retry_mobile_secondary else request

    @endpoint
    def purge(self, id: ID) -> Request[None]:
        """DELETE /profiles/{id}/purge: hard delete with transactions and incentives (GDPR erasure)."""
        return empty("DELETE", self._at(id, "purge"))

    @endpoint
    def depersonalise(self, id: ID) -> Request[Profile]:
        """POST /profiles/{id}/depersonalise: replace PII by placeholders, keep the record."""
        return data("POST", self._at(id, "depersonalise"), Profile)

    @endpoint
    def resync(self, id: ID) -> Request[Profile]:
        return data("GET", self._at(id, "resync"), Profile)

    @endpoint
    def sync(self, updated_at: date | str | None = None) -> Request[Message]:
        """POST /profiles/sync ``{updated_at}`` → ``{message}``; a date from tomorrow on is rejected
        locally with ``ValueError``."""
        body = {} if updated_at is None else {"updated_at": _check_sync_date(updated_at)}
        return data("POST", self._at("sync"), Message, body=body)

    @endpoint
    def find_by_identity(self, identifier: str, handle: str) -> Request[Profile]:
        """POST /profiles/search-id ``{type: handle, id: identifier}`` → the profile (``handle``
        ``profile_id`` looks up by profile id)."""
        return data("POST", self._at("search-id"), Profile, body={"type": handle, "id": identifier})

    @endpoint
    def find_by_email(self, email: str, params: Params | None = None) -> Request[Profile | None]:
        """GET /profiles?filter[email]=... → the first match or None."""
        return data_first("GET", self.path, Profile, params={**(params or {}), "filter[email]": email})

    @endpoint
    def check_availability(self, body: Body) -> Request[Availability]:
        """POST /profiles/availability ``{email?, mobile_phone?}`` → per field availability."""
        return data("POST", self._at("availability"), Availability, body=body)

    @endpoint
    def exists(self, body: Body) -> Request[ProfileRef]:
        """POST /profiles/exists ``{id: identifier, type: identity handle}`` → ``{id}``."""
        return data("POST", self._at("exists"), ProfileRef, body=body)

    @staticmethod
    def is_subscribed(comms: CommsAttribute | Mapping[str, Any], prefix: str) -> bool:
        """Pure: subscribed on channel ``prefix`` unless ``promo`` is false, ``optout`` true or
        ``bounced`` true."""
        flags = _comms_flags(comms, prefix)
        return not (flags["promo"] is False or flags["optout"] is True or flags["bounced"] is True)

    @staticmethod
    def is_unsubscribed(comms: CommsAttribute | Mapping[str, Any], prefix: str) -> bool:
        """Pure: the negation of ``is_subscribed``."""
        return not Profiles.is_subscribed(comms, prefix)

    @endpoint
    def subscribe(self, profile_id: ID, channel: CommsChannel) -> Request[CommsAttribute | None]:
        """PUT /profiles/{id}/comms ``{<ch>_optout: false, <ch>_promo: true}`` → the comms record."""
        _comms_flags({}, channel)
        body = {f"{channel}_optout": False, f"{channel}_promo": True}
        return data_first("PUT", self._at(profile_id, "comms"), CommsAttribute, body=body)

    @endpoint
    def unsubscribe(
        self, profile_id: ID, channel: CommsChannel, toggle_opt_out: bool = False
    ) -> Request[CommsAttribute | None]:
        """PUT /profiles/{id}/comms ``{<ch>_promo: false}`` (+ ``<ch>_optout: true`` with
        ``toggle_opt_out``) → the comms record."""
        _comms_flags({}, channel)
        body: dict[str, bool] = {f"{channel}_promo": False}
        if toggle_opt_out:
            body[f"{channel}_optout"] = True
        return data_first("PUT", self._at(profile_id, "comms"), CommsAttribute, body=body)

    @endpoint
    def redeem(
        self, profile_id: ID, amount: Decimal | float | str, meta: Mapping[str, Any] | None = None
    ) -> Request[SuccessfulRedemption]:
        """POST /profiles/{id}/redeem ``{amount, meta?}``: spend ``amount`` from the profile's
        balances → the redemption with the balances after it."""
        body: dict[str, Any] = {"amount": amount}
        if meta is not None:
            body["meta"] = meta
        return data("POST", self._at(profile_id, "redeem"), SuccessfulRedemption, body=body)

    @endpoint
    def merge(self, source_profile_id: ID, destination_profile_id: ID) -> Request[Profile]:
        """POST /profiles/merge: ``source`` (loser) merges into ``destination`` (winner) → the winner."""
        body = {"source_profile_id": source_profile_id, "destination_profile_id": destination_profile_id}
        return data("POST", self._at("merge"), Profile, body=body)

    @endpoint
    def merge_into(self, winner_id: ID, loser_id: ID) -> Request[Profile]:
        """POST /profiles/{winner_id}/merge ``{loser_id}`` → the winner."""
        return data("POST", self._at(winner_id, "merge"), Profile, body={"loser_id": loser_id})

    @endpoint
    def update_type(self, profile_id: ID, type: ProfileType) -> Request[Profile]:
        """PUT /profiles/{id}/update-type ``{profile_type}`` → the profile."""
        return data("PUT", self._at(profile_id, "update-type"), Profile, body={"profile_type": type})

    @endpoint
    def batch(
        self, match_criteria: str | Sequence[Mapping[str, Any]], profiles: Sequence[Body]
    ) -> Request[Envelope[BatchQueued]]:
        """POST /profiles/batch ``{match_criteria, profiles}``: queued → ``{data: {message, batch_id}}``.

        ``match_criteria`` is ``"email"`` or an identity handle."""
        body = {"match_criteria": match_criteria, "profiles": list(profiles)}
        return full("POST", self._at("batch"), Envelope[BatchQueued], body=body)

    @endpoint
    def transaction_products(
        self, profile_id: ID, params: Params | None = None
    ) -> PageRequest[TransactionProductVariant]:
        """GET /profiles/{id}/transaction-products → a page of the variants the profile bought, with
        purchase and refund counts."""
        return page(self._at(profile_id, "transaction-products"), TransactionProductVariant, params)

    @endpoint
    def trigger_custom_event(self, profile_id: ID, body: Body) -> Request[Any]:
        """POST /profiles/{id}/custom-event ``{event, context?}`` → the event's context."""
        return data("POST", self._at(profile_id, "custom-event"), Any, body=body)

    @endpoint
    def create_by_delegation(self, body: Body, delegation: Mapping[str, Any]) -> Request[Any]:
        """Create a profile through a delegate service: ``delegation`` is ``{type, url, enabled}``.

        POST /auth/delegate ``{client_handle: type}`` mints a short-lived token; the profile ``body``
        is then POSTed to the absolute ``url`` with that token, and its parsed JSON body returned.
        """
        if not delegation.get("enabled"):
            raise ValueError("profile creation by delegation is not enabled")
        url = str(delegation["url"])

        def forward(answer: Any) -> Request[Any]:
            token = answer["data"]["token"]
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            return Request("POST", url, lambda b: b, body=body, headers=headers)

        return Request("POST", "/auth/delegate", lambda b: b, body={"client_handle": delegation["type"]}, then=forward)
