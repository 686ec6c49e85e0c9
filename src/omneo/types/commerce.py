"""Commerce records: transactions, orders, products, locations, interactions, ratings and a
profile's aggregations (entities.md §1.10, §2.1-§2.7, §6.15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from ._base import Money, OmneoModel, Timestamp
from .platform import Currency, CustomField, Status
from .profiles import Address, Identity, Profile, StaffSummary

__all__ = [
    "Aggregations",
    "CustomProduct",
    "Interaction",
    "Location",
    "Order",
    "OrderItem",
    "Product",
    "ProductVariant",
    "Rating",
    "Transaction",
    "TransactionClaim",
    "TransactionItem",
    "TransactionProductVariant",
    "TransactionSummary",
]


def _day(value: Any) -> Any:
    """A date that may arrive as a full timestamp (``2024-05-01 13:00:00``): keep its day."""
    if value == "":
        return None
    if isinstance(value, str) and len(value) > 10:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    if isinstance(value, datetime):
        return value.date()
    return value


Day = Annotated[date | None, BeforeValidator(_day)]


class _Record(OmneoModel):
    id: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


# -- locations --------------------------------------------------------------------------------------


class Location(_Record):
    """A store, warehouse or other place (entities.md §2.7). ``custom_fields`` is grouped
    ``{namespace: {handle: value}}`` (a list of records on some endpoints)."""

    type: str | None = None
    name: str | None = None
    handle: str | None = None
    description: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    external_id: str | None = None
    external_code: str | None = None
    country_iso_3: str | None = None
    icon: str | None = None
    image_url: str | None = None
    is_published: bool | None = None
    is_permanently_closed: bool | None = None
    address: Address | None = None
    tags: list[str] = []
    custom_fields: dict[str, dict[str, Any]] | list[CustomField] | None = None
    departments: list[dict[str, Any]] | None = None
    normal_hours: list[dict[str, Any]] = []
    special_hours: list[dict[str, Any]] = []


# -- products ---------------------------------------------------------------------------------------


class ProductVariant(_Record):
    """A sellable variant of a product (entities.md §2.6); create requires ``sku, price, title``."""

    product_id: int | None = None
    sku: str | None = None
    barcode: str | None = None
    external_id: str | None = None
    handle: str | None = None
    title: str | None = None
    description: str | None = None
    web_url: str | None = None
    position: int | None = None
    price: Money | None = None
    price_discounted: Money | None = None
    price_comparison: Money | None = None
    price_cost: Money | None = None
    available_quantity: int | None = None
    images: list[dict[str, Any]] | None = None
    options: list[dict[str, Any]] = []
    tags: list[str] = []
    meta: Any = None


class TransactionProductVariant(ProductVariant):
    """A variant a profile has bought (``profiles.transaction_products``), with purchase counts."""

    count: int | None = None
    refund_qty: int | None = None
    purchase_qty: int | None = None
    latest_transacted_at: Timestamp = None
    product: dict[str, Any] | None = None
    location_types: Any = None


class Product(_Record):
    """A catalogue product (entities.md §2.5); create requires ``brand, handle, title``."""

    title: str | None = None
    handle: str | None = None
    external_id: str | None = None
    type: str | None = None
    status: str | None = None
    brand: str | None = None
    link_brand: str | None = None
    department: str | None = None
    link_department: str | None = None
    description: str | None = None
    web_url: str | None = None
    currency: str | None = None
    position: int | None = None
    images: list[dict[str, Any]] | None = None
    channels: list[str] = []
    systems: list[str] = []
    tags: list[str] = []
    options: dict[str, list[str]] | list[Any] = {}
    meta: Any = None
    custom_fields: list[CustomField] = []
    organisation: dict[str, Any] | None = None
    variants: list[ProductVariant] = []


class CustomProduct(_Record):
    """A custom (non-catalogue) product; fields not catalogued, all kept."""


# -- transactions and orders ------------------------------------------------------------------------


class TransactionSummary(OmneoModel):
    """The parent record as embedded in a line item."""

    transacted_at: Timestamp = None
    receipt_ref: str | None = None
    external_id: str | None = None


class _LineItem(_Record):
    order_id: int | None = None
    external_id: str | None = None
    name: str | None = None
    sku: str | None = None
    variant_external_id: str | None = None
    product_id: int | None = None
    product_variant_id: int | None = None
    product: dict[str, Any] | None = None
    product_variant: ProductVariant | None = None
    product_images: list[dict[str, Any]] | None = None
    quantity: int | Money | None = None
    price_current: Money | None = None
    price_sell: Money | None = None
    price_original: Money | None = None
    price_margin: Money | None = None
    price_tax: Money | None = None
    discounts: Any = None
    department: str | None = None
    is_void: bool | None = None
    meta: Any = None


class TransactionItem(_LineItem):
    """A line of a transaction (entities.md §2.2)."""

    transaction_id: int | None = None
    is_return: bool | None = None
    list_items: list[dict[str, Any]] | None = None
    transaction: TransactionSummary | None = None
    pivot: Any = None


class OrderItem(_LineItem):
    """A line of an order."""

    order: TransactionSummary | None = None


class _Sale(_Record):
    """Fields shared by transactions and orders."""

    external_id: str | None = None
    profile_id: str | None = None
    profile: Profile | None = None
    order_number: str | None = None
    receipt_ref: str | None = None
    receipt_email: str | None = None
    receipt_is_email: bool | None = None
    transacted_at: Timestamp = None
    timezone: str | None = None
    total: Money | None = None
    total_original: Money | None = None
    rounding: Money | None = None
    margin: Money | None = None
    currency: str | None = None
    currency_id: int | None = None
    currency_rate: Money | None = None
    is_void: bool | None = None
    type: str | None = None
    status: str | None = None
    systems: list[str] | None = None
    tags: list[str] | None = None
    meta: Any = None
    fees: Any = None
    payments: Any = None
    custom_fields: list[CustomField] = []
    location: Location | None = None
    organisation: dict[str, Any] | None = None
    staff: StaffSummary | None = None
    redemption: dict[str, Any] | None = None
    claimed_at: Timestamp = None


class Transaction(_Sale):
    """A purchase or return (entities.md §2.1); create requires ``items, timezone, total,
    transacted_at``."""

    external_order_id: str | None = None
    order_id: int | None = None
    linked_receipt_ref: str | None = None
    total_converted: Money | None = None
    currency_values: list[dict[str, Any]] = []
    need_action: bool | None = None
    reversed_redemptions: list[dict[str, Any]] = []
    tier_points: list[dict[str, Any]] | None = None
    items: list[TransactionItem] = []


class Order(_Sale):
    """An order (entities.md §2.4); its transactions are the fulfilments."""

    due_date: Timestamp = None
    items: list[OrderItem] = []
    transactions: list[Transaction] = []


class TransactionClaim(_Record):
    """A profile's claim on a transaction it was not linked to, matched by receipt details."""

    status: str | None = None
    profile_id: str | None = None
    transaction_receipt_ref: str | None = None
    transaction_transacted_at: Timestamp = None
    transaction_timezone: str | None = None
    transaction_total: Money | None = None
    transaction_location_external_code: str | None = None
    attempts: int | None = None
    claimed_transaction_id: int | None = None
    claimed_at: Timestamp = None
    last_checked_at: Timestamp = None


# -- engagement -------------------------------------------------------------------------------------


class Interaction(_Record):
    """Something a profile did (entities.md §6.15): ``action`` on ``channel`` with a ``signal``."""

    profile_id: str | None = None
    profile: Profile | None = None
    identity: Identity | None = None
    action: str | None = None
    channel: str | None = None
    signal: str | int | None = None
    name: str | None = None
    namespace: str | None = None
    description: str | None = None
    url: str | None = None
    duration: int | None = None
    latitude: Money | None = None
    longitude: Money | None = None
    location_id: int | None = None
    location: Location | None = None
    product_id: int | None = None
    product_variant_id: int | None = None
    product_category_id: int | None = None
    staff_id: str | int | None = None
    interacted_id: int | str | None = None
    interacted_type: str | None = None
    interacted_at: Timestamp = None
    organisation: dict[str, Any] | None = None
    tags: list[str] = []
    meta: Any = None


class Rating(_Record):
    """A rating; fields not catalogued, all kept."""


class Aggregations(OmneoModel):
    """A profile's shopping aggregates and segment dimensions (entities.md §1.10)."""

    profile_id: str | None = None
    shop_count: int | None = None
    shop_days: int | None = None
    total_shop_days: int | None = None
    first_shop_days: int | None = None
    second_shop_days: int | None = None
    latest_shop_days: int | None = None
    average_shop_days: int | Money | None = None
    spend_12m: Money | None = None
    spend_12m_now: Money | None = None
    spend_all: Money | None = None
    spend_atv_12m: Money | None = None
    spend_atv_all: Money | None = None
    discount_avg: Money | None = None
    spend_first_date: Day = None
    spend_last_date: Day = None
    second_shop_date: Day = None
    previous_shop_date: Day = None
    at_risk_date: Day = None
    dimension_frequency: str | None = None
    dimension_recency: str | None = None
    dimension_join: str | None = None
    channel: str | None = None
    latest_shop_spend: Money | None = None
    latest_shop_currency: Currency | None = None
    latest_transacted_location: Location | None = None
    most_transacted_location: Location | None = None
    most_spend_location: Location | None = None
    most_spend_12m_location: Location | None = None
    store_join: Location | None = None
    likely_country: str | None = None
    likely_country_iso: str | None = None
    likely_region: str | None = None
    likely_state_iso: str | None = None
    likely_country_score: Money | None = None
    likely_country_iso_score: Money | None = None
    likely_region_score: Money | None = None
    likely_state_iso_score: Money | None = None
    purchased_brands: list[str] | None = None
    transacted_locations: list[str] | None = None
    top_historic_status: Status | None = None
    total_referred: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
