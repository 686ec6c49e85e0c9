"""``client.profiles`` and its sub-resources."""

from .addresses import ProfileAddresses
from .attributes import (
    ProfileAppearance,
    ProfileAttributes,
    ProfileComms,
    ProfileCustomAttributes,
    ProfileDates,
)
from .identities import ProfileIdentities
from .labels import ProfileStatuses, ProfileTags
from .profiles import Profiles
from .regions import ProfileRegions

__all__ = [
    "ProfileAddresses",
    "ProfileAppearance",
    "ProfileAttributes",
    "ProfileComms",
    "ProfileCustomAttributes",
    "ProfileDates",
    "ProfileIdentities",
    "ProfileRegions",
    "ProfileStatuses",
    "ProfileTags",
    "Profiles",
]
