from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    Body,
    M,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedListMixin,
    NestedUpdateMixin,
    PageRequest,
    Params,
    Request,
    data,
    endpoint,
    page,
)
from ..types import Product, ProductVariant

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["ProductVariants", "Products"]


class ProductVariants(
    NestedListMixin[M, ProductVariant],
    NestedCreateMixin[M, ProductVariant],
    NestedUpdateMixin[M, ProductVariant],
    NestedDeleteMixin[M, ProductVariant],
):
    """``client.products.variants``: ``list(product_id, params)`` (a page), ``get(product_id,
    variant_id, params)``, ``create``, ``update``, ``delete``; ``list_variants(params)`` spans every
    product."""

    path = "/products/{}/variants"
    model = ProductVariant

    @endpoint
    def get(self, product_id: ID, variant_id: ID, params: Params | None = None) -> Request[ProductVariant]:
        return data("GET", self._at(product_id, variant_id), ProductVariant, params=params)

    @endpoint
    def list_variants(self, params: Params | None = None) -> PageRequest[ProductVariant]:
        """GET /products/variants → variants of all products."""
        return page("/products/variants", ProductVariant, params)


class Products(CRUD[M, Product]):
    """``client.products``: CRUD at ``/products``, ``queue``, ``create_or_update``; ``variants``."""

    path = "/products"
    model = Product

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.variants: ProductVariants[M] = ProductVariants(client)

    @endpoint
    def queue(self, body: Body) -> Request[str]:
        """POST /products/queue (create-or-update body, ``external_id`` required) → the queued id."""
        return data("POST", self._at("queue"), str, body=body)

    @endpoint
    def create_or_update(self, body: Body) -> Request[Product]:
        """POST /products/create-update (``brand, external_id, handle, title, variants``) → the
        product."""
        return data("POST", self._at("create-update"), Product, body=body)
