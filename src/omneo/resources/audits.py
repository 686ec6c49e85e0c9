from __future__ import annotations

from .._resource import CreateMixin, GetMixin, ListMixin, M, UpdateMixin
from ..types import Audit

__all__ = ["Audits"]


class Audits(GetMixin[M, Audit], ListMixin[M, Audit], CreateMixin[M, Audit], UpdateMixin[M, Audit]):
    """``client.audits``: the audit trail at ``/audits`` (``filter[auditable_type]`` with
    ``filter[auditable_id]`` for one record's history; also by ``profile_id``, ``user_id``, ``event``,
    ``token_name`` and ``created_at``). ``create`` records an audit (``auditable_type`` and ``event``
    required); there is no delete here, as in the official SDKs."""

    path = "/audits"
    model = Audit
