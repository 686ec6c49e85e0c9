"""One module per admin namespace; each class describes its endpoints once for both clients."""

from .auth import Auth
from .brands import Brands
from .countries import Countries
from .currencies import Currencies
from .custom_fields import CustomFields
from .custom_products import CustomProducts
from .identities import Identities
from .interactions import Interactions
from .locations import LocationCustomFields, Locations
from .orders import OrderItems, Orders
from .products import Products, ProductVariants
from .profiles import Profiles
from .ratings import Ratings
from .regions import Regions
from .settings import Settings
from .statuses import Statuses
from .systems import Systems
from .tags import Tags
from .tenants import TenantCustomFields, Tenants
from .transactions import TransactionCustomFields, TransactionItems, Transactions

__all__ = [
    "Auth",
    "Brands",
    "Countries",
    "Currencies",
    "CustomFields",
    "CustomProducts",
    "Identities",
    "Interactions",
    "LocationCustomFields",
    "Locations",
    "OrderItems",
    "Orders",
    "ProductVariants",
    "Products",
    "Profiles",
    "Ratings",
    "Regions",
    "Settings",
    "Statuses",
    "Systems",
    "Tags",
    "TenantCustomFields",
    "Tenants",
    "TransactionCustomFields",
    "TransactionItems",
    "Transactions",
]
