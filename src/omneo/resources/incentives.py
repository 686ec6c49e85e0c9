"""The incentive namespaces: definitions (rewards, benefits, points, credits, tiers, achievements),
the issued incentives, rates, tier points, redemptions and allocations (admin-api.md §1, 3, 8, 9,
14, 15, 29, 30, 33, 35, 38, 39, 51, 52)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    Body,
    Collection,
    CreateMixin,
    GetMixin,
    ListMixin,
    M,
    ModelT,
    Params,
    Request,
    _validator,
    data,
    endpoint,
    full,
)
from ..types import (
    AchievementDefinition,
    Allocation,
    Benefit,
    BenefitCount,
    BenefitDefinition,
    Credit,
    CreditDefinition,
    Envelope,
    Point,
    PointDefinition,
    Rate,
    RateCalculation,
    Redemption,
    RedemptionItem,
    Reward,
    RewardDefinition,
    SuccessfulRedemption,
    TierDefinition,
    TierPoint,
)

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = [
    "AchievementDefinitions",
    "Allocations",
    "BenefitDefinitions",
    "Benefits",
    "CreditDefinitions",
    "Credits",
    "ExtendMixin",
    "PointDefinitions",
    "Points",
    "Rates",
    "RedemptionItems",
    "Redemptions",
    "RewardDefinitions",
    "Rewards",
    "TierDefinitions",
    "TierPoints",
]


class ExtendMixin(Collection[M, ModelT]):
    @endpoint
    def extend(self, body: Body) -> Request[Envelope[builtins.list[ModelT]]]:
        """POST ``{path}/extend`` ``{ids, profile_id, extend_date?, extend_days?}``: push the expiry
        of the profile's records → ``{data: [record, ...]}`` (the whole body)."""
        validate = _validator(self.model)

        def parse(body: Any) -> Envelope[builtins.list[ModelT]]:
            result = Envelope[builtins.list[Any]].model_validate(body if isinstance(body, dict) else {"data": body})
            result.data = [validate(x) for x in result.data or []]
            return result

        return Request("POST", self._at("extend"), parse, body=body)


# -- definitions ------------------------------------------------------------------------------------


class RewardDefinitions(CRUD[M, RewardDefinition]):
    """``client.reward_definitions``: CRUD at ``/rewards/definitions``."""

    path = "/rewards/definitions"
    model = RewardDefinition


class BenefitDefinitions(CRUD[M, BenefitDefinition]):
    """``client.benefit_definitions``: CRUD at ``/benefits/definitions``, ``clone``,
    ``get_by_handle``."""

    path = "/benefits/definitions"
    model = BenefitDefinition

    @endpoint
    def clone(self, id: ID, body: Body) -> Request[BenefitDefinition]:
        """POST /benefits/definitions/{id}/clone ``{handle, name?}`` (a new handle) → the copy."""
        return data("POST", self._at(id, "clone"), BenefitDefinition, body=body)

    @endpoint
    def get_by_handle(self, handle: str) -> Request[BenefitDefinition]:
        """GET /benefits/definitions/handle/{handle} → the definition."""
        return data("GET", self._at("handle", handle), BenefitDefinition)


class PointDefinitions(CRUD[M, PointDefinition]):
    """``client.point_definitions``: CRUD at ``/points/definitions``."""

    path = "/points/definitions"
    model = PointDefinition


class CreditDefinitions(CRUD[M, CreditDefinition]):
    """``client.credit_definitions``: CRUD at ``/credits/definitions``."""

    path = "/credits/definitions"
    model = CreditDefinition


class TierDefinitions(CRUD[M, TierDefinition]):
    """``client.tier_definitions``: CRUD at ``/tiers/definitions``."""

    path = "/tiers/definitions"
    model = TierDefinition


class AchievementDefinitions(CRUD[M, AchievementDefinition]):
    """``client.achievement_definitions``: CRUD at ``/achievements/definitions`` (create needs
    ``name, handle, levels``)."""

    path = "/achievements/definitions"
    model = AchievementDefinition


# -- issued incentives ------------------------------------------------------------------------------


class Rewards(CRUD[M, Reward], ExtendMixin[M, Reward]):
    """``client.rewards``: CRUD at ``/rewards``, ``extend``, ``trigger_target``.

    ``extend`` sends its ``{ids, profile_id, extend_date?, extend_days?}`` as a JSON body (the JS
    SDK sends them as query params — a QUIRK the server also accepts)."""

    path = "/rewards"
    model = Reward

    @endpoint
    def trigger_target(self, reward_id: ID, type: str) -> Request[Any]:
        """GET /rewards/{id}/trigger-target/{type}: the reward's notification target (e.g. ``issue``,
        ``expiry``, ``extend``) → the whole body."""
        return full("GET", self._at(reward_id, "trigger-target", type), Any)


class Benefits(CRUD[M, Benefit], ExtendMixin[M, Benefit]):
    """``client.benefits``: CRUD at ``/benefits``, ``extend``, ``count``, ``get_trigger_target``."""

    path = "/benefits"
    model = Benefit

    @endpoint
    def count(self) -> Request[BenefitCount]:
        """GET /benefits.count → ``{countAll, countRedeemed}``."""
        return data("GET", "/benefits.count", BenefitCount)

    @endpoint
    def get_trigger_target(self, benefit_id: ID, type: str) -> Request[Any]:
        """GET /benefits/{id}/trigger-target/{type} → the benefit's notification target."""
        return data("GET", self._at(benefit_id, "trigger-target", type), Any)


class Points(GetMixin[M, Point], ListMixin[M, Point], CreateMixin[M, Point]):
    """``client.points``: ``get``, ``list``, ``create`` at ``/points`` (no update or delete)."""

    path = "/points"
    model = Point


class Credits(CRUD[M, Credit], ExtendMixin[M, Credit]):
    """``client.credits``: CRUD at ``/credits`` and ``extend``."""

    path = "/credits"
    model = Credit


class TierPoints(GetMixin[M, TierPoint], ListMixin[M, TierPoint], CreateMixin[M, TierPoint]):
    """``client.tier_points``: ``get``, ``list``, ``create`` at ``/tiers/points``."""

    path = "/tiers/points"
    model = TierPoint


class Rates(CRUD[M, Rate]):
    """``client.rates``: CRUD at ``/rates``, ``calculate``, ``search_attributes``."""

    path = "/rates"
    model = Rate

    @endpoint
    def calculate(self, body: Body) -> Request[RateCalculation]:
        """POST /rates/calculate (a rate-calculation request) → ``{total}`` (the whole body)."""
        return full("POST", self._at("calculate"), RateCalculation, body=body)

    @endpoint
    def search_attributes(self, attribute: str, params: Params | None = None) -> Request[builtins.list[Any]]:
        """GET /rates/searchAttributes/{attribute} → the values in use (the whole body, an array)."""
        return full("GET", self._at("searchAttributes", attribute), builtins.list[Any], params=params)


# -- redemptions and allocations --------------------------------------------------------------------


class RedemptionItems(GetMixin[M, RedemptionItem], ListMixin[M, RedemptionItem]):
    """``client.redemptions.items``: ``get`` and ``list`` at ``/redemptions/items``."""

    path = "/redemptions/items"
    model = RedemptionItem


class Redemptions(GetMixin[M, Redemption], ListMixin[M, Redemption]):
    """``client.redemptions``: ``get``, ``list``, ``return_``, ``reversal``, ``benefit_return``,
    ``group_by``; ``items`` below."""

    path = "/redemptions"
    model = Redemption

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.items: RedemptionItems[M] = RedemptionItems(client)

    @endpoint
    def return_(self, redemption_id: ID, body: Body | None = None) -> Request[SuccessfulRedemption]:
        """POST /redemptions/{id}/return: give redeemed value back (optionally ``{amount,
        strategies, benefits, ...}`` for a partial return) → the return, with balances."""
        return data("POST", self._at(redemption_id, "return"), SuccessfulRedemption, body=body)

    @endpoint
    def reversal(self, redemption_id: ID) -> Request[SuccessfulRedemption]:
        """POST /redemptions/{id}/reversal: undo a recent redemption → the reversal, with balances."""
        return data("POST", self._at(redemption_id, "reversal"), SuccessfulRedemption)

    @endpoint
    def benefit_return(self, redemption_id: ID, count: int | None = None) -> Request[Redemption]:
        """POST /redemptions/{id}/benefit/return (``{count}`` when given) → the redemption."""
        body = None if count is None else {"count": count}
        return data("POST", self._at(redemption_id, "benefit", "return"), Redemption, body=body)

    @endpoint
    def group_by(self, attribute: str, params: Params | None = None) -> Request[builtins.list[dict[str, Any]]]:
        """GET /redemptions/group/{attribute} → the rows of the grouped page: the grouped keys and
        their ``redemptions``."""
        return data("GET", self._at("group", attribute), builtins.list[dict[str, Any]], params=params)


class Allocations(ListMixin[M, Allocation]):
    """``client.allocations``: ``list`` at ``/allocations`` and ``count``."""

    path = "/allocations"
    model = Allocation

    @endpoint
    def count(self, benefit_definition_id: ID) -> Request[Any]:
        """GET /allocations/{benefit_definition_id}/count → the definition's allocation counts."""
        return data("GET", self._at(benefit_definition_id, "count"), Any)
