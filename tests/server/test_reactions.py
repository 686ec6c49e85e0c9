"""Reactions on a real server: triggers, actions, automations, targets and custom events.

Configuration is checked over HTTP (422s naming the field); reacting is driven through the domain
(``event_context`` + ``react`` on the tenant's outbox events, in one write transaction each, as
the worker does), so a test can react to the same event twice and see it act once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid
from omneo_server.domain.reactions import automations, context, templates, triggers
from omneo_server.settings import Settings
from tests.conftest import Clock, TenantInfo
from tests.server.api import Api


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def ctx_of(tenant: TenantInfo) -> Ctx:
    return Ctx(tenant.id, Settings(database_url=tenant.server.db.url), actor="worker")


def react(tenant: TenantInfo, *, after: int = 0, types: tuple[str, ...] = ()) -> int:
    """React to every outbox event of the tenant with id > ``after`` (and to the events those
    reactions cause, until none are left); answer the last event id seen."""

    async def work(last: int) -> int:
        while True:
            async with tenant.server.db.read() as session:
                stmt = select(t.OutboxEvent.id).where(t.OutboxEvent.tenant_id == tenant.id, t.OutboxEvent.id > last)
                if types:
                    stmt = stmt.where(t.OutboxEvent.type.in_(types))
                ids = list((await session.execute(stmt.order_by(t.OutboxEvent.id))).scalars())
            if not ids:
                return last
            for event_id in ids:
                async with tenant.server.db.write() as session:
                    event = await session.get(t.OutboxEvent, event_id)
                    assert event is not None
                    found = await context.event_context(session, ctx_of(tenant), event)
                    await triggers.react(session, ctx_of(tenant), event, found)
                last = event_id

    return tenant.server.run(work(after))


def rows(tenant: TenantInfo, table: Any, *where: Any) -> list[Any]:
    async def work() -> list[Any]:
        async with tenant.server.db.read() as session:
            stmt = select(table).where(table.tenant_id == tenant.id, *where).order_by(table.id)
            return list((await session.execute(stmt)).scalars())

    return tenant.server.run(work())


def runs(tenant: TenantInfo, reaction_id: int, reaction: str = "trigger") -> list[t.ReactionRun]:
    return rows(tenant, t.ReactionRun, t.ReactionRun.reaction == reaction, t.ReactionRun.reaction_id == reaction_id)


def now() -> str:
    return clock.now().strftime("%Y-%m-%d %H:%M:%S")


def arg(name: str, value: Any, dynamic: bool | None = None) -> dict[str, Any]:
    return {"name": name, "value": value, "is_dynamic": dynamic}


def reward_definition(api: Api, handle: str = "thanks", value: int = 10) -> None:
    body = {
        "name": handle.title(),
        "handle": handle,
        "value": value,
        "type": "spend",
        "period": 30,
        "absolute_expiry": None,
    }
    api.ok("POST", "/rewards/definitions", json=body)


def profile(api: Api, email: str = "jane@example.com", **extra: Any) -> str:
    profile_id: str = api.ok("POST", "/profiles", json={"email": email, "first_name": "Jane", **extra})["id"]
    return profile_id


def sale(api: Api, profile_id: str, total: str, ref: str = "R1") -> dict[str, Any]:
    body = {
        "profile_id": profile_id,
        "transacted_at": "2025-06-15 14:32:00",
        "timezone": "Australia/Melbourne",
        "total": total,
        "receipt_ref": ref,
        "items": [{"name": "Shirt", "quantity": 1, "price_current": total, "price_sell": total}],
    }
    tx: dict[str, Any] = api.ok("POST", "/transactions", json=body)
    return tx


def spend_trigger(api: Api, minimum: int, *more: dict[str, Any], name: str = "Big spender") -> dict[str, Any]:
    actions = [
        {"name": "filter", "arguments": [arg("condition", {">=": [{"var": "total"}, minimum]})]},
        {
            "name": "reward.create",
            "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("definition", "thanks")],
        },
        *more,
    ]
    trigger: dict[str, Any] = api.ok(
        "POST", "/triggers", json={"name": name, "trigger": "transaction.created", "actions": actions}
    )
    return trigger


def rewards_of(tenant: TenantInfo, profile_id: str) -> list[t.Reward]:
    return rows(tenant, t.Reward, t.Reward.profile_id == profile_id)


# --- configuration ---------------------------------------------------------------------------------


def test_trigger_crud_with_inline_actions_and_the_actions_sub_resource(api: Api) -> None:
    made = spend_trigger(api, 100)
    assert made["trigger"] == "transaction.created" and made["is_active"] is True
    assert [(a["name"], a["sort_order"]) for a in made["actions"]] == [("filter", 1), ("reward.create", 2)]
    assert made["actions"][1]["arguments"][0] == {
        "name": "profile_id",
        "value": {"var": "profile_id"},
        "is_dynamic": True,
    }
    assert api.ok("GET", f"/triggers/{made['id']}")["actions"] == made["actions"]
    assert [r["id"] for r in api.get("/triggers").json()["data"]] == [made["id"]]

    base = f"/triggers/{made['id']}/actions"
    added = api.ok(
        "POST",
        base,
        json={"name": "tag.add", "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("tag", "vip")]},
    )
    assert added["sort_order"] == 3 and added["trigger_id"] == made["id"]
    assert [a["name"] for a in api.get(base).json()["data"]] == ["filter", "reward.create", "tag.add"]
    changed = api.ok("PUT", f"{base}/{added['id']}", json={"sort_order": 0})
    assert changed["sort_order"] == 0 and changed["name"] == "tag.add"
    assert api.ok("GET", f"/triggers/{made['id']}")["actions"][0]["name"] == "tag.add"
    api.fails(422, "PUT", f"{base}/{added['id']}", json={"name": "no.such"})
    api.ok("DELETE", f"{base}/{added['id']}")
    api.fails(404, "GET", f"{base}/{added['id']}")

    replaced = api.ok(
        "PUT",
        f"/triggers/{made['id']}",
        json={"is_active": False, "actions": [{"name": "filter", "arguments": [arg("condition", True)]}]},
    )
    assert replaced["is_active"] is False and [a["name"] for a in replaced["actions"]] == ["filter"]
    api.ok("DELETE", f"/triggers/{made['id']}")
    api.fails(404, "GET", f"/triggers/{made['id']}")


def test_configuration_mistakes_are_422s_naming_the_field(api: Api) -> None:
    def trigger(*actions: dict[str, Any]) -> dict[str, Any]:
        return {"name": "x", "trigger": "profile.created", "actions": list(actions)}

    body = api.fails(
        422,
        "POST",
        "/triggers",
        json=trigger({"name": "filter", "arguments": [arg("condition", True)]}, {"name": "reward.explode"}),
    )
    assert "actions.1.name" in body["errors"] and "reward.create" in body["errors"]["actions.1.name"][0]
    body = api.fails(422, "POST", "/triggers", json=trigger({"name": "update.highest.status.attribute"}))
    assert (
        "not supported" in body["errors"]["actions.0.name"][0] and "target.send" in body["errors"]["actions.0.name"][0]
    )
    body = api.fails(
        422, "POST", "/triggers", json=trigger({"name": "reward.create", "arguments": [arg("definition", "x")]})
    )
    assert "profile_id" in body["errors"]["actions.0.arguments"][0]
    body = api.fails(
        422, "POST", "/triggers", json=trigger({"name": "filter", "arguments": [arg("condition", {"nope_op": [1]})]})
    )
    assert "actions.0.arguments.0.value" in body["errors"]
    enormous = {"and": [{"==": [{"var": f"field_{i}"}, i]} for i in range(1500)]}
    body = api.fails(
        422, "POST", "/triggers", json=trigger({"name": "filter", "arguments": [arg("condition", enormous)]})
    )
    assert "too large" in body["errors"]["actions.0.arguments.0.value"][0]
    dynamic = {"name": "reward.create", "arguments": [arg("profile_id", "{not json", True), arg("definition", "x")]}
    assert "actions.0.arguments.0.value" in api.fails(422, "POST", "/triggers", json=trigger(dynamic))["errors"]
    bad_attribute = {
        "name": "attribute.update",
        "arguments": [arg("profile_id", 1), arg("attribute", "password"), arg("value", 1)],
    }
    assert "actions.0.arguments" in api.fails(422, "POST", "/triggers", json=trigger(bad_attribute))["errors"]
    assert "trigger" in api.fails(422, "POST", "/triggers", json={"name": "x"})["errors"]

    for schedule in ("every day", "0 9 * *", "61 * * * *", "0 0 9 * * *"):
        body = api.fails(422, "POST", "/automations", json={"name": "a", "type": "scheduled", "schedule": schedule})
        assert "schedule" in body["errors"], schedule
    body = api.fails(422, "POST", "/automations", json={"name": "a", "query_type": "sql", "query": "select 1"})
    assert "query_type" in body["errors"]
    assert "query" in api.fails(422, "POST", "/automations", json={"name": "a", "query": {"bad_op": 1}})["errors"]

    target = {"name": "T", "handle": "t", "url": "https://example.com/hook"}
    body = api.fails(422, "POST", "/targets", json={**target, "template": '{"a": "{{ id }"}'})
    assert "syntax error" in body["errors"]["template"][0]
    assert "template" in api.fails(422, "POST", "/targets", json={**target, "template": "{{ x|center(9) }}"})["errors"]
    with pytest.raises(Invalid) as refused:  # beyond the test server's body limit, so checked directly
        templates.validate("{" * (templates.MAX_TEMPLATE_BYTES + 1))
    assert "too large" in refused.value.errors["template"][0]
    assert (
        "condition"
        in api.fails(422, "POST", "/targets", json={**target, "template": "{}", "condition": {"x_op": 1}})["errors"]
    )
    assert "url" in api.fails(422, "POST", "/targets", json={**target, "template": "{}", "url": "ftp://x"})["errors"]


# --- triggers --------------------------------------------------------------------------------------


def test_a_transaction_trigger_issues_a_reward_exactly_once(api: Api, tenant: TenantInfo) -> None:
    reward_definition(api)
    trigger = spend_trigger(api, 100)
    jane = profile(api)
    sale(api, jane, "150.00")
    react(tenant)
    react(tenant)  # the same events again: each trigger acts once per event
    issued = rewards_of(tenant, jane)
    assert len(issued) == 1
    assert (issued[0].value_initial, issued[0].source_type, issued[0].source_id) == (
        Decimal("10.00"),
        "trigger",
        trigger["id"],
    )
    [run] = runs(tenant, trigger["id"])
    assert run.status == "done" and run.detail["actions"][0]["reward_id"] == issued[0].id
    assert tenant.verify() == []


def test_a_false_filter_stops_the_chain(api: Api, tenant: TenantInfo) -> None:
    reward_definition(api)
    trigger = spend_trigger(api, 1000)
    jane = profile(api)
    sale(api, jane, "150.00")
    react(tenant)
    assert rewards_of(tenant, jane) == []
    [run] = runs(tenant, trigger["id"])
    assert run.status == "filtered" and run.detail["stopped_at"]["sort_order"] == 1


def test_legacy_transaction_create_and_inactive_triggers(api: Api, tenant: TenantInfo) -> None:
    reward_definition(api)
    legacy = spend_trigger(api, 1)
    api.ok("PUT", f"/triggers/{legacy['id']}", json={"trigger": "transaction.create"})
    off = spend_trigger(api, 1, name="Off")
    api.ok("PUT", f"/triggers/{off['id']}", json={"is_active": False})
    jane = profile(api)
    sale(api, jane, "20.00")
    react(tenant)
    assert len(rewards_of(tenant, jane)) == 1
    assert runs(tenant, off["id"]) == []


def test_dynamic_arguments_are_json_logic_on_the_context(api: Api, tenant: TenantInfo) -> None:
    reward_definition(api)
    api.ok("POST", "/statuses", json={"name": "Gold", "handle": "gold"})
    actions = [
        {
            "name": "reward.create",
            "arguments": [
                arg("profile_id", {"var": "profile.id"}, True),
                arg("definition", "thanks"),
                arg("value", {"*": [{"var": "total"}, 0.1]}, True),
            ],
        },
        {"name": "status.add", "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("status", "gold")]},
        {
            "name": "attribute.update",
            "arguments": [
                arg("profile_id", {"var": "profile_id"}, True),
                arg("attribute", "last_name"),
                arg("value", {"cat": [{"var": "first_name"}, "-", {"var": "receipt_ref"}]}, True),
            ],
        },
    ]
    api.ok("POST", "/triggers", json={"name": "Tenth back", "trigger": "transaction.created", "actions": actions})
    jane = profile(api)
    sale(api, jane, "123.40")
    react(tenant)
    [reward] = rewards_of(tenant, jane)
    assert reward.value_initial == Decimal("12.34")
    shown = api.ok("GET", f"/profiles/{jane}")
    assert shown["statuses"] == ["gold"] and shown["last_name"] == "Jane-R1"


def test_a_failing_action_rolls_back_its_trigger_only(api: Api, tenant: TenantInfo) -> None:
    tagging = {"name": "tag.add", "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("tag", "first")]}
    broken = {
        "name": "reward.create",
        "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("definition", "missing")],
    }
    failing = api.ok(
        "POST", "/triggers", json={"name": "Broken", "trigger": "profile.created", "actions": [tagging, broken]}
    )
    fine = {"name": "tag.add", "arguments": [arg("profile_id", {"var": "id"}, True), arg("tag", "second")]}
    working = api.ok("POST", "/triggers", json={"name": "Fine", "trigger": "profile.created", "actions": [fine]})
    jane = profile(api)
    react(tenant)
    assert api.ok("GET", f"/profiles/{jane}")["tags"] == ["second"]
    [failed] = runs(tenant, failing["id"])
    assert failed.status == "failed" and "reward definition" in failed.detail["error"]
    assert failed.detail["action"]["name"] == "reward.create"
    assert [r.status for r in runs(tenant, working["id"])] == ["done"]


def test_tier_achieved_welcome_benefit(api: Api, tenant: TenantInfo) -> None:
    """The example reaction of the docs: tier.achieved, filter on the tier, benefit.create."""
    api.ok("POST", "/tiers/definitions", json={"name": "Tier 1", "handle": "tier-1", "value_min": 0, "is_floor": True})
    api.ok("POST", "/tiers/definitions", json={"name": "Tier 2", "handle": "tier-2", "value_min": 300})
    points = api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})["id"]
    api.ok(
        "POST",
        "/benefits/definitions",
        json={"name": "Welcome", "handle": "tier-2-welcome-benefit", "period": 30, "absolute_expiry": None},
    )
    example = {
        "name": "Tier 2 welcome",
        "trigger": "tier.achieved",
        "is_active": True,
        "actions": [
            {
                "name": "filter",
                "sort_order": 1,
                "arguments": [
                    {
                        "name": "condition",
                        "value": {"===": [{"var": "definition.handle"}, "tier-2"]},
                        "is_dynamic": None,
                    }
                ],
            },
            {
                "name": "benefit.create",
                "sort_order": 2,
                "arguments": [
                    {"name": "profile_id", "value": {"var": "profile_id"}, "is_dynamic": True},
                    {"name": "definition", "value": "tier-2-welcome-benefit", "is_dynamic": None},
                ],
            },
        ],
    }
    trigger = api.ok("POST", "/triggers", json=example)
    jane = profile(api)
    api.ok(
        "POST",
        "/tiers/points",
        json={"profile_id": jane, "point_definition_id": points, "value": 100, "issued_at": now()},
    )
    react(tenant)
    assert rows(tenant, t.Benefit, t.Benefit.profile_id == jane) == []  # tier-1 (the floor): filtered
    api.ok(
        "POST",
        "/tiers/points",
        json={"profile_id": jane, "point_definition_id": points, "value": 250, "issued_at": now()},
    )
    react(tenant)
    [benefit] = rows(tenant, t.Benefit, t.Benefit.profile_id == jane)
    assert (benefit.source_type, benefit.source_id) == ("trigger", trigger["id"])
    statuses = [r.status for r in runs(tenant, trigger["id"])]
    assert statuses.count("done") == 1 and "failed" not in statuses


def test_the_event_context_of_a_transaction_and_of_a_deleted_profile(api: Api, tenant: TenantInfo) -> None:
    jane = profile(api, tags=["vip"])
    tx = sale(api, jane, "42.00")

    async def context_of(event_type: str) -> dict[str, Any]:
        async with tenant.server.db.read() as session:
            stmt = select(t.OutboxEvent).where(t.OutboxEvent.tenant_id == tenant.id, t.OutboxEvent.type == event_type)
            event = (await session.execute(stmt)).scalars().first()
            assert event is not None
            return await context.event_context(session, ctx_of(tenant), event)

    found = tenant.server.run(context_of("transaction.created"))
    assert found["id"] == tx["id"] and found["total"] == Decimal("42.00") and found["items"][0]["name"] == "Shirt"
    assert found["profile"]["id"] == jane and found["profile"]["flattened_tags"] == ["vip"]
    assert found["aggregations"]["transaction_count"] == 1 == found["profile"]["aggregations"]["transaction_count"]
    assert found["first_name"] == "Jane" and found["profile_id"] == jane
    assert found["event"]["type"] == "transaction.created" and found["attributes"]["comms"] is not None
    created = tenant.server.run(context_of("profile.created"))
    assert created["id"] == jane and created["flattened_tags"] == ["vip"] and "profile" not in created
    api.ok("DELETE", f"/profiles/{jane}")
    deleted = tenant.server.run(context_of("profile.deleted"))
    assert deleted["id"] == jane and deleted["event"]["type"] == "profile.deleted"


# --- targets and custom events --------------------------------------------------------------------

TEMPLATE = (
    '{"id": "{{ id }}", "email": "{{ email }}", "survey": {{ data.score|json_encode }},'
    ' "when": "{{ event.occurred_at|date("Y-m-d") }}", "tags": {{ flattened_tags|json_encode }}}'
)


def send_trigger(api: Api, target: str, event: str = "survey.completed") -> dict[str, Any]:
    body = {
        "name": "Send",
        "trigger": event,
        "actions": [{"name": "target.send", "arguments": [arg("target", target)]}],
    }
    trigger: dict[str, Any] = api.ok("POST", "/triggers", json=body)
    return trigger


def test_target_send_queues_a_delivery_with_the_rendered_body(api: Api, tenant: TenantInfo) -> None:
    target = api.ok(
        "POST",
        "/targets",
        json={"name": "CRM", "handle": "crm", "url": "https://crm.example.com/omneo", "template": TEMPLATE},
    )
    skipped = api.ok(
        "POST",
        "/targets",
        json={
            "name": "Never",
            "handle": "never",
            "url": "https://x.example.com",
            "template": "{}",
            "condition": {"==": [1, 2]},
        },
    )
    send_trigger(api, "crm")
    send_trigger(api, "never")
    jane = profile(api, tags=["vip"])
    event = api.ok("POST", "/events", json={"event": "survey.completed", "profile_id": jane, "data": {"score": 9}})
    assert event["event"] == "survey.completed" and event["data"] == {"score": 9}
    react(tenant)
    [delivery] = rows(tenant, t.Delivery)
    assert (delivery.target_id, delivery.url, delivery.status, delivery.event_type) == (
        target["id"],
        "https://crm.example.com/omneo",
        "pending",
        "survey.completed",
    )
    assert (
        delivery.body
        == f'{{"id": "{jane}", "email": "jane@example.com", "survey": 9, "when": "{clock.now():%Y-%m-%d}", "tags": ["vip"]}}'
    )
    assert skipped["id"] != delivery.target_id

    tested = api.ok(
        "POST", f"/targets/{target['id']}/test", json={"context": {"id": "p1", "email": "a@b.c", "data": {"score": 3}}}
    )
    assert tested["rendered"]["survey"] == 3 and tested["rendered"]["tags"] is None and tested["condition"] is True
    api.fails(422, "POST", "/events", json={"event": "transaction.created", "profile_id": jane})
    api.fails(422, "POST", "/events", json={"event": "no-namespace"})
    api.fails(
        422, "POST", "/events", json={"event": "survey.done", "profile_id": "00000000-0000-0000-0000-000000000000"}
    )


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ ''.__class__ }}", "not allowed"),
        ('{"a": "{{ x.__class__.__mro__ }}"}', "not allowed"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{}", "too much work"),
        ('{"a": "{{ "x" * 100000000 }}"}', "too large"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recurses"),
        ('{"id": {{ id }}}', "valid JSON"),
    ],
)
def test_a_hostile_or_broken_template_is_a_recorded_failure(
    api: Api, tenant: TenantInfo, template: str, problem: str
) -> None:
    target = api.ok(
        "POST", "/targets", json={"name": "Bad", "handle": "bad", "url": "https://x.example.com", "template": template}
    )
    trigger = send_trigger(api, "bad")
    tagging = {"name": "tag.add", "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("tag", "ok")]}
    other = api.ok("POST", "/triggers", json={"name": "Other", "trigger": "survey.completed", "actions": [tagging]})
    jane = profile(api)
    api.ok("POST", "/events", json={"event": "survey.completed", "profile_id": jane, "data": {}})
    react(tenant)
    [run] = runs(tenant, trigger["id"])
    assert run.status == "failed" and problem in run.detail["error"], run.detail
    assert rows(tenant, t.Delivery) == []
    assert [r.status for r in runs(tenant, other["id"])] == ["done"]
    body = api.fails(422, "POST", f"/targets/{target['id']}/test", json={"context": {"id": "x a"}})
    assert problem in body["errors"]["template"][0]


def test_twig_filters() -> None:
    ctx = {
        "total": Decimal("1234.5"),
        "at": "2025-06-05 13:05:09",
        "items": [{"sku": "a"}, {"sku": "b"}],
        "flag": True,
        "none": None,
    }
    rendered = templates.render_json(
        '{"n": "{{ total|number_format(2) }}", "r": {{ total|round }}, "f": {{ total|round(1, "floor") }},'
        ' "d": "{{ at|date("D jS M Y, g:ia T") }}", "l": "{{ at|date("d/m/Y H:i", "Australia/Melbourne") }}",'
        ' "len": {{ items|length }}, "first": "{{ (items|first).sku }}", "last": "{{ (items|last).sku }}",'
        ' "join": "{{ items|map(attribute="sku")|join(", ") }}", "u": "{{ "ab"|upper }}{{ "CD"|lower }}",'
        ' "def": "{{ none|default("x") }}{{ missing.deeply|default("y") }}", "flag": "{{ flag }}",'
        ' "e": "{{ "<a & \\"b\\">"|e }}", "js": "{{ "say \\"hi\\""|e("js") }}", "raw": {{ items|json_encode|raw }}}',
        ctx,
    )
    assert rendered == {
        "n": "1,234.50",
        "r": 1235,
        "f": Decimal("1234.5"),
        "d": "Thu 5th Jun 2025, 1:05pm UTC",
        "l": "05/06/2025 23:05",
        "len": 2,
        "first": "a",
        "last": "b",
        "join": "a, b",
        "u": "ABcd",
        "def": "xy",
        "flag": "1",
        "e": "&lt;a &amp; &quot;b&quot;&gt;",
        "js": 'say "hi"',
        "raw": [{"sku": "a"}, {"sku": "b"}],
    }


# --- automations -----------------------------------------------------------------------------------


def test_an_automation_acts_once_per_profile_per_tick(api: Api, tenant: TenantInfo, time_machine: Clock) -> None:
    reward_definition(api)
    vip = [profile(api, f"vip{i}@example.com", tags=["vip"]) for i in range(2)]
    plain = profile(api, "plain@example.com")
    body = {
        "name": "VIP monthly",
        "type": "scheduled",
        "schedule": "0 9 * * *",
        "query_type": "filter",
        "query": {"in": ["vip", {"var": "flattened_tags"}]},
        "actions": [
            {
                "name": "reward.create",
                "arguments": [arg("profile_id", {"var": "profile_id"}, True), arg("definition", "thanks")],
            }
        ],
    }
    made = api.ok("POST", "/automations", json=body)
    assert (
        made["query"] == '{"in":["vip",{"var":"flattened_tags"}]}' and made["actions"][0]["automation_id"] == made["id"]
    )
    tick = datetime.fromisoformat(made["next_run_at"])
    assert tick > clock.now() and (tick.hour, tick.minute) == (9, 0)

    def run_due(now: datetime) -> int:
        async def work() -> int:
            async with tenant.server.db.write() as session:
                return await automations.run_due(session, ctx_of(tenant), now)

        return tenant.server.run(work())

    def rewind(to: datetime) -> None:
        async def work() -> None:
            async with tenant.server.db.write() as session:
                row = await session.get(t.Automation, made["id"])
                assert row is not None
                row.next_run_at = to

        tenant.server.run(work())

    assert run_due(tick - timedelta(minutes=1)) == 0
    time_machine.travel(tick - clock.now() + timedelta(minutes=1))
    assert run_due(clock.now()) == 1
    assert [len(rewards_of(tenant, p)) for p in (*vip, plain)] == [1, 1, 0]
    assert run_due(clock.now()) == 0  # not due again until tomorrow
    rewind(tick)  # the same tick once more (a scheduler that crashed after acting): acts once
    assert run_due(clock.now()) == 1
    assert [len(rewards_of(tenant, p)) for p in (*vip, plain)] == [1, 1, 0]
    shown = api.ok("GET", f"/automations/{made['id']}")
    assert shown["next_run_at"] == (tick + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S") and shown["last_run_at"]

    time_machine.travel(timedelta(days=1))
    assert run_due(clock.now()) == 1
    assert [len(rewards_of(tenant, p)) for p in (*vip, plain)] == [2, 2, 0]
    assert len(runs(tenant, made["id"], "automation")) == 4

    result = api.ok("POST", f"/automations/{made['id']}/trigger")
    assert result["selected"] == 2 and result["done"] == 2
    assert [len(rewards_of(tenant, p)) for p in (*vip, plain)] == [3, 3, 0]
    api.ok("PUT", f"/automations/{made['id']}", json={"is_active": False})
    api.fails(422, "POST", f"/automations/{made['id']}/trigger")
    api.ok("POST", f"/automations/{made['id']}/trigger", json={"force": True})
    assert tenant.verify() == []


def test_automation_frequency_derives_the_schedule_and_actions_sub_resource(api: Api) -> None:
    made = api.ok(
        "POST", "/automations", json={"name": "Weekly", "type": "scheduled", "frequency": "weekly", "run_at": 7}
    )
    tick = datetime.fromisoformat(made["next_run_at"])
    assert (tick.weekday(), tick.hour) == (0, 7)
    manual = api.ok("POST", "/automations", json={"name": "Manual", "type": "date"})
    assert manual["next_run_at"] is None
    base = f"/automations/{made['id']}/actions"
    action = api.ok(
        "POST", base, json={"name": "points.award", "arguments": {"profile_id": "x", "definition": "pts", "value": 5}}
    )
    assert action["automation_id"] == made["id"] and action["arguments"][0] == {
        "name": "profile_id",
        "value": "x",
        "is_dynamic": False,
    }
    assert [a["id"] for a in api.get(base).json()["data"]] == [action["id"]]
    assert "actions.0.name" not in api.fails(422, "POST", base, json={"name": "nope"})["errors"]
    changed = api.ok("PUT", f"/automations/{made['id']}", json={"schedule": "30 6 * * *"})
    assert datetime.fromisoformat(changed["next_run_at"]).strftime("%H:%M") == "06:30"
    api.ok("DELETE", f"/automations/{made['id']}")
    assert api.get(f"/automations/{made['id']}").status_code == 404


def test_tier_points_and_points_with_check_rate(api: Api, tenant: TenantInfo) -> None:
    tier_points = api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})["id"]
    reward_points = api.ok("POST", "/points/definitions", json={"name": "Pts", "handle": "pts", "type": "reward"})["id"]
    api.ok("POST", "/rates", json={"name": "Double", "point_definition_id": reward_points, "rate": 2})
    actions = [
        {
            "name": "tier.point.create",
            "arguments": [
                arg("profile_id", {"var": "profile_id"}, True),
                arg("definition", "tier"),
                arg("value", {"var": "total"}, True),
                arg("check_rate", True),
            ],
        },
        {
            "name": "points.award",
            "arguments": [
                arg("profile_id", {"var": "profile_id"}, True),
                arg("definition", "pts"),
                arg("value", {"var": "total"}, True),
                arg("check_rate", True),
            ],
        },
    ]
    api.ok("POST", "/triggers", json={"name": "Earn", "trigger": "transaction.created", "actions": actions})
    jane = profile(api)
    sale(api, jane, "40.00")
    react(tenant)
    [tier_point] = rows(tenant, t.TierPoint, t.TierPoint.profile_id == jane, t.TierPoint.source_type == "trigger")
    assert tier_point.value == Decimal("40.00") and tier_point.point_definition_id == tier_points  # no rate: raw base
    [point] = rows(tenant, t.Point, t.Point.profile_id == jane, t.Point.source_type == "trigger")
    assert point.value_initial == Decimal("80.00") and point.rate == Decimal(2)


def test_the_sdk_namespaces(tenant: TenantInfo) -> None:
    from omneo import Omneo

    client = Omneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url)
    trigger = client.triggers.create({"name": "SDK", "trigger": "survey.completed"})
    action = client.triggers.actions.create(
        trigger.id, {"name": "tag.add", "arguments": {"profile_id": "x", "tag": "y"}}
    )
    assert action.arguments[1].value == "y" and client.triggers.get(trigger.id).actions[0].id == action.id
    assert [a.id for a in client.triggers.actions.list(trigger.id)] == [action.id]
    automation = client.automations.create({"name": "SDK", "type": "scheduled", "schedule": "0 3 * * *"})
    assert automation.next_run_at is not None and client.automations.trigger(automation.id) is None
    target = client.targets.create(
        {"name": "T", "handle": "t", "url": "https://x.example.com", "template": '{"a": "{{ a }}"}'}
    )
    assert client.targets.test(target.id, {"a": 1}).rendered == {"a": "1"}
    event = client.events.create({"event": "survey.completed", "data": {"x": 1}})
    assert event.event == "survey.completed" and event.id
    client.triggers.delete(trigger.id)


def test_through_the_worker(api: Api, tenant: TenantInfo) -> None:
    """The worker's pass dispatches the outbox to ``event_context`` + ``react`` in one transaction."""
    from omneo_server.jobs import outbound, worker

    reward_definition(api)
    trigger = spend_trigger(api, 100)
    jane = profile(api)
    sale(api, jane, "150.00")

    async def work() -> None:
        async with outbound.client(tenant.server.settings) as client:
            await worker.run_once(tenant.server.db, ctx_of(tenant).settings, client)

    tenant.server.run(work())
    tenant.server.run(work())
    assert len(rewards_of(tenant, jane)) == 1
    assert [r.status for r in runs(tenant, trigger["id"])] == ["done"]
    assert all(e.processed_at is not None for e in rows_of_events(tenant))


def rows_of_events(tenant: TenantInfo) -> list[t.OutboxEvent]:
    async def work() -> list[t.OutboxEvent]:
        async with tenant.server.db.read() as session:
            stmt = select(t.OutboxEvent).where(t.OutboxEvent.tenant_id == tenant.id)
            return list((await session.execute(stmt)).scalars())

    return tenant.server.run(work())
