"""One module per admin namespace; each class describes its endpoints once for both clients."""

from .auth import Auth
from .brands import Brands
from .countries import Countries
from .currencies import Currencies
from .custom_fields import CustomFields
from .identities import Identities
from .profiles import Profiles
from .regions import Regions
from .settings import Settings
from .statuses import Statuses
from .systems import Systems
from .tags import Tags
from .tenants import TenantCustomFields, Tenants

__all__ = [
    "Auth",
    "Brands",
    "Countries",
    "Currencies",
    "CustomFields",
    "Identities",
    "Profiles",
    "Regions",
    "Settings",
    "Statuses",
    "Systems",
    "Tags",
    "TenantCustomFields",
    "Tenants",
]
