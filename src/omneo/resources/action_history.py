from __future__ import annotations

from .._resource import GetMixin, ListMixin, M
from ..types import ActionHistory

__all__ = ["ActionHistories"]


class ActionHistories(GetMixin[M, ActionHistory], ListMixin[M, ActionHistory]):
    """``client.action_histories``: what triggers and automations did, at ``/action-history``
    (``filter[profile_id]`` for one profile's)."""

    path = "/action-history"
    model = ActionHistory
