from __future__ import annotations

import builtins

from .._resource import CreateMixin, DeleteMixin, GetMixin, M, Params, Request, UpdateMixin, endpoint, full
from ..types import Envelope, EnvironmentSetting, Setting

__all__ = ["Settings"]


class Settings(GetMixin[M, Setting], CreateMixin[M, Setting], UpdateMixin[M, Setting], DeleteMixin[M, Setting]):
    """``client.settings``: addressed by ``handle``; ``list`` and ``get_environment`` are not paginated."""

    path = "/settings"
    model = Setting

    @endpoint
    def list(self, params: Params | None = None) -> Request[Envelope[builtins.list[Setting]]]:
        """GET /settings → the whole body ``{data: [Setting]}``."""
        return full("GET", self.path, Envelope[list[Setting]], params=params)

    @endpoint
    def get_environment(self) -> Request[Envelope[builtins.list[EnvironmentSetting]]]:
        """GET /settings/environment → ``{data: [{handle, value}]}``."""
        return full("GET", f"{self.path}/environment", Envelope[list[EnvironmentSetting]])
