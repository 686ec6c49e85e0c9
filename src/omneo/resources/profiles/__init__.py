"""``client.profiles`` and its sub-resources."""

from .addresses import ProfileAddresses
from .attributes import (
    ProfileAppearance,
    ProfileAttributes,
    ProfileComms,
    ProfileCustomAttributes,
    ProfileDates,
)
from .commerce import (
    ProfileAggregations,
    ProfileInteractions,
    ProfileOrders,
    ProfileTransactionClaims,
    ProfileTransactions,
)
from .identities import ProfileIdentities
from .incentives import (
    IncentiveType,
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
from .profiles import Profiles
from .regions import ProfileRegions

__all__ = [
    "IncentiveType",
    "ProfileAchievements",
    "ProfileAddresses",
    "ProfileAggregations",
    "ProfileAppearance",
    "ProfileAttributes",
    "ProfileBalances",
    "ProfileBenefits",
    "ProfileComms",
    "ProfileCredits",
    "ProfileCustomAttributes",
    "ProfileDates",
    "ProfileIdentities",
    "ProfileInteractions",
    "ProfileLedgers",
    "ProfileOrders",
    "ProfilePoints",
    "ProfileRedemptions",
    "ProfileRegions",
    "ProfileRewards",
    "ProfileStatuses",
    "ProfileTags",
    "ProfileTiers",
    "ProfileTransactionClaims",
    "ProfileTransactions",
    "Profiles",
]
