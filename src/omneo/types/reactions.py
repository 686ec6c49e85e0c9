"""Reactions: triggers and automations with their actions, targets, and custom events
(entities.md §6.2-6.4)."""

from __future__ import annotations

from typing import Any, Literal

from ._base import OmneoModel, Timestamp

__all__ = [
    "Action",
    "ActionArgument",
    "Automation",
    "AutomationArgument",
    "CustomEvent",
    "Reminder",
    "Target",
    "TargetTest",
    "Trigger",
]


class _Record(OmneoModel):
    id: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class ActionArgument(OmneoModel):
    """``is_dynamic``: ``value`` is a JSON Logic rule evaluated on the event context."""

    name: str | None = None
    value: Any = None
    is_dynamic: bool | None = None


class Action(_Record):
    """One step of a trigger or automation; ``name`` is the action type (``reward.create``…)."""

    uuid: str | None = None
    name: str | None = None
    references_id: int | None = None
    sort_order: int | None = None
    description: str | None = None
    notes: str | None = None
    arguments: list[ActionArgument] = []
    trigger_id: int | None = None
    automation_id: int | None = None


class Trigger(_Record):
    name: str | None = None
    trigger: str | None = None
    description: str | None = None
    notes: str | None = None
    is_active: bool | None = None
    actions: list[Action] = []


class AutomationArgument(OmneoModel):
    name: str | None = None
    value: Any = None


class Automation(_Record):
    name: str | None = None
    type: Literal["date", "scheduled"] | str | None = None
    query: str | None = None
    query_type: str | None = None
    arguments: list[AutomationArgument] = []
    slot: str | None = None
    date: str | None = None
    frequency: str | None = None
    run_at: str | None = None
    #: Ours: the five-field cron expression (UTC) the automation runs on.
    schedule: str | None = None
    last_run_at: Timestamp = None
    next_run_at: Timestamp = None
    is_active: bool | None = None
    description: str | None = None
    notes: str | None = None
    actions: list[Action] = []


class Target(_Record):
    name: str | None = None
    handle: str | None = None
    url: str | None = None
    #: A Twig-templated JSON string.
    template: str | None = None
    description: str | None = None
    notes: str | None = None
    #: A JSON Logic rule (or its JSON text).
    condition: Any = None


class Reminder(_Record):
    name: str | None = None
    handle: str | None = None
    #: ``birthday``, ``joined_at`` or a profile date handle.
    date_type: str | None = None
    #: Days ahead of the date the ``reminder.due`` event comes.
    offset_days: int | None = None
    is_active: bool | None = None
    description: str | None = None
    meta: Any = None


class TargetTest(OmneoModel):
    """Ours: a target's template rendered on a context, and whether its condition passes."""

    rendered: Any = None
    condition: bool | None = None


class CustomEvent(OmneoModel):
    """A recorded custom event (``POST /events``)."""

    id: str | None = None
    event: str | None = None
    profile_id: str | None = None
    data: dict[str, Any] | None = None
