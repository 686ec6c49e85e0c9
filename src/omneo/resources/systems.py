from __future__ import annotations

from .._resource import CreateMixin, DeleteMixin, GetMixin, M, Params, Request, endpoint, full
from ..types import Envelope, System

__all__ = ["Systems"]


class Systems(GetMixin[M, System], CreateMixin[M, System], DeleteMixin[M, System]):
    """``client.systems``: ``get``, ``list`` (not paginated), ``create({handle})``, ``delete``."""

    path = "/systems"
    model = System

    @endpoint
    def list(self, params: Params | None = None) -> Request[Envelope[list[System]]]:
        """GET /systems → the whole body ``{data: [System]}`` (not paginated)."""
        return full("GET", self.path, Envelope[list[System]], params=params)
