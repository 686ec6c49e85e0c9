from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    Body,
    M,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedGetMixin,
    NestedListMixin,
    NestedUpdateMixin,
    Request,
    Resource,
    data,
    empty,
    endpoint,
)
from ..types.reactions import Action, Automation, CustomEvent, Reminder, Target, TargetTest, Trigger

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["AutomationActions", "Automations", "Events", "Reminders", "Targets", "TriggerActions", "Triggers"]


class _Actions(
    NestedGetMixin[M, Action],
    NestedListMixin[M, Action],
    NestedCreateMixin[M, Action],
    NestedUpdateMixin[M, Action],
    NestedDeleteMixin[M, Action],
):
    model = Action


class TriggerActions(_Actions[M]):
    """``client.triggers.actions``: ``list(trigger_id, params)`` (a page), ``get``, ``create``,
    ``update``, ``delete`` at ``/triggers/{id}/actions``."""

    path = "/triggers/{}/actions"


class AutomationActions(_Actions[M]):
    """``client.automations.actions``: the same at ``/automations/{id}/actions``."""

    path = "/automations/{}/actions"


class Triggers(CRUD[M, Trigger]):
    """``client.triggers``: CRUD at ``/triggers`` (create ``{name, trigger, actions?[]}``;
    ``actions`` in an update replaces the list); ``actions`` below."""

    path = "/triggers"
    model = Trigger

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.actions: TriggerActions[M] = TriggerActions(client)


class Automations(CRUD[M, Automation]):
    """``client.automations``: CRUD at ``/automations``, ``trigger`` (run now); ``actions`` below."""

    path = "/automations"
    model = Automation

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.actions: AutomationActions[M] = AutomationActions(client)

    @endpoint
    def trigger(self, id: ID, body: Body | None = None) -> Request[None]:
        """POST /automations/{id}/trigger ``{force?, now?}``: run it now."""
        return empty("POST", self._at(id, "trigger"), body=body)


class Reminders(CRUD[M, Reminder]):
    """``client.reminders``: CRUD at ``/reminders`` (``{name, handle, date_type, offset_days}``: a
    ``reminder.due`` event ``offset_days`` ahead of each profile's date)."""

    path = "/reminders"
    model = Reminder


class Targets(CRUD[M, Target]):
    """``client.targets``: CRUD at ``/targets``; ``test`` (ours) renders a template on a context."""

    path = "/targets"
    model = Target

    @endpoint
    def test(self, id: ID, context: dict[str, Any]) -> Request[TargetTest]:
        """POST /targets/{id}/test ``{context}`` → ``{rendered, condition}`` (422 on a template problem)."""
        return data("POST", self._at(id, "test"), TargetTest, body={"context": context})


class Events(Resource[M]):
    """``client.events``: custom events."""

    @endpoint
    def create(self, body: Body) -> Request[CustomEvent]:
        """POST /events ``{event: "namespace.event_name", profile_id?, data?}`` → the recorded event."""
        return data("POST", "/events", CustomEvent, body=body)
