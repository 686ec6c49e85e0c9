"""Incentive namespaces (admin and ID): the verb, path, query and JSON body each method sends and the
type its answer is parsed into, against the scripted stub server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from omneo import ID, AsyncID, AsyncOmneo, AsyncPage, Omneo, Page
from omneo.types import (
    AchievementDefinition,
    AchievementPoint,
    Allocation,
    Balances,
    Benefit,
    BenefitCount,
    BenefitDefinition,
    Credit,
    CreditDefinition,
    Envelope,
    LedgerEntry,
    Point,
    PointDefinition,
    ProfileAchievement,
    Rate,
    RateCalculation,
    Redemption,
    RedemptionCount,
    RedemptionItem,
    Reward,
    RewardDefinition,
    SuccessfulRedemption,
    TierDefinition,
    TierPoint,
    TierProgress,
)

from .conftest import Reply, ScriptedServer

ONE = {"data": {"id": 1}}
MANY = {"data": [{"id": 1}], "links": {}, "meta": {"current_page": 1, "last_page": 1}}
ARRAY = {"data": [{"id": 1}]}

# (call, verb, path under /api/v3, query, JSON body or None, reply, what the answer is)
#   what: a model class (DATA / FULL object), ("page", M) (ENV), ("list", M) (DATA array),
#   None (NONE) or ("raw", value) (the answer itself).
Case = tuple[Callable[[Omneo], Any], str, str, dict[str, str], Any, Any, Any]

CRUD_NAMESPACES: list[tuple[str, str, type[Any]]] = [
    ("reward_definitions", "/rewards/definitions", RewardDefinition),
    ("benefit_definitions", "/benefits/definitions", BenefitDefinition),
    ("point_definitions", "/points/definitions", PointDefinition),
    ("credit_definitions", "/credits/definitions", CreditDefinition),
    ("tier_definitions", "/tiers/definitions", TierDefinition),
    ("achievement_definitions", "/achievements/definitions", AchievementDefinition),
    ("rewards", "/rewards", Reward),
    ("benefits", "/benefits", Benefit),
    ("credits", "/credits", Credit),
    ("rates", "/rates", Rate),
]


def _crud_cases() -> Iterator[tuple[str, Case]]:
    for name, path, model in CRUD_NAMESPACES:

        def ns(c: Omneo, name: str = name) -> Any:
            return getattr(c, name)

        yield f"{name}.get", (lambda c, ns=ns: ns(c).get(7), "GET", f"{path}/7", {}, None, ONE, model)
        yield (
            f"{name}.list",
            (
                lambda c, ns=ns: ns(c).list({"filter": {"handle": "h"}}),
                "GET",
                path,
                {"filter[handle]": "h"},
                None,
                MANY,
                ("page", model),
            ),
        )
        yield (
            f"{name}.create",
            (lambda c, ns=ns: ns(c).create({"name": "N"}), "POST", path, {}, {"name": "N"}, ONE, model),
        )
        yield (
            f"{name}.update",
            (lambda c, ns=ns: ns(c).update(7, {"name": "M"}), "PUT", f"{path}/7", {}, {"name": "M"}, ONE, model),
        )
        yield f"{name}.delete", (lambda c, ns=ns: ns(c).delete(7), "DELETE", f"{path}/7", {}, None, None, None)


EXTEND = {"ids": [1, 2], "profile_id": "p1", "extend_days": 30}

SPECIAL: dict[str, Case] = {
    # definitions
    "benefit_definitions.clone": (lambda c: c.benefit_definitions.clone(3, {"handle": "copy"}), "POST", "/benefits/definitions/3/clone", {}, {"handle": "copy"}, ONE, BenefitDefinition),
    "benefit_definitions.get_by_handle": (lambda c: c.benefit_definitions.get_by_handle("vip"), "GET", "/benefits/definitions/handle/vip", {}, None, ONE, BenefitDefinition),
    # rewards: extend sends a JSON body (the JS SDK's query params are a QUIRK)
    "rewards.extend": (lambda c: c.rewards.extend(EXTEND), "POST", "/rewards/extend", {}, EXTEND, ARRAY, ("envelope", Reward)),
    "rewards.trigger_target": (lambda c: c.rewards.trigger_target(4, "expiry"), "GET", "/rewards/4/trigger-target/expiry", {}, None, {"data": {"html": "x"}}, ("raw", {"data": {"html": "x"}})),
    # benefits
    "benefits.extend": (lambda c: c.benefits.extend(EXTEND), "POST", "/benefits/extend", {}, EXTEND, ARRAY, ("envelope", Benefit)),
    "benefits.count": (lambda c: c.benefits.count(), "GET", "/benefits.count", {}, None, {"data": {"countAll": 4, "countRedeemed": 1}}, BenefitCount),
    "benefits.get_trigger_target": (lambda c: c.benefits.get_trigger_target(4, "issue"), "GET", "/benefits/4/trigger-target/issue", {}, None, {"data": {"id": 9}}, ("raw", {"id": 9})),
    # credits
    "credits.extend": (lambda c: c.credits.extend({"ids": [5], "profile_id": "p1"}), "POST", "/credits/extend", {}, {"ids": [5], "profile_id": "p1"}, ARRAY, ("envelope", Credit)),
    # points, tier points: get / list / create only
    "points.get": (lambda c: c.points.get(2), "GET", "/points/2", {}, None, ONE, Point),
    "points.list": (lambda c: c.points.list(), "GET", "/points", {}, None, MANY, ("page", Point)),
    "points.create": (lambda c: c.points.create({"profile_id": "p1", "value_initial": 10}), "POST", "/points", {}, {"profile_id": "p1", "value_initial": 10}, ONE, Point),
    "tier_points.get": (lambda c: c.tier_points.get(2), "GET", "/tiers/points/2", {}, None, ONE, TierPoint),
    "tier_points.list": (lambda c: c.tier_points.list({"page": {"size": 5}}), "GET", "/tiers/points", {"page[size]": "5"}, None, MANY, ("page", TierPoint)),
    "tier_points.create": (lambda c: c.tier_points.create({"profile_id": "p1", "value": 50}), "POST", "/tiers/points", {}, {"profile_id": "p1", "value": 50}, ONE, TierPoint),
    # rates
    "rates.calculate": (lambda c: c.rates.calculate({"point_definition_handle": "pts", "value": 100}), "POST", "/rates/calculate", {}, {"point_definition_handle": "pts", "value": 100}, {"total": 150.5}, RateCalculation),
    "rates.search_attributes": (lambda c: c.rates.search_attributes("code", {"q": "VIP"}), "GET", "/rates/searchAttributes/code", {"q": "VIP"}, None, ["VIP1", "VIP2"], ("raw", ["VIP1", "VIP2"])),
    # redemptions
    "redemptions.get": (lambda c: c.redemptions.get(8), "GET", "/redemptions/8", {}, None, ONE, Redemption),
    "redemptions.list": (lambda c: c.redemptions.list({"filter": {"profile_id": "p1"}}), "GET", "/redemptions", {"filter[profile_id]": "p1"}, None, MANY, ("page", Redemption)),
    "redemptions.return_": (lambda c: c.redemptions.return_(8), "POST", "/redemptions/8/return", {}, None, ONE, SuccessfulRedemption),
    "redemptions.return_ partial": (lambda c: c.redemptions.return_(8, {"amount": 5, "strategies": ["rewards"]}), "POST", "/redemptions/8/return", {}, {"amount": 5, "strategies": ["rewards"]}, ONE, SuccessfulRedemption),
    "redemptions.reversal": (lambda c: c.redemptions.reversal(8), "POST", "/redemptions/8/reversal", {}, None, ONE, SuccessfulRedemption),
    "redemptions.benefit_return": (lambda c: c.redemptions.benefit_return(8), "POST", "/redemptions/8/benefit/return", {}, None, ONE, Redemption),
    "redemptions.benefit_return count": (lambda c: c.redemptions.benefit_return(8, count=2), "POST", "/redemptions/8/benefit/return", {}, {"count": 2}, ONE, Redemption),
    "redemptions.group_by": (lambda c: c.redemptions.group_by("location_id"), "GET", "/redemptions/group/location_id", {}, None, {"data": [{"location_id": 3, "redemptions": {"data": []}}]}, ("raw", [{"location_id": 3, "redemptions": {"data": []}}])),
    "redemptions.items.get": (lambda c: c.redemptions.items.get(6), "GET", "/redemptions/items/6", {}, None, ONE, RedemptionItem),
    "redemptions.items.list": (lambda c: c.redemptions.items.list(), "GET", "/redemptions/items", {}, None, MANY, ("page", RedemptionItem)),
    # allocations
    "allocations.list": (lambda c: c.allocations.list({"filter": {"benefit_definition_id": {"eq": 3}}}), "GET", "/allocations", {"filter[benefit_definition_id][eq]": "3"}, None, MANY, ("page", Allocation)),
    "allocations.count": (lambda c: c.allocations.count(3), "GET", "/allocations/3/count", {}, None, {"data": {"count": 12}}, ("raw", {"count": 12})),
    # profiles.*
    "profiles.redeem": (lambda c: c.profiles.redeem("p1", Decimal("12.50"), {"order": "A1"}), "POST", "/profiles/p1/redeem", {}, {"amount": 12.50, "meta": {"order": "A1"}}, ONE, SuccessfulRedemption),
    "profiles.redeem no meta": (lambda c: c.profiles.redeem("p1", 5), "POST", "/profiles/p1/redeem", {}, {"amount": 5}, ONE, SuccessfulRedemption),
    "profiles.rewards.get": (lambda c: c.profiles.rewards.get("p1", 4), "GET", "/profiles/p1/rewards/4", {}, None, ONE, Reward),
    "profiles.rewards.list": (lambda c: c.profiles.rewards.list("p1", {"page": {"number": 2}}), "GET", "/profiles/p1/rewards", {"page[number]": "2"}, None, MANY, ("page", Reward)),
    "profiles.points.get": (lambda c: c.profiles.points.get("p1", 4), "GET", "/profiles/p1/points/4", {}, None, ONE, Point),
    "profiles.points.list": (lambda c: c.profiles.points.list("p1"), "GET", "/profiles/p1/points", {}, None, MANY, ("page", Point)),
    "profiles.credits.list": (lambda c: c.profiles.credits.list("p1"), "GET", "/profiles/p1/credits", {}, None, MANY, ("page", Credit)),
    "profiles.credits.redeem": (lambda c: c.profiles.credits.redeem("p1", 5, {"amount": 20}), "POST", "/profiles/p1/credits/5/redeem", {}, {"amount": 20}, ONE, Redemption),
    "profiles.benefits.get": (lambda c: c.profiles.benefits.get("p1", 4), "GET", "/profiles/p1/benefits/4", {}, None, ONE, Benefit),
    "profiles.benefits.list": (lambda c: c.profiles.benefits.list("p1"), "GET", "/profiles/p1/benefits", {}, None, MANY, ("page", Benefit)),
    "profiles.benefits.update": (lambda c: c.profiles.benefits.update("p1", 4, {"meta": {"a": 1}}), "PUT", "/profiles/p1/benefits/4", {}, {"meta": {"a": 1}}, ONE, Benefit),
    "profiles.benefits.delete": (lambda c: c.profiles.benefits.delete("p1", 4), "DELETE", "/profiles/p1/benefits/4", {}, None, None, None),
    "profiles.benefits.redeem": (lambda c: c.profiles.benefits.redeem("p1", 4), "POST", "/profiles/p1/benefits/4/redeem", {}, None, ONE, Redemption),
    "profiles.benefits.redeem count": (lambda c: c.profiles.benefits.redeem("p1", 4, count=2), "POST", "/profiles/p1/benefits/4/redeem", {}, {"count": 2}, ONE, Redemption),
    "profiles.benefits.viewable": (lambda c: c.profiles.benefits.viewable("p1"), "GET", "/profiles/p1/benefits/viewable", {}, None, ARRAY, ("list", BenefitDefinition)),
    "profiles.benefits.claimable": (lambda c: c.profiles.benefits.claimable("p1"), "GET", "/profiles/p1/benefits/claimable", {}, None, ARRAY, ("list", BenefitDefinition)),
    "profiles.benefits.claim": (lambda c: c.profiles.benefits.claim("p1", {"benefit_definition_id": 3}), "POST", "/profiles/p1/benefits/claim", {}, {"benefit_definition_id": 3}, ONE, Benefit),
    "profiles.benefits.claim_redeem": (lambda c: c.profiles.benefits.claim_redeem("p1", {"benefit_definition_id": 3}), "POST", "/profiles/p1/benefits/claim-redeem", {}, {"benefit_definition_id": 3}, ONE, Redemption),
    "profiles.benefits.redeemable": (lambda c: c.profiles.benefits.redeemable("p1"), "GET", "/profiles/p1/redeemable_benefits", {}, None, MANY, ("page", Benefit)),
    "profiles.tiers.list": (lambda c: c.profiles.tiers.list("p1"), "GET", "/profiles/p1/tiers", {}, None, ONE, TierProgress),
    "profiles.tiers.calculate": (lambda c: c.profiles.tiers.calculate("p1"), "GET", "/profiles/p1/tiers/calculate", {}, None, ONE, TierProgress),
    "profiles.tiers.assign": (lambda c: c.profiles.tiers.assign("p1", "gold"), "POST", "/profiles/p1/tiers/assign", {}, {"tier": "gold"}, ONE, TierProgress),
    "profiles.tiers.points": (lambda c: c.profiles.tiers.points("p1"), "GET", "/profiles/p1/tiers/points", {}, None, MANY, ("page", TierPoint)),
    "profiles.balances.get": (lambda c: c.profiles.balances.get("p1"), "GET", "/profiles/p1/balances", {}, None, ONE, Balances),
    "profiles.balances.get currency": (lambda c: c.profiles.balances.get("p1", currency="NZD"), "GET", "/profiles/p1/balances", {"currency": "NZD"}, None, ONE, Balances),
    "profiles.ledgers.get": (lambda c: c.profiles.ledgers.get("p1", 9), "GET", "/profiles/p1/ledgers/9", {}, None, ONE, LedgerEntry),
    "profiles.ledgers.list": (lambda c: c.profiles.ledgers.list("p1"), "GET", "/profiles/p1/ledgers", {}, None, ARRAY, ("list", LedgerEntry)),
    "profiles.redemptions.get": (lambda c: c.profiles.redemptions.get("p1", 8), "GET", "/profiles/p1/redemptions/8", {}, None, ONE, Redemption),
    "profiles.redemptions.list": (lambda c: c.profiles.redemptions.list("p1"), "GET", "/profiles/p1/redemptions", {}, None, MANY, ("page", Redemption)),
    "profiles.redemptions.count": (lambda c: c.profiles.redemptions.count("p1", "benefit", 4), "GET", "/profiles/p1/redemptions/benefit/4/count", {}, None, {"data": {"count": 2}}, RedemptionCount),
    "profiles.redemptions.create": (
        lambda c: c.profiles.redemptions.create("p1", {"amount": 15, "strategies": ["rewards", "points"], "transaction_external_id": "ORDER-1"}),
        "POST", "/profiles/p1/redemptions", {},
        {"amount": 15, "strategies": ["rewards", "points"], "transaction_external_id": "ORDER-1"}, ONE, Redemption,
    ),
    "profiles.achievements.list": (lambda c: c.profiles.achievements.list("p1"), "GET", "/profiles/p1/achievements", {}, None, ARRAY, ("list", ProfileAchievement)),
    "profiles.achievements.create": (lambda c: c.profiles.achievements.create("p1", {"definition_id": 2, "count": 1}), "POST", "/profiles/p1/achievements", {}, {"definition_id": 2, "count": 1}, ONE, ProfileAchievement),
    "profiles.achievements.get_points": (lambda c: c.profiles.achievements.get_points("p1", 2), "GET", "/profiles/p1/achievements/2/achievement-points", {}, None, MANY, ("page", AchievementPoint)),
}  # fmt: skip

CASES: dict[str, Case] = {**dict(_crud_cases()), **SPECIAL}


def check_result(result: Any, what: Any, page_cls: type[Any] = Page) -> None:
    if what is None:
        assert result is None
    elif isinstance(what, tuple) and what[0] == "raw":
        assert result == what[1]
    elif isinstance(what, tuple) and what[0] == "page":
        assert isinstance(result, page_cls) and result.data and all(isinstance(x, what[1]) for x in result.data)
    elif isinstance(what, tuple) and what[0] == "list":
        assert isinstance(result, list) and result and all(isinstance(x, what[1]) for x in result)
    elif isinstance(what, tuple) and what[0] == "envelope":
        assert isinstance(result, Envelope) and result.data and all(isinstance(x, what[1]) for x in result.data)
    else:
        assert isinstance(result, what)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_admin_request_and_result(stub: ScriptedServer, client: Omneo, case: Case) -> None:
    call, method, path, query, body, reply, what = case
    stub.script = [Reply(204 if reply is None else 200, reply)]
    result = call(client)
    (sent,) = stub.requests
    assert (sent.method, sent.path, sent.query) == (method, "/api/v3" + path, query)
    assert (sent.json() if sent.body else None) == body
    check_result(result, what)


def test_every_catalogue_method_exists(client: Omneo) -> None:
    expected = {
        "achievement_definitions": "get list create update delete",
        "allocations": "list count",
        "benefit_definitions": "get clone get_by_handle list create update delete",
        "benefits": "get list create update delete extend count get_trigger_target",
        "credit_definitions": "get list create update delete",
        "credits": "get list create extend update delete",
        "point_definitions": "get list create update delete",
        "points": "get list create",
        "rates": "list get create update delete calculate search_attributes",
        "redemptions": "list get return_ reversal benefit_return group_by",
        "redemptions.items": "list get",
        "reward_definitions": "get list create update delete",
        "rewards": "get list create update delete trigger_target extend",
        "tier_definitions": "get list create update delete",
        "tier_points": "get list create",
        "profiles.achievements": "get_points list create",
        "profiles.balances": "get",
        "profiles.benefits": "get list update delete redeem viewable claimable claim claim_redeem redeemable",
        "profiles.credits": "list redeem",
        "profiles.ledgers": "get list",
        "profiles.points": "get list",
        "profiles.redemptions": "get list count create",
        "profiles.rewards": "get list",
        "profiles.tiers": "list calculate assign points",
    }
    for dotted, methods in expected.items():
        ns: Any = client
        for part in dotted.split("."):
            ns = getattr(ns, part)
        for method in methods.split():
            assert callable(getattr(ns, method)), f"{dotted}.{method}"
    assert callable(client.profiles.redeem)


def test_models_parse_money_as_decimal_and_keep_unknown_fields(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [
        Reply(
            200,
            {
                "data": {
                    "id": 51,
                    "profile_id": "p1",
                    "total": 15.0,
                    "transaction_external_id": "ORDER-10333",
                    "items": [{"type": "reward", "value": 15.10, "count": 1, "type_attributes": {"id": 7}}],
                    "balances": {"reward_balance": 15.0, "point_balance": 0, "combined_balance_dollars": 15.0},
                    "future_field": True,
                }
            },
        )
    ]
    redemption = client.profiles.redeem("p1", "15.00")
    assert stub.requests[0].body == b'{"amount":"15.00"}'
    assert redemption.total == Decimal("15.0") and redemption.items[0].value == Decimal("15.10")
    assert redemption.balances is not None and redemption.balances.reward_balance == Decimal("15.0")
    assert redemption.model_extra == {"future_field": True}

    stub.script = [
        Reply(
            200,
            {
                "data": {
                    "current_tier": {"id": 2, "handle": "gold", "value_min": 1000},
                    "next_tier": None,
                    "current_credit": 250,
                    "total_points_12m": "1250.50",
                    "achieved_at": "2025-06-15 14:32:00",
                }
            },
        )
    ]
    progress = client.profiles.tiers.calculate("p1")
    assert progress.current_tier is not None and progress.current_tier.value_min == Decimal("1000")
    assert progress.total_points_12m == Decimal("1250.50") and progress.achieved_at is not None

    stub.script = [Reply(200, {"data": {"countAll": 4, "countRedeemed": 1}})]
    assert client.benefits.count().count_redeemed == 1


# -- async ------------------------------------------------------------------------------------------


async def test_async_admin(stub: ScriptedServer, aclient: AsyncOmneo) -> None:
    stub.script = [Reply(200, ARRAY)]
    extended = await aclient.rewards.extend(EXTEND)
    assert isinstance(extended.data[0], Reward)
    stub.script = [Reply(200, MANY)]
    rewards = await aclient.rewards.list({"filter": {"profile_id": "p1"}})
    assert isinstance(rewards, AsyncPage) and isinstance(rewards.data[0], Reward)
    stub.script = [Reply(200, ONE)]
    assert isinstance(await aclient.profiles.tiers.assign("p1", "gold"), TierProgress)
    assert isinstance(await aclient.redemptions.reversal(8), SuccessfulRedemption)
    assert isinstance(await aclient.profiles.redemptions.create("p1", {"amount": 5}), Redemption)
    stub.script = [Reply(200, ARRAY)]
    assert isinstance((await aclient.profiles.ledgers.list("p1"))[0], LedgerEntry)
    assert [(r.method, r.path, r.query, r.body and r.json()) for r in stub.requests] == [
        ("POST", "/api/v3/rewards/extend", {}, EXTEND),
        ("GET", "/api/v3/rewards", {"filter[profile_id]": "p1"}, b""),
        ("POST", "/api/v3/profiles/p1/tiers/assign", {}, {"tier": "gold"}),
        ("POST", "/api/v3/redemptions/8/reversal", {}, b""),
        ("POST", "/api/v3/profiles/p1/redemptions", {}, {"amount": 5}),
        ("GET", "/api/v3/profiles/p1/ledgers", {}, b""),
    ]


# -- the ID client: /profiles/me ---------------------------------------------------------------------


@pytest.fixture
def me(stub: ScriptedServer, http: httpx.Client) -> ID:
    return ID(base_url=f"{stub.origin}/id/api/v1", id_token="idtok", max_retries=0, http_client=http)


@pytest.fixture
def ame(stub: ScriptedServer, ahttp: httpx.AsyncClient) -> AsyncID:
    return AsyncID(base_url=f"{stub.origin}/id/api/v1", id_token="idtok", max_retries=0, http_client=ahttp)


IDCase = tuple[Callable[[ID], Any], str, str, dict[str, str], Any, Any, Any]

ID_CASES: dict[str, IDCase] = {
    "achievements.get_points": (lambda m: m.profile.achievements.get_points(2), "GET", "/achievements/2/achievement-points", {}, None, MANY, ("page", AchievementPoint)),
    "achievements.list": (lambda m: m.profile.achievements.list(), "GET", "/achievements", {}, None, ARRAY, ("list", ProfileAchievement)),
    "achievements.create": (lambda m: m.profile.achievements.create({"definition_id": 2, "count": 1}), "POST", "/achievements", {}, {"definition_id": 2, "count": 1}, ONE, ProfileAchievement),
    "balances.get": (lambda m: m.profile.balances.get(), "GET", "/balances", {}, None, ONE, Balances),
    "benefits.get": (lambda m: m.profile.benefits.get(4), "GET", "/benefits/4", {}, None, ONE, Benefit),
    "benefits.list": (lambda m: m.profile.benefits.list(), "GET", "/benefits", {}, None, MANY, ("page", Benefit)),
    "benefits.redeem": (lambda m: m.profile.benefits.redeem(4), "POST", "/benefits/4/redeem", {}, None, ONE, Redemption),
    "benefits.viewable": (lambda m: m.profile.benefits.viewable(), "GET", "/benefits/viewable", {}, None, ARRAY, ("list", BenefitDefinition)),
    "benefits.claimable": (lambda m: m.profile.benefits.claimable(), "GET", "/benefits/claimable", {}, None, ARRAY, ("list", BenefitDefinition)),
    "benefits.claim": (lambda m: m.profile.benefits.claim({"handle": "gift"}), "POST", "/benefits/claim", {}, {"handle": "gift"}, ONE, Benefit),
    "benefits.claim_redeem": (lambda m: m.profile.benefits.claim_redeem({"handle": "gift"}), "POST", "/benefits/claim-redeem", {}, {"handle": "gift"}, ONE, Redemption),
    "benefits.redeemable": (lambda m: m.profile.benefits.redeemable(), "GET", "/redeemable_benefits", {}, None, MANY, ("page", Benefit)),
    "credits.list": (lambda m: m.profile.credits.list(), "GET", "/credits", {}, None, MANY, ("page", Credit)),
    "credits.redeem": (lambda m: m.profile.credits.redeem(5, {"amount": 20}), "POST", "/credits/5/redeem", {}, {"amount": 20}, ONE, Redemption),
    "ledgers.get": (lambda m: m.profile.ledgers.get(9), "GET", "/ledgers/9", {}, None, ONE, LedgerEntry),
    "ledgers.list (FULL)": (lambda m: m.profile.ledgers.list(), "GET", "/ledgers", {}, None, ARRAY, ("envelope", LedgerEntry)),
    "points.get": (lambda m: m.profile.points.get(3), "GET", "/points/3", {}, None, ONE, Point),
    "points.list": (lambda m: m.profile.points.list(), "GET", "/points", {}, None, MANY, ("page", Point)),
    "redemptions.get": (lambda m: m.profile.redemptions.get(8), "GET", "/redemptions/8", {}, None, ONE, Redemption),
    "redemptions.list": (lambda m: m.profile.redemptions.list(), "GET", "/redemptions", {}, None, MANY, ("page", Redemption)),
    "redemptions.count": (lambda m: m.profile.redemptions.count("reward", 7), "GET", "/redemptions/reward/7/count", {}, None, {"data": {"count": 1}}, RedemptionCount),
    "rewards.get": (lambda m: m.profile.rewards.get(7), "GET", "/rewards/7", {}, None, ONE, Reward),
    "rewards.list": (lambda m: m.profile.rewards.list(), "GET", "/rewards", {}, None, MANY, ("page", Reward)),
    "tiers.list": (lambda m: m.profile.tiers.list(), "GET", "/tiers", {}, None, ONE, TierProgress),
    "tiers.calculate": (lambda m: m.profile.tiers.calculate(), "GET", "/tiers/calculate", {}, None, ONE, TierProgress),
    "tiers.assign": (lambda m: m.profile.tiers.assign("gold"), "POST", "/tiers/assign", {}, {"tier": "gold"}, ONE, TierProgress),
    "tiers.points": (lambda m: m.profile.tiers.points(), "GET", "/tiers/points", {}, None, MANY, ("page", TierPoint)),
    "redeem": (lambda m: m.profile.redeem(Decimal("9.95")), "POST", "/redeem", {}, {"amount": 9.95}, ONE, SuccessfulRedemption),
}  # fmt: skip


@pytest.mark.parametrize("case", ID_CASES.values(), ids=ID_CASES.keys())
def test_id_request_and_result(stub: ScriptedServer, me: ID, case: IDCase) -> None:
    call, method, path, query, body, reply, what = case
    stub.script = [Reply(200, reply)]
    result = call(me)
    (sent,) = stub.requests
    assert (sent.method, sent.path, sent.query) == (method, "/id/api/v1/profiles/me" + path, query)
    assert sent.headers["authorization"] == "Bearer idtok"
    assert (sent.json() if sent.body else None) == body
    check_result(result, what)


def test_id_connection_view_keeps_the_id_flavour(stub: ScriptedServer, me: ID) -> None:
    stub.script = [Reply(200, ARRAY)]
    entries = me.profile.connection(12).ledgers.list()
    assert isinstance(entries, Envelope) and isinstance(entries.data[0], LedgerEntry)
    assert stub.requests[0].path == "/id/api/v1/profiles/connection/12/ledgers"
    assert "ledgers" in dir(me.profile) and "tiers" in dir(me.profile)


async def test_async_id(stub: ScriptedServer, ame: AsyncID) -> None:
    stub.script = [Reply(200, ONE)]
    assert isinstance(await ame.profile.redeem(10), SuccessfulRedemption)
    assert isinstance(await ame.profile.tiers.calculate(), TierProgress)
    stub.script = [Reply(200, ARRAY)]
    ledgers = await ame.profile.ledgers.list()
    assert isinstance(ledgers, Envelope) and isinstance(ledgers.data[0], LedgerEntry)
    stub.script = [Reply(200, MANY)]
    page = await ame.profile.benefits.redeemable({"page": {"size": 2}})
    assert isinstance(page, AsyncPage) and isinstance(page.data[0], Benefit)
    assert [(r.method, r.path, r.query, r.body and r.json()) for r in stub.requests] == [
        ("POST", "/id/api/v1/profiles/me/redeem", {}, {"amount": 10}),
        ("GET", "/id/api/v1/profiles/me/tiers/calculate", {}, b""),
        ("GET", "/id/api/v1/profiles/me/ledgers", {}, b""),
        ("GET", "/id/api/v1/profiles/me/redeemable_benefits", {"page[size]": "2"}, b""),
    ]
