"""Request bodies of orders and transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator, model_validator

from omneo_server.domain.custom_fields import CustomFieldIn
from omneo_server.domain.inputs import Body, Handle, Name, Text, Timestamp
from omneo_server.wire import money

Amount = Decimal
MONEY = {"max_digits": 12, "decimal_places": 2}
_MONEY_LIMIT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])


def _cents(value: Any) -> Any:
    """An amount rounded half-up to cents before it is checked (a till's ``10.005`` is ``10.01``, the
    rounding the ledger and the catalogue use); what is no number is left for the type check."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return value
    try:
        return money(value)
    except (ArithmeticError, ValueError):
        return value


#: Money on a sale: any precision in, cents stored.
Cents = Annotated[Decimal, BeforeValidator(_cents), Field(**MONEY)]


class ItemIn(Body):
    """A line. Only what cannot be guessed is asked for: the name defaults to the SKU (else empty),
    the quantity to 1, each of the current and selling prices to the other (0 when neither is
    sent), as tills and storefronts leave them out (docs/decisions.md)."""

    name: Name = ""
    quantity: int = Field(1, ge=-100_000, le=100_000)
    price_current: Cents = None  # type: ignore[assignment]
    price_sell: Cents = None  # type: ignore[assignment]
    price_original: Cents | None = None
    price_margin: Cents | None = None
    price_tax: Cents | None = None
    department: Name | None = None
    discounts: Any = None
    external_id: Name | None = None
    sku: Name | None = None
    variant_external_id: Name | None = None
    product_variant_id: int | None = None
    product_variant_sku: Name | None = None
    is_void: bool = False
    is_return: bool | None = None
    meta: Any = None

    @model_validator(mode="after")
    def _defaults(self) -> ItemIn:
        if not self.name:
            self.name = self.sku or self.product_variant_sku or ""
        price = self.price_sell if self.price_sell is not None else self.price_current
        self.price_sell = price if price is not None else Decimal("0")
        self.price_current = self.price_current if self.price_current is not None else self.price_sell
        return self


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("The timezone must be a valid IANA timezone (e.g. Australia/Melbourne).") from None
    return value


class SaleIn(Body):
    """What orders and transactions share."""

    profile_id: str | None = Field(None, max_length=255)
    profile_id_handle: Handle | None = None
    external_id: Name | None = None
    external_order_id: Name | None = None
    order_number: Name | None = None
    receipt_ref: Name | None = None
    receipt_email: Name | None = None
    receipt_is_email: bool = False
    transacted_at: Timestamp
    #: UTC when not sent (docs/decisions.md).
    timezone: str = Field("UTC", max_length=64)
    #: The lines' sum when not sent (docs/decisions.md).
    total: Cents = None  # type: ignore[assignment]
    total_original: Cents | None = None
    rounding: Cents | None = None
    margin: Cents | None = None
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    currency_rate: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=6)
    is_void: bool = False
    type: Name | None = None
    status: Name | None = None
    location_id: int | str | None = None
    staff_id: int | None = None
    redemption_id: int | None = None
    systems: list[Handle] = []
    tags: list[Name] = []
    payments: list[dict[str, Any]] = []
    fees: list[Any] = []
    meta: Any = None
    items: list[ItemIn] = Field([], max_length=1000)
    custom_fields: list[CustomFieldIn] = []

    _timezone = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))

    @model_validator(mode="after")
    def _total(self) -> SaleIn:
        if self.total is None:
            lines = sum((i.price_sell * i.quantity for i in self.items if not i.is_void), Decimal("0"))
            total = lines + (self.rounding or Decimal("0"))
            if abs(total) >= _MONEY_LIMIT:  # the lines' sum must fit where a sent total would
                raise ValueError(f"The total of the items, {total}, is too large.")
            self.total = total
        return self


class TransactionIn(SaleIn):
    linked_receipt_ref: Name | None = None
    need_action: bool = False
    order_id: int | None = None


class TransactionUpsert(TransactionIn):
    """``update-create``: match by ``id`` or by ``external_id`` within the system."""

    id: int | None = None
    delete_existing_items: bool = False


class TransactionUpdate(Body):
    """``PUT /transactions/{id}``: only what describes the sale may change, never what was sold."""

    is_update = True

    model_config = Body.model_config | {"extra": "allow"}
    status: Name | None = None
    tags: list[Name] | None = None
    meta: Any = None
    need_action: bool | None = None
    is_void: bool | None = None
    receipt_email: Name | None = None
    receipt_is_email: bool | None = None
    order_id: int | None = None
    order_number: Name | None = None
    linked_receipt_ref: Name | None = None
    custom_fields: list[CustomFieldIn] | None = None


class OrderIn(SaleIn):
    due_date: Timestamp | None = None


class EventTriggerIn(Body):
    event: str = Field(pattern=r"^transaction\.(sync|recalculate)$")


class ClaimIn(Body):
    transaction_receipt_ref: Name | None = None
    transaction_external_id: Name | None = None
    transaction_transacted_at: Timestamp | None = None
    transaction_timezone: str | None = Field(None, max_length=64)
    transaction_total: Cents | None = None
    transaction_location_external_code: Name | None = None


__all__ = ["Amount", "Text"]
