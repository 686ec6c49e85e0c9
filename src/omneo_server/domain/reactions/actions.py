"""Action types: one registry, used to check actions when they are written and to run them.

An action is ``{name (its type), sort_order, arguments: [{name, value, is_dynamic}]}``. An argument
with ``is_dynamic: true`` has a JSON Logic ``value`` evaluated on the event context (``{"var":
"profile_id"}``); any other value is taken literally. A ``filter``'s ``condition`` and a target's
``condition`` are always JSON Logic rules.

Supported types (aliases in brackets): ``filter``; ``reward.create``; ``benefit.create``;
``point.create`` [``points.award``]; ``tier.point.create``; ``tier.assign``; ``achievement.add``
[``achievement.progress``]; ``status.add``; ``tag.add``; ``attribute.update``; ``target.send``
[``tsend``]. ``update.highest.status.attribute`` is refused when written (its arguments are not
documented). Unknown types and missing arguments are 422s naming ``actions.N.name`` /
``actions.N.arguments``.

Everything an action issues carries ``source_type`` (``trigger`` or ``automation``) and
``source_id`` (the trigger's or automation's id).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import datalogic_py
from pydantic import AfterValidator, StringConstraints, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import jsonlogic
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, standard_fields
from omneo_server.domain.errors import DomainError, Invalid
from omneo_server.domain.incentives import achievements, benefits, lots, rates, tiers
from omneo_server.domain.inputs import Body, Handle, Name, Text, partial
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.profiles import schemas as profile_schemas
from omneo_server.domain.reactions import templates
from omneo_server.domain.reactions.webhooks import check_url, url_shape
from omneo_server.wire import dumps

#: The type names of actions we do not run, with why (a 422 says so when one is written).
REFUSED = {
    "update.highest.status.attribute": "its arguments are not documented",
}


class ActionFailed(DomainError):
    """An action that could not do its work (the trigger's effects roll back)."""

    status = 422


@dataclass
class Run:
    """One run of a chain of actions: for one event (a trigger) or one profile (an automation)."""

    session: AsyncSession
    ctx: Ctx
    context: dict[str, Any]
    #: ``trigger`` or ``automation``, and its id: recorded as ``source_type``/``source_id``.
    source_type: str
    source_id: int
    event: t.OutboxEvent | None = None
    #: What each action did, for the run's record.
    log: list[dict[str, Any]] = field(default_factory=list)


Executor = Callable[[Run, dict[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class ActionType:
    name: str
    run: Executor
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    #: Other names an argument may be given under (``tier`` for ``definition``).
    synonyms: Mapping[str, str] = field(default_factory=dict)
    #: Arguments that are always JSON Logic rules (never evaluated into values first).
    rules: tuple[str, ...] = ()


# --- arguments -------------------------------------------------------------------------------------


def argument_list(raw: Any) -> list[dict[str, Any]]:
    """Arguments as ``[{name, value, is_dynamic}]`` (a plain ``{name: value}`` mapping is accepted)."""
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return [{"name": k, "value": v, "is_dynamic": False} for k, v in raw.items()]
    return list(raw)


def _names(action_type: ActionType, arguments: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for argument in arguments:
        name = str(argument.get("name"))
        out[action_type.synonyms.get(name, name)] = argument
    return out


def _value(run: Run, action_type: ActionType, name: str, argument: Mapping[str, Any]) -> Any:
    value = argument.get("value")
    if name in action_type.rules or not argument.get("is_dynamic"):
        return value
    try:
        return jsonlogic.evaluate(value, run.context)
    except (datalogic_py.DataLogicError, TypeError, ValueError) as exc:
        raise ActionFailed(f"The {name} argument could not be evaluated: {exc}") from None


def _text(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if value is None or value == "" or isinstance(value, dict | list):
        raise ActionFailed(f"The {name} argument is missing or not a single value (got {value!r}).")
    return str(value)


def _number(args: dict[str, Any], name: str, default: Decimal | None = None) -> Decimal | None:
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ActionFailed(f"The {name} argument must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ActionFailed(f"The {name} argument must be a number (got {value!r}).") from None
    if not number.is_finite():
        raise ActionFailed(f"The {name} argument must be a finite number.")
    return number


def _flag(args: dict[str, Any], name: str) -> bool:
    value = args.get(name)
    return value in (True, 1, "1", "true", "True", "yes")


def _handles(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


async def _profile(run: Run, args: dict[str, Any]) -> t.Profile:
    """The live profile the action is for (a deleted or unknown one fails the action)."""
    return await profiles.get(run.session, run.ctx, _text(args, "profile_id"))


# --- executors -------------------------------------------------------------------------------------


async def _filter(run: Run, args: dict[str, Any]) -> bool:
    return jsonlogic.truthy(args.get("condition"), run.context)


async def _reward(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    body = lots.RewardIn(reward_definition_handle=_text(args, "definition"), value_initial=_number(args, "value"))
    lot = await lots.issue(
        run.session, run.ctx, lots.REWARDS, profile.id, body, source_type=run.source_type, source_id=run.source_id
    )
    run.log.append({"action": "reward.create", "reward_id": lot.id})
    return True


async def _benefit(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    definition = await lots.definition_for(
        run.session, run.ctx, t.BenefitDefinition, "benefit_definition", None, _text(args, "definition")
    )
    benefit = await benefits.issue(
        run.session, run.ctx, profile.id, definition, source_type=run.source_type, source_id=run.source_id
    )
    run.log.append({"action": "benefit.create", "benefit_id": benefit.id})
    return True


async def _rate(run: Run, definition_id: int) -> t.Rate | None:
    """The rate for a point definition on this context (``check_rate``): the context's location,
    the profile's conditions; product conditions are not checked (no single item)."""
    location_id = run.context.get("location_id")
    location = await run.session.get(t.Location, location_id) if isinstance(location_id, int) else None
    nested = run.context.get("profile")
    profile_data: dict[str, Any] = nested if isinstance(nested, dict) else run.context
    return await rates.resolve(
        run.session,
        run.ctx,
        definition_id,
        now=clock.now(),
        location=location,
        profile_data=profile_data,
        item_data=None,
        code=run.context.get("code") if isinstance(run.context.get("code"), str) else None,
    )


async def _points(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    definition = await lots.definition_for(
        run.session, run.ctx, t.PointDefinition, "point_definition", None, _text(args, "definition")
    )
    base = _number(args, "value")
    if base is None:
        base = definition.value if getattr(definition, "value", None) is not None else None
    if base is None:
        raise ActionFailed("The value argument is required (the point definition has no value).")
    rate = await _rate(run, definition.id) if _flag(args, "check_rate") else None
    value = rates.points_for(base, rate, Decimal(1))
    if value <= 0:
        run.log.append({"action": "point.create", "skipped": "no points"})
        return True
    body = lots.PointIn(point_definition_id=definition.id, value_initial=value)
    lot = await lots.issue(
        run.session,
        run.ctx,
        lots.POINTS,
        profile.id,
        body,
        source_type=run.source_type,
        source_id=run.source_id,
        rate=rate,
        definition=definition,
    )
    run.log.append({"action": "point.create", "point_id": lot.id, "value": value})
    return True


async def _tier_points(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    handle = _text(args, "definition")
    stmt = select(t.PointDefinition).where(
        t.PointDefinition.tenant_id == run.ctx.tenant_id,
        t.PointDefinition.handle == handle,
        t.PointDefinition.type == "tier",
    )
    definition = (await run.session.execute(stmt)).scalar_one_or_none()
    if definition is None:
        raise ActionFailed(f"There is no tier point definition {handle}.")
    base = _number(args, "value")
    if base is None:
        raise ActionFailed("The value argument is required.")
    rate = await _rate(run, definition.id) if _flag(args, "check_rate") else None
    value = rates.points_for(base, rate, Decimal(1)) if rate is not None else base
    row = await tiers.add_points(
        run.session,
        run.ctx,
        profile.id,
        definition,
        value,
        issued_at=clock.now(),
        rate_id=None if rate is None else rate.id,
        source_type=run.source_type,
        source_id=run.source_id,
    )
    run.log.append({"action": "tier.point.create", "tier_point_id": row.id, "value": value})
    return True


async def _tier_assign(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    await tiers.assign(run.session, run.ctx, profile.id, _text(args, "definition"))
    return True


async def _achievement(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    key = _text(args, "definition")
    table = t.AchievementDefinition
    stmt = select(table.id).where(table.tenant_id == run.ctx.tenant_id)
    stmt = (
        stmt.where(table.id == int(key))
        if key.isascii() and key.isdigit() and len(key) < 10
        else stmt.where(table.handle == key)
    )
    definition_id = (await run.session.execute(stmt)).scalar_one_or_none()
    if definition_id is None:
        raise ActionFailed(f"There is no achievement definition {key}.")
    count = _number(args, "count", Decimal(1))
    assert count is not None
    if count != count.to_integral_value():
        raise ActionFailed("The count argument must be a whole number.")
    await achievements.add(run.session, run.ctx, profile.id, definition_id, int(count))
    return True


async def _statuses(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    await profiles.add_statuses(run.session, run.ctx, profile, _handles(args.get("status")))
    await profiles.changed(run.session, run.ctx, profile)
    return True


async def _tags(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    await profiles.add_tags(run.session, run.ctx, profile, _handles(args.get("tag")))
    await profiles.changed(run.session, run.ctx, profile)
    return True


def _nested(path: str, value: Any) -> dict[str, Any]:
    """``attributes.comms.email_promo`` = v → ``{"attributes": {"comms": {"email_promo": v}}}``."""
    out: Any = value
    for part in reversed(path.split(".")):
        out = {part: out}
    nested: dict[str, Any] = out
    return nested


async def _attribute(run: Run, args: dict[str, Any]) -> bool:
    profile = await _profile(run, args)
    attribute = _text(args, "attribute")
    try:
        body = profile_schemas.ProfileFields.model_validate(_nested(attribute, args.get("value")))
    except ValidationError as exc:
        raise ActionFailed(f"The value is not valid for {attribute}: {exc.errors()[0]['msg']}") from None
    await profiles.update(run.session, run.ctx, profile, body)
    return True


async def queue_target(
    session: AsyncSession,
    ctx: Ctx,
    target: t.Target,
    context: dict[str, Any],
    *,
    event_id: int | None,
    event_type: str,
) -> t.Delivery | None:
    """Render ``target`` on ``context`` and queue the delivery; ``None`` when its condition is false.
    A template problem raises :class:`templates.TemplateProblem`."""
    if not jsonlogic.truthy(target.condition, context):
        return None
    delivery = t.Delivery(
        tenant_id=ctx.tenant_id,
        target_id=target.id,
        event_id=event_id,
        message_id=str(uuid.uuid4()),
        event_type=event_type,
        url=target.url,
        body=templates.render_text(target.template, context),
        status="pending",
        next_attempt_at=clock.now(),
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def _target(run: Run, args: dict[str, Any]) -> bool:
    handle = _text(args, "target")
    stmt = select(t.Target).where(t.Target.tenant_id == run.ctx.tenant_id, t.Target.handle == handle)
    target = (await run.session.execute(stmt)).scalar_one_or_none()
    if target is None:
        raise ActionFailed(f"There is no target {handle}.")
    event_type = run.event.type if run.event is not None else f"automation.{run.source_id}"
    event_id = None if run.event is None else run.event.id
    delivery = await queue_target(run.session, run.ctx, target, run.context, event_id=event_id, event_type=event_type)
    if delivery is None:
        run.log.append({"action": "target.send", "target": handle, "skipped": "condition"})
    else:
        run.log.append({"action": "target.send", "target": handle, "delivery_id": delivery.id})
    return True


_PROFILE_DEFINITION = ("profile_id", "definition")

TYPES: dict[str, ActionType] = {
    a.name: a
    for a in (
        ActionType("filter", _filter, required=("condition",), rules=("condition",)),
        ActionType("reward.create", _reward, required=_PROFILE_DEFINITION, optional=("value",)),
        ActionType("benefit.create", _benefit, required=_PROFILE_DEFINITION),
        ActionType("point.create", _points, required=_PROFILE_DEFINITION, optional=("value", "check_rate")),
        ActionType(
            "tier.point.create", _tier_points, required=(*_PROFILE_DEFINITION, "value"), optional=("check_rate",)
        ),
        ActionType("tier.assign", _tier_assign, required=_PROFILE_DEFINITION, synonyms={"tier": "definition"}),
        ActionType("achievement.add", _achievement, required=_PROFILE_DEFINITION, optional=("count",)),
        ActionType("status.add", _statuses, required=("profile_id", "status"), synonyms={"statuses": "status"}),
        ActionType("tag.add", _tags, required=("profile_id", "tag"), synonyms={"tags": "tag"}),
        ActionType("attribute.update", _attribute, required=("profile_id", "attribute", "value")),
        ActionType("target.send", _target, required=("target",)),
    )
}
#: Other names the same types go by in Omneo's docs.
ALIASES = {"points.award": "point.create", "achievement.progress": "achievement.add", "tsend": "target.send"}


def type_of(name: str) -> ActionType | None:
    return TYPES.get(ALIASES.get(name, name))


def supported() -> list[str]:
    return sorted([*TYPES, *ALIASES])


# --- checking when written -------------------------------------------------------------------------


def check(action: Mapping[str, Any], prefix: str = "") -> None:
    """Refuse (422) an action whose type is unknown or refused, whose arguments are malformed or
    miss a required one, or whose rules are not valid JSON Logic. ``prefix`` is ``actions.N.``
    for an action inline in its trigger."""
    name = action.get("name")
    action_type = type_of(name) if isinstance(name, str) else None
    if action_type is None:
        why = REFUSED.get(name) if isinstance(name, str) else None
        reason = f"The action type {name} is not supported ({why})" if why else f"The action type {name!r} is unknown"
        raise Invalid.field(f"{prefix}name", f"{reason}; supported types: {', '.join(supported())}.")
    raw = action.get("arguments")
    if raw is not None and not isinstance(raw, list | dict):
        raise Invalid.field(f"{prefix}arguments", "The arguments must be a list of {name, value, is_dynamic}.")
    arguments = argument_list(raw)
    for index, argument in enumerate(arguments):
        if not isinstance(argument, Mapping) or not isinstance(argument.get("name"), str) or not argument["name"]:
            raise Invalid.field(f"{prefix}arguments.{index}.name", "Every argument needs a name.")
    by_name = _names(action_type, arguments)
    missing = [n for n in action_type.required if n not in by_name or by_name[n].get("value") in (None, "")]
    if missing:
        listed = ", ".join(missing)
        raise Invalid.field(f"{prefix}arguments", f"The {action_type.name} action needs the argument(s): {listed}.")
    for index, argument in enumerate(arguments):
        name = action_type.synonyms.get(argument["name"], argument["name"])
        if name in action_type.rules or argument.get("is_dynamic"):
            jsonlogic.validate(argument.get("value"), f"{prefix}arguments.{index}.value")
    if action_type.name == "attribute.update":
        attribute = by_name["attribute"]
        top = str(attribute.get("value")).split(".", 1)[0]
        if not attribute.get("is_dynamic") and top not in profile_schemas.ProfileFields.model_fields:
            raise Invalid.field(f"{prefix}arguments", f"{attribute.get('value')} is not a profile attribute.")


# --- running ---------------------------------------------------------------------------------------


async def execute(run: Run, action: t.Action) -> bool:
    """Run one action; False when it is a filter that did not pass (the chain stops). Raises
    :class:`DomainError` (or :class:`templates.TemplateProblem`) when the action fails."""
    action_type = type_of(action.name)
    if action_type is None:
        raise ActionFailed(f"The action type {action.name} is not supported.")
    arguments = argument_list(action.arguments)
    by_name = _names(action_type, arguments)
    args = {name: _value(run, action_type, name, argument) for name, argument in by_name.items()}
    logged = len(run.log)
    try:
        passed = await action_type.run(run, args)
        if len(run.log) == logged and action.name != "filter":  # every action that acted is on record
            run.log.append({"action": action.name, "action_id": action.id})
        return passed
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ActionFailed(f"{action.name}: {where}: {first['msg']}") from None


# --- targets ---------------------------------------------------------------------------------------

#: The URL's text is checked here; where it leads needs the settings (``webhooks.check_url``) and is
#: checked again on every delivery (``jobs.outbound``).
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2048), AfterValidator(url_shape)]


class TargetIn(Body):
    name: Name
    handle: Handle
    url: Url
    template: Annotated[str, StringConstraints(min_length=1)]
    description: Text | None = None
    notes: Text | None = None
    condition: Any = None

    @field_validator("template", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """A JSON object or array sent as the template is its text (``{"id": "{{ profile.id }}"}``)."""
        return dumps(value) if isinstance(value, dict | list) else value


TargetUpdate = partial(TargetIn)


class TargetTestIn(Body):
    """``POST /targets/{id}/test`` (ours): the context to render the template with."""

    context: dict[str, Any] = {}


def _check_target(data: dict[str, Any], _row: Any) -> dict[str, Any]:
    if "template" in data:
        templates.validate(data["template"])
    if data.get("condition") not in (None, "", {}, []):
        jsonlogic.validate(data["condition"], "condition")
    return data


TARGETS = Resource(
    name="targets",
    event="target",
    label="Target",
    table=t.Target,
    create=TargetIn,
    update=TargetUpdate,
    filters=standard_fields(t.Target, "id", "name", "handle", "url"),
    sorts=standard_fields(t.Target, "id", "name", "handle", "created_at", "updated_at"),
    search=(t.Target.name, t.Target.handle),
    unique=(("handle",),),
    prepare=_check_target,
    check=check_url,
)


def try_target(target: t.Target, context: dict[str, Any]) -> dict[str, Any]:
    """Render a target on a context: ``{rendered, condition}``; a template problem is a 422."""
    try:
        rendered = templates.render_json(target.template, context)
    except templates.TemplateProblem as exc:
        raise Invalid.field("template", exc.message) from None
    return {"rendered": rendered, "condition": jsonlogic.truthy(target.condition, context)}
