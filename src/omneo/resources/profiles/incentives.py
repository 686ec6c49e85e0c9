"""A profile's incentives: rewards, points, credits, benefits, tiers, achievements, balances,
ledgers and redemptions (admin-api.md §32). The ID client serves the same descriptions at
``/profiles/me`` (``omneo.id.profile``)."""

from __future__ import annotations

import builtins
from typing import Literal

from ..._resource import (
    ID,
    Body,
    M,
    NestedCollection,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedGetMixin,
    NestedListAllMixin,
    NestedListMixin,
    NestedUpdateMixin,
    PageRequest,
    Params,
    Request,
    data,
    data_list,
    endpoint,
    page,
)
from ...types import (
    AchievementPoint,
    Balances,
    Benefit,
    BenefitDefinition,
    Credit,
    LedgerEntry,
    Point,
    ProfileAchievement,
    Redemption,
    RedemptionCount,
    Reward,
    TierPoint,
    TierProgress,
)

__all__ = [
    "IncentiveType",
    "ProfileAchievements",
    "ProfileBalances",
    "ProfileBenefits",
    "ProfileCredits",
    "ProfileLedgers",
    "ProfilePoints",
    "ProfileRedemptions",
    "ProfileRewards",
    "ProfileTiers",
]

IncentiveType = Literal["reward", "point", "benefit", "credit"]


class ProfileRewards(NestedGetMixin[M, Reward], NestedListMixin[M, Reward]):
    """``client.profiles.rewards``: ``get(profile_id, reward_id)``, ``list(profile_id, params)``
    (a page)."""

    path = "/profiles/{}/rewards"
    model = Reward


class ProfilePoints(NestedGetMixin[M, Point], NestedListMixin[M, Point]):
    """``client.profiles.points``: ``get(profile_id, point_id)``, ``list(profile_id, params)``
    (a page)."""

    path = "/profiles/{}/points"
    model = Point


class ProfileCredits(NestedListMixin[M, Credit]):
    """``client.profiles.credits``: ``list(profile_id, params)`` (a page) and ``redeem``."""

    path = "/profiles/{}/credits"
    model = Credit

    @endpoint
    def redeem(self, profile_id: ID, credit_id: ID, body: Body) -> Request[Redemption]:
        """POST /profiles/{id}/credits/{credit_id}/redeem ``{amount, ...}`` → the redemption."""
        return data("POST", self._at(profile_id, credit_id, "redeem"), Redemption, body=body)


class ProfileBenefits(
    NestedGetMixin[M, Benefit],
    NestedListMixin[M, Benefit],
    NestedUpdateMixin[M, Benefit],
    NestedDeleteMixin[M, Benefit],
):
    """``client.profiles.benefits``: ``get``, ``list`` (a page), ``update``, ``delete``, plus
    ``redeem``, the definitions the profile may see or claim, ``claim``, ``claim_redeem`` and
    ``redeemable``."""

    path = "/profiles/{}/benefits"
    model = Benefit

    @endpoint
    def redeem(self, profile_id: ID, benefit_id: ID, count: int | None = None) -> Request[Redemption]:
        """POST /profiles/{id}/benefits/{benefit_id}/redeem (``{count}`` when given, else no body)
        → the redemption."""
        body = None if count is None else {"count": count}
        return data("POST", self._at(profile_id, benefit_id, "redeem"), Redemption, body=body)

    @endpoint
    def viewable(self, profile_id: ID) -> Request[builtins.list[BenefitDefinition]]:
        """GET /profiles/{id}/benefits/viewable → the definitions whose view condition the profile
        passes."""
        return data_list("GET", self._at(profile_id, "viewable"), BenefitDefinition)

    @endpoint
    def claimable(self, profile_id: ID) -> Request[builtins.list[BenefitDefinition]]:
        """GET /profiles/{id}/benefits/claimable → the definitions the profile may claim now."""
        return data_list("GET", self._at(profile_id, "claimable"), BenefitDefinition)

    @endpoint
    def claim(self, profile_id: ID, body: Body) -> Request[Benefit]:
        """POST /profiles/{id}/benefits/claim (the definition to claim) → the issued benefit."""
        return data("POST", self._at(profile_id, "claim"), Benefit, body=body)

    @endpoint
    def claim_redeem(self, profile_id: ID, body: Body) -> Request[Redemption]:
        """POST /profiles/{id}/benefits/claim-redeem: claim and redeem at once → the redemption."""
        return data("POST", self._at(profile_id, "claim-redeem"), Redemption, body=body)

    @endpoint
    def redeemable(self, profile_id: ID, params: Params | None = None) -> PageRequest[Benefit]:
        """GET /profiles/{id}/redeemable_benefits → a page of the benefits redeemable now."""
        return page(f"/profiles/{profile_id}/redeemable_benefits", Benefit, params)


class ProfileTiers(NestedCollection[M, TierProgress]):
    """``client.profiles.tiers``: the profile's tier standing (one object): ``list``,
    ``calculate``, ``assign``, and its tier ``points``."""

    path = "/profiles/{}/tiers"
    model = TierProgress

    @endpoint
    def list(self, profile_id: ID, params: Params | None = None) -> Request[TierProgress]:
        """GET /profiles/{id}/tiers → the current tier, the next and previous ones and progress."""
        return data("GET", self._at(profile_id), TierProgress, params=params)

    @endpoint
    def calculate(self, profile_id: ID) -> Request[TierProgress]:
        """GET /profiles/{id}/tiers/calculate → the standing, recomputed."""
        return data("GET", self._at(profile_id, "calculate"), TierProgress)

    @endpoint
    def assign(self, profile_id: ID, handle: str) -> Request[TierProgress]:
        """POST /profiles/{id}/tiers/assign ``{tier: handle}``: put the profile on an assignable
        tier → the standing."""
        return data("POST", self._at(profile_id, "assign"), TierProgress, body={"tier": handle})

    @endpoint
    def points(self, profile_id: ID, params: Params | None = None) -> PageRequest[TierPoint]:
        """GET /profiles/{id}/tiers/points → a page of the profile's tier points."""
        return page(self._at(profile_id, "points"), TierPoint, params)


class ProfileBalances(NestedCollection[M, Balances]):
    """``client.profiles.balances``: ``get(profile_id, currency=None)``."""

    path = "/profiles/{}/balances"
    model = Balances

    @endpoint
    def get(self, profile_id: ID, currency: str | None = None) -> Request[Balances]:
        """GET /profiles/{id}/balances (``currency=<code>`` to convert) → reward, point, credit and
        benefit balances."""
        return data("GET", self._at(profile_id), Balances, params={"currency": currency})


class ProfileLedgers(NestedGetMixin[M, LedgerEntry], NestedListAllMixin[M, LedgerEntry]):
    """``client.profiles.ledgers``: ``get(profile_id, ledger_id)``, ``list(profile_id)`` (every
    entry, not paginated)."""

    path = "/profiles/{}/ledgers"
    model = LedgerEntry


class ProfileRedemptions(
    NestedGetMixin[M, Redemption], NestedListMixin[M, Redemption], NestedCreateMixin[M, Redemption]
):
    """``client.profiles.redemptions``: ``get``, ``list`` (a page), ``create`` and ``count``.

    ``create(profile_id, {amount, currency?, strict?, strategies?, benefits?, location_id?,
    transaction_external_id?, transaction_receipt_ref?, meta?})`` redeems ``amount`` from the
    balances named by ``strategies`` (in that order) → the redemption."""

    path = "/profiles/{}/redemptions"
    model = Redemption

    @endpoint
    def count(self, profile_id: ID, type: IncentiveType, incentive_id: ID) -> Request[RedemptionCount]:
        """GET /profiles/{id}/redemptions/{type}/{incentive_id}/count → ``{count}``: how often the
        profile redeemed that reward, point, benefit or credit."""
        return data("GET", self._at(profile_id, type, incentive_id, "count"), RedemptionCount)


class ProfileAchievements(NestedListAllMixin[M, ProfileAchievement], NestedCreateMixin[M, ProfileAchievement]):
    """``client.profiles.achievements``: ``list(profile_id)`` (every achievement, not paginated),
    ``create(profile_id, {definition_id, count, issued_at?, expires_at?, meta?})``, ``get_points``."""

    path = "/profiles/{}/achievements"
    model = ProfileAchievement

    @endpoint
    def get_points(self, profile_id: ID, achievement_definition_id: ID) -> PageRequest[AchievementPoint]:
        """GET /profiles/{id}/achievements/{definition_id}/achievement-points → a page of the
        counts added to that achievement."""
        return page(self._at(profile_id, achievement_definition_id, "achievement-points"), AchievementPoint)
