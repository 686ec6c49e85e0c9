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
from .labels import ProfileStatuses, ProfileTags
from .profiles import Profiles
from .regions import ProfileRegions

__all__ = [
    "ProfileAddresses",
    "ProfileAggregations",
    "ProfileAppearance",
    "ProfileAttributes",
    "ProfileComms",
    "ProfileCustomAttributes",
    "ProfileDates",
    "ProfileIdentities",
    "ProfileInteractions",
    "ProfileOrders",
    "ProfileRegions",
    "ProfileStatuses",
    "ProfileTags",
    "ProfileTransactionClaims",
    "ProfileTransactions",
    "Profiles",
]
