"""One module per admin namespace; each class describes its endpoints once for both clients."""

from .auth import Auth
from .batches import Batches, Queue
from .brands import Brands
from .countries import Countries
from .currencies import Currencies
from .custom_fields import CustomFields
from .custom_products import CustomProducts
from .identities import Identities
from .incentives import (
    AchievementDefinitions,
    Allocations,
    BenefitDefinitions,
    Benefits,
    CreditDefinitions,
    Credits,
    PointDefinitions,
    Points,
    Rates,
    RedemptionItems,
    Redemptions,
    RewardDefinitions,
    Rewards,
    TierDefinitions,
    TierPoints,
)
from .interactions import Interactions
from .locations import LocationCustomFields, Locations
from .orders import OrderItems, Orders
from .products import Products, ProductVariants
from .profiles import Profiles
from .ratings import Ratings
from .reactions import AutomationActions, Automations, Events, Targets, TriggerActions, Triggers
from .regions import Regions
from .settings import Settings
from .statuses import Statuses
from .systems import Systems
from .tags import Tags
from .tenants import TenantCustomFields, Tenants
from .transactions import TransactionCustomFields, TransactionItems, Transactions
from .webhooks import Webhooks

__all__ = [
    "AchievementDefinitions",
    "Allocations",
    "Auth",
    "AutomationActions",
    "Automations",
    "Batches",
    "BenefitDefinitions",
    "Benefits",
    "Brands",
    "Countries",
    "CreditDefinitions",
    "Credits",
    "Currencies",
    "CustomFields",
    "CustomProducts",
    "Events",
    "Identities",
    "Interactions",
    "LocationCustomFields",
    "Locations",
    "OrderItems",
    "Orders",
    "PointDefinitions",
    "Points",
    "ProductVariants",
    "Products",
    "Profiles",
    "Queue",
    "Rates",
    "Ratings",
    "RedemptionItems",
    "Redemptions",
    "Regions",
    "RewardDefinitions",
    "Rewards",
    "Settings",
    "Statuses",
    "Systems",
    "Tags",
    "Targets",
    "TenantCustomFields",
    "Tenants",
    "TierDefinitions",
    "TierPoints",
    "TransactionCustomFields",
    "TransactionItems",
    "Transactions",
    "TriggerActions",
    "Triggers",
    "Webhooks",
]
