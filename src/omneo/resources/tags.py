from __future__ import annotations

from .._resource import CreateMixin, DeleteMixin, GetMixin, ListMixin, M
from ..types import Tag

__all__ = ["Tags"]


class Tags(GetMixin[M, Tag], ListMixin[M, Tag], CreateMixin[M, Tag], DeleteMixin[M, Tag]):
    """``client.tags``: ``get``, ``list``, ``create({handle})``, ``delete`` at ``/tags`` (no update)."""

    path = "/tags"
    model = Tag
