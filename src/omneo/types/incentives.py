"""Incentives, redemptions and the ledger (entities.md §3, §5): definitions and their instances
(rewards, benefits, points, credits, tiers, achievements), rates, redemptions, ledger entries and
allocations. Every field is optional and unknown fields are kept, so a model also serves as a
partial body and survives fields the server adds. Money and point amounts are ``Decimal``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import Money, OmneoModel, Timestamp
from .commerce import Location
from .platform import Currency, Region
from .profiles import Balances

__all__ = [
    "AchievementDefinition",
    "AchievementDisplayOption",
    "AchievementLevel",
    "AchievementPeriod",
    "AchievementPoint",
    "Allocation",
    "Benefit",
    "BenefitCount",
    "BenefitDefinition",
    "BenefitType",
    "Credit",
    "CreditDefinition",
    "CreditType",
    "LedgerEntry",
    "PeriodType",
    "Point",
    "PointDefinition",
    "ProfileAchievement",
    "ProfileSummary",
    "Rate",
    "RateCalculation",
    "Redemption",
    "RedemptionCount",
    "RedemptionItem",
    "RedemptionItemType",
    "RedemptionTransaction",
    "Reward",
    "RewardDefinition",
    "RewardType",
    "SuccessfulRedemption",
    "Tier",
    "TierDefinition",
    "TierPoint",
    "TierProgress",
]

PeriodType = Literal["days", "weeks", "months", "years", "absolute_date", "absolute_week", "absolute_month", "hours"]
"""Validity period units (``hours`` only for point ``issue_period_type``)."""
RewardType = Literal[
    "activation", "anniversary", "birthday", "bonus", "campaign", "customer-service", "reactivation", "spend",
    "staff", "system-adjustment", "tier", "achievement", "status", "points", "referral", "other",
]  # fmt: skip
BenefitType = Literal["discount", "value", "competition", "event", "gift", "voucher", "bonus", "other"]
CreditType = Literal["gift_card", "store_credit", "refund", "allowance", "voucher", "other"]
AchievementDisplayOption = Literal["visible", "hidden", "mystery", "internal"]
AchievementPeriod = Literal["monthly", "weekly", "fortnightly", "daily", "yearly"]
RedemptionItemType = Literal["reward", "point", "benefit", "credit"]


class _Record(OmneoModel):
    id: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class ProfileSummary(OmneoModel):
    """The profile as embedded in a redemption or ledger entry."""

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    statuses: list[Any] = []


# -- definitions ------------------------------------------------------------------------------------


class _Definition(_Record):
    """Fields every incentive definition shares."""

    name: str | None = None
    handle: str | None = None
    description: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    terms_conditions: str | None = None
    earn_instructions: str | None = None
    internal_notes: str | None = None
    icon: str | None = None
    image_url: str | None = None
    is_published: bool | None = None
    is_archived: bool | None = None
    currency: str | None = None
    region_id: int | None = None
    region: Region | None = None
    tags: list[str] = []
    meta: Any = None


class _Validity(OmneoModel):
    """Validity of the instances a definition issues: ``period`` ``period_type`` units or an
    ``absolute_expiry``, and whether they may be extended, auto-assigned or reassigned."""

    period: int | None = None
    period_type: PeriodType | str | None = None
    absolute_expiry: Timestamp = None
    is_extendable: bool | None = None
    extend_days: int | None = None
    is_assignable: bool | None = None
    is_reassignable: bool | None = None


class _Notify(OmneoModel):
    """Target (message template) ids and notification offsets."""

    issue_target_id: int | None = None
    expiry_target_id: int | None = None
    extend_target_id: int | None = None
    remind_target_id: int | None = None
    release_target_id: int | None = None
    notify_issue_offset: int | None = None
    notify_expiry_offset: int | None = None
    notify_schedule_offset: int | None = None
    notify_issue_offset_days: int | None = None
    notify_issue_offset_hour: int | None = None
    notify_remind_offset_days: int | None = None
    notify_remind_offset_hour: int | None = None
    notify_extend_offset_days: int | None = None
    notify_extend_offset_hour: int | None = None


class RewardDefinition(_Definition, _Validity, _Notify):
    """A kind of dollar-off reward (entities.md §3.1); create needs ``name, handle, value, type,
    period, absolute_expiry``."""

    type: RewardType | str | None = None
    value: Money | None = None
    max_value: Money | None = None


class BenefitDefinition(_Definition, _Validity, _Notify):
    """A kind of non-monetary entitlement (entities.md §3.3), issued or claimed; ``claim_condition``
    and ``view_condition`` are JSON Logic."""

    type: BenefitType | str | None = None
    value: Money | None = None
    campaign: str | None = None
    same_campaign_count: int | None = None
    end_at: Timestamp = None
    max_redemptions: int | None = None
    max_global_redemptions: int | None = None
    total_global_redemptions: int | None = None
    total_global_redemptions_remaining: int | None = None
    total_global_created: int | None = None
    total_allocations: int | None = None
    total_allocations_remaining: int | None = None
    is_claimable: bool | None = None
    is_reclaimable: bool | None = None
    force_allocation: bool | None = None
    allow_user_redeem: bool | None = None
    claim_period_start_at: Timestamp = None
    claim_period_end_at: Timestamp = None
    claim_condition: Any = None
    view_condition: Any = None
    visibility_condition: Any = None
    claim_timeframe: str | None = None
    redeem_code_pos: str | None = None
    redeem_code_online: str | None = None
    redeem_instructions_store: str | None = None
    redeem_instructions_online: str | None = None
    external_id: str | None = None


class PointDefinition(_Definition, _Validity):
    """A kind of points (entities.md §3.5); ``issue_period`` delays when issued points become
    spendable."""

    type: str | None = None
    notes: str | None = None
    issue_period: int | None = None
    issue_period_type: PeriodType | str | None = None
    issue_absolute_expiry: Timestamp = None


class CreditDefinition(_Definition, _Validity, _Notify):
    """A kind of stored value (gift card, store credit… entities.md §3.7)."""

    type: CreditType | str | None = None
    value: Money | None = None
    max_value: Money | None = None
    timezone: str | None = None
    release_period: int | None = None
    release_period_type: PeriodType | str | None = None
    release_period_absolute_expiry: Timestamp = None
    is_releasable: bool | None = None
    require_creator: bool | None = None
    require_assigned: bool | None = None
    require_security_code: bool | None = None
    use_custom_numbers: bool | None = None
    credit_number_range_type: str | None = None
    credit_number_range_start: str | None = None
    credit_number_range_end: str | None = None
    credit_number_length: int | None = None
    security_code_type: str | None = None
    primary_colour: str | None = None
    secondary_colour: str | None = None
    currency_id: int | None = None
    custom_fields: list[Any] = []


class TierDefinition(_Definition):
    """A tier (entities.md §3.9): attained at ``value_min`` tier points over 12 months, kept at
    ``value_maintain``."""

    value_min: Money | None = None
    value_maintain: Money | None = None
    is_floor: bool | None = None
    is_assignable: bool | None = None
    disable_credit: bool | None = None


class AchievementLevel(OmneoModel):
    """One level of an achievement: reached at ``trigger`` counts (every ``repeat_interval`` more
    when it ``repeats``); ``meta.unlocks`` lists what it issues."""

    id: int | None = None
    achievement_definition_id: int | None = None
    name: str | None = None
    description: str | None = None
    display_number: int | None = None
    trigger: int | None = None
    repeats: bool | None = None
    repeat_interval: int | None = None
    allow_multiple_earn: bool | None = None
    computed_display_number: int | None = None
    computed_trigger: int | None = None
    meta: Any = None


class AchievementDefinition(_Definition):
    """An achievement (entities.md §3.13): counts and ``levels``; create needs ``name, handle,
    levels``."""

    type: str | None = None
    display_level: bool | None = None
    display_option: AchievementDisplayOption | str | None = None
    enable_annual_earn_cycle: bool | None = None
    period: AchievementPeriod | str | None = None
    timezone: str | None = None
    starts_at: Timestamp = None
    ends_at: Timestamp = None
    levels: list[AchievementLevel] = []


# -- instances --------------------------------------------------------------------------------------


class _Issued(_Record):
    """Fields every issued incentive shares."""

    profile_id: str | None = None
    timezone: str | None = None
    issued_at: Timestamp = None
    expires_at: Timestamp = None
    extended_at: Timestamp = None
    is_expired: bool | None = None
    external_id: str | None = None
    source_id: int | None = None
    source_type: str | None = None
    meta: Any = None


class Reward(_Issued):
    """A reward held by a profile (entities.md §3.2); its unspent ``value_remaining`` counts in the
    reward balance while active."""

    reward_definition_id: int | None = None
    definition: RewardDefinition | None = None
    value_initial: Money | None = None
    value_remaining: Money | None = None
    issued_local_at: Timestamp = None
    expires_local_at: Timestamp = None
    notify_issue_at: Timestamp = None
    notify_expiry_at: Timestamp = None
    has_notified_issue: bool | None = None
    has_notified_expiry: bool | None = None
    has_notified_extend: bool | None = None
    is_active: bool | None = None


class Benefit(_Issued):
    """A benefit held by a profile (entities.md §3.4), redeemable ``redemptions_remaining`` times."""

    benefit_definition_id: int | None = None
    definition: BenefitDefinition | None = None
    value: Money | None = None
    claimed_at: Timestamp = None
    is_redeemable: bool | None = None
    is_combined: bool | None = None
    redemptions_remaining: int | None = None
    total_global_redemptions_remaining: int | None = None
    redeem_code_pos: str | None = None
    redeem_code_online: str | None = None
    combine_meta: Any = None


class BenefitCount(OmneoModel):
    """``benefits.count()``: ``{countAll, countRedeemed}`` (``count_all``, ``count_redeemed``)."""

    count_all: int | None = Field(default=None, alias="countAll")
    count_redeemed: int | None = Field(default=None, alias="countRedeemed")


class Point(_Issued):
    """Points held by a profile (entities.md §3.6): earned at ``issued_at``, spendable from
    ``accrued_at``; ``rate`` is the rate record (or multiplier) applied."""

    point_definition_id: int | None = None
    definition: PointDefinition | None = None
    linked_profile_id: str | None = None
    value_initial: Money | None = None
    value_remaining: Money | None = None
    value_initial_currency: Money | None = None
    value_remaining_currency: Money | None = None
    status: str | None = None
    accrued_at: Timestamp = None
    rate: Rate | Money | None = None
    source: Any = None
    description: str | None = None


class Credit(_Issued):
    """Stored value held by a profile (entities.md §3.8)."""

    credit_definition_id: int | None = None
    definition: CreditDefinition | None = None
    creator_profile_id: str | None = None
    staff_id: str | None = None
    location_id: int | None = None
    name: str | None = None
    credit_number: str | None = None
    security_code: str | None = None
    value_initial: Money | None = None
    value_remaining: Money | None = None
    released_at: Timestamp = None
    lock_expires_at: Timestamp = None
    locked: bool | None = None
    is_imported: bool | None = None
    is_system_generated: bool | None = None
    has_notified_issue: bool | None = None
    has_notified_expiry: bool | None = None
    has_notified_release: bool | None = None
    has_notified_remind: bool | None = None
    has_notified_extend: bool | None = None
    recipient_first_name: str | None = None
    recipient_email: str | None = None
    message: str | None = None
    external_namespace: str | None = None


class Tier(OmneoModel):
    """A profile's current tier as embedded in the profile (entities.md §3.10)."""

    id: int | None = None
    profile_id: str | None = None
    name: str | None = None
    handle: str | None = None
    achieved_at: Timestamp = None
    anniversary_at: Timestamp = None
    maintained_at: Timestamp = None
    assigned_at: Timestamp = None


class TierProgress(_Record):
    """A profile's tier standing (entities.md §3.11): ``profiles.tiers.list / calculate / assign``."""

    profile_id: str | int | None = None
    current_tier: TierDefinition | None = None
    next_tier: TierDefinition | None = None
    prev_tier: TierDefinition | None = None
    is_floor: bool | None = None
    current_credit: Money | None = None
    current_progress: Money | None = None
    current_remain: Money | None = None
    next_progress: Money | None = None
    next_remain: Money | None = None
    total_points_12m: Money | None = None
    total_points_achievement: Money | None = None
    next_progress_change_at: Timestamp = None
    achieved_at: Timestamp = None
    anniversary_at: Timestamp = None
    maintained_at: Timestamp = None
    assigned_at: Timestamp = None


class TierPoint(_Record):
    """Tier points (entities.md §3.12): count towards tiers only, never redeemable."""

    profile_id: str | None = None
    point_definition_id: int | None = None
    value: Money | None = None
    status: str | None = None
    issued_at: Timestamp = None
    accrued_at: Timestamp = None
    source_id: int | None = None
    source_type: str | None = None
    source: Any = None
    meta: Any = None


class ProfileAchievement(_Record):
    """A profile's progress on one achievement: its ``count`` and the level reached (``level`` is
    a number or a level record depending on the server; ``current_level`` / ``next_level`` the
    records around it)."""

    profile_id: str | None = None
    definition_id: int | None = None
    achievement_definition_id: int | None = None
    definition: AchievementDefinition | None = None
    count: int | None = None
    level: int | AchievementLevel | None = None
    current_level: AchievementLevel | int | None = None
    next_level: AchievementLevel | int | None = None
    issued_at: Timestamp = None
    expires_at: Timestamp = None
    meta: Any = None


class AchievementPoint(_Record):
    """One count added to a profile's achievement (``profiles.achievements.get_points``)."""

    profile_id: str | None = None
    achievement_definition_id: int | None = None
    definition_id: int | None = None
    count: int | None = None
    issued_at: Timestamp = None
    expires_at: Timestamp = None
    meta: Any = None


class Rate(_Record):
    """A points earn rate: a multiplier for a point definition under location, region, time, code
    and JSON Logic ``profile_conditions`` / ``product_conditions``."""

    point_definition_id: int | None = None
    point_definition_handle: str | None = None
    name: str | None = None
    description: str | None = None
    rate: Money | None = None
    start_time: Timestamp = None
    end_time: Timestamp = None
    location_id: int | None = None
    region_id: int | None = None
    country_iso_2: str | None = None
    code: str | None = None
    profile_conditions: Any = None
    product_conditions: Any = None
    rate_priority: str | None = None
    issue_period: int | None = None
    issue_period_type: PeriodType | str | None = None
    is_published: bool | None = None
    is_archived: bool | None = None
    meta: Any = None


class RateCalculation(OmneoModel):
    """``rates.calculate``: ``{total}``."""

    total: Money | None = None


# -- redemptions, ledger, allocations ----------------------------------------------------------------


class RedemptionItem(_Record):
    """What one redemption drew from one incentive: ``type_attributes`` is that reward, point,
    benefit or credit (as a plain object)."""

    redemption_id: int | None = None
    type: RedemptionItemType | str | None = None
    item_id: int | None = None
    value: Money | None = None
    points: Money | None = None
    count: int | None = None
    type_attributes: dict[str, Any] | None = None


class RedemptionTransaction(OmneoModel):
    """The transaction a redemption is attached to, as embedded in it."""

    id: int | None = None
    external_id: str | None = None
    receipt_ref: str | None = None
    transacted_at: Timestamp = None
    total: Money | None = None
    location: Location | None = None


class Redemption(_Record):
    """A redemption (``type`` redeem), or its return / reversal (entities.md §5.1); ``balances``
    are the profile's balances after it."""

    profile_id: str | None = None
    profile: ProfileSummary | None = None
    type: Literal["redeem", "return", "reversal"] | str | None = None
    parent_id: int | None = None
    total: Money | None = None
    total_localised: Money | None = None
    total_requested: Money | None = None
    currency: Currency | str | None = None
    redeem_at: Timestamp = None
    location_id: int | None = None
    location: Location | None = None
    transaction_id: int | None = None
    transaction: RedemptionTransaction | None = None
    transaction_external_id: str | None = None
    transaction_receipt_ref: str | None = None
    strategies: list[Any] | None = None
    items: list[RedemptionItem] = []
    balances: Balances | None = None
    meta: Any = None


class SuccessfulRedemption(Redemption):
    """The answer of ``profiles.redeem`` and of a redemption return / reversal: the redemption with
    the profile's ``balances`` after it."""


class RedemptionCount(OmneoModel):
    """``profiles.redemptions.count``: ``{count}``."""

    count: int | None = None


class LedgerEntry(_Record):
    """One line of a profile's earn-and-spend history (entities.md §5.2): ``*_balance`` are the
    running balances after it."""

    profile_id: str | None = None
    profile: ProfileSummary | None = None
    type: str | None = None
    type_attributes: dict[str, Any] | None = None
    description: str | None = None
    dollar_value: Money | None = None
    dollar_balance: Money | None = None
    point_value: Money | None = None
    point_balance: Money | None = None
    point_dollar_value: Money | None = None
    expires_at: Timestamp = None


class Allocation(_Record):
    """An attribution of an incentive to a profile (open record: ``id``, timestamps and whatever
    the server adds)."""

    profile_id: str | None = None
    benefit_definition_id: int | None = None
    type: str | None = None
    value: Money | None = None
    source_id: int | None = None
    source_type: str | None = None
    meta: Any = None


Point.model_rebuild()
