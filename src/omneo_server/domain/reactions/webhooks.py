"""Webhooks: the CRUD of subscriptions, and the at-least-once delivery of events to them.

The worker calls :func:`enqueue` for each outbox event inside the transaction that marks the
event processed, so a delivery exists if and only if its event was dispatched (and a second run of
the same event after a crash inserts nothing: ``(webhook_id, event_id)`` is unique). It calls
:func:`deliver_due` in its loop: due deliveries are *claimed* (a 60 s lease) in a short write
transaction, POSTed outside any transaction, and the outcome recorded in another. A worker that
dies between the POST and the record leaves the lease to run out, and the delivery is sent again:
receivers dedupe on ``webhook-id`` (the event's stable ``event_id``).

Every delivery is signed twice, so both kinds of receiver can check it:

* ``X-Omneo-Hmac-SHA256``: hex ``HMAC-SHA256(raw body)`` keyed with the secret *string* (the whole
  ``whsec_…`` text, as the hosted Omneo's PHP verifier keys ``hash_hmac`` with its shared secret);
* Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` =
  ``v1,`` + base64 ``HMAC-SHA256("{id}.{timestamp}.{body}")`` keyed with the base64-decoded secret.

Target deliveries (rows with ``target_id``, created by ``target.send``) are signed the same way with
the tenant's target secret, :func:`target_secret`.

Receivers are tenants' URLs, so they are reached only through :mod:`omneo_server.jobs.outbound`: a
URL must lead to a public address (or a network the operator allows) when it is written
(:func:`check_url`) and when each delivery connects. What the log keeps of a failed attempt says no
more than "could not be reached", whatever the reason, so the log cannot map a network's ports.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from pydantic import BeforeValidator, field_validator
from pydantic import Field as Pyd
from pydantic_core import PydanticCustomError
from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook as StandardWebhook

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database, dialect_insert
from omneo_server.domain import crud, events, jsonlogic
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid
from omneo_server.domain.inputs import Body, Text, partial
from omneo_server.domain.query import ListQuery, Page, apply, paginate
from omneo_server.domain.reactions import templates
from omneo_server.jobs import outbound
from omneo_server.wire import dumps

log = logging.getLogger(__name__)

# --- policy -----------------------------------------------------------------------------------------

QUEUES = ("high", "default", "low")
#: A claimed delivery belongs to its worker for this long; then anyone may take it again.
LEASE = timedelta(seconds=60)
#: Seconds a receiver has to answer (the worker passes ``settings.delivery_timeout_seconds``).
DEFAULT_TIMEOUT = 5.0
#: Retry ``n`` waits ``BACKOFF_BASE * 2**(n-1)``, at most ``BACKOFF_CAP``.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
#: Attempts before a delivery is given up (``dead``).
MAX_ATTEMPTS = 10
#: Failed attempts in a row (across the webhook's deliveries) that disable the webhook.
DISABLE_AFTER = 20
#: How much of a receiver's answer is kept in the delivery log, in bytes (UTF-8).
RESPONSE_KEEP = 1024
USER_AGENT = "omneo-webhooks/1"
#: How ``last_error`` starts when the extra data could not be rendered (the event went without it).
TEMPLATE_PROBLEM = "extra_data_template:"
#: The event type of ``POST /webhooks/{id}/test`` deliveries.
TEST_EVENT = "webhook.test"
#: The one error of an attempt that got no answer, whatever the reason (refused, reset, unreachable,
#: no such name, timed out…): distinct texts would let the log be used as a port scanner.
UNREACHABLE = "The receiver could not be reached."
#: An attempt the outbound guard stopped before connecting.
NOT_ALLOWED = "The URL resolves to an address that is not allowed."
#: An attempt whose URL the client could not use (written before URLs were checked).
BAD_URL = "The URL is not valid."


def new_secret() -> str:
    """A signing secret in the Standard Webhooks format: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def target_secret(signing_key: str) -> str:
    """The tenant's secret for target deliveries, derived from its ``signing_key``:
    ``whsec_`` + base64 ``HMAC-SHA256(key=signing_key, "targets")``. Rotating the signing key
    rotates it."""
    digest = hmac.new(signing_key.encode(), b"targets", hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(digest).decode()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    seconds = BACKOFF_BASE.total_seconds() * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, BACKOFF_CAP.total_seconds()))


# --- CRUD -------------------------------------------------------------------------------------------


def _queue(value: Any) -> Any:
    """An unknown queue is stored as ``low`` (the hosted rule); ``null`` stays null."""
    if value is None:
        return None
    return value if value in QUEUES else "low"


#: An event type (``profile.created``), every event under a prefix (``profile.*``), or ``*``.
_TRIGGER = r"^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(\*|[A-Za-z0-9_-]+))$"


class WebhookIn(Body):
    trigger: str = Pyd(min_length=1, max_length=100, pattern=_TRIGGER)
    url: str = Pyd(min_length=1, max_length=2048)
    namespace: str = Pyd(min_length=1, max_length=100)
    is_active: bool = True
    queue: Annotated[str | None, BeforeValidator(_queue)] = "default"
    retry_daily: bool = True
    retry_hourly: bool = True
    condition: Any = None
    extra_data_template: Text | None = None

    @field_validator("url")
    @classmethod
    def http_url(cls, value: str | None) -> str | None:
        return None if value is None else url_shape(value)  # null: the update says it cannot be


def url_shape(value: str) -> str:
    """What a URL's text alone tells (http or https, no credentials, a well-formed host); where it
    leads needs the settings and is checked by :func:`check_url`."""
    try:
        outbound.destination(value)
    except outbound.UrlRefused as exc:
        raise PydanticCustomError("url", str(exc)) from None
    return value


async def check_url(ctx: Ctx, data: dict[str, Any]) -> None:
    """Refuse (422 on ``url``) a URL leading where outbound calls may not go under ``ctx``'s settings
    (a webhook's or a target's, on create and update)."""
    if data.get("url") is None:
        return
    try:
        await outbound.check_url(data["url"], outbound.policy(ctx.settings))
    except outbound.UrlRefused as exc:
        raise Invalid.field("url", str(exc)) from None


WebhookUpdate = partial(WebhookIn)


def _prepare(data: dict[str, Any], row: t.Webhook | None) -> dict[str, Any]:
    if "condition" in data:
        jsonlogic.validate(data["condition"], "condition")
    if data.get("extra_data_template"):
        templates.validate(data["extra_data_template"], "extra_data_template")
    if row is None:
        data["secret"] = new_secret()
    elif data.get("is_active") is True:
        # Re-enabling (after the worker disabled it) starts the failure count afresh.
        data["disabled_at"] = None
        data["failure_count"] = 0
    return data


def render_webhook(row: t.Webhook) -> dict[str, Any]:
    """The webhook as answered by get/list/update: never its secret."""
    return render_columns(row, exclude=("tenant_id", "secret"))


WEBHOOKS = Resource(
    name="webhooks",
    event="webhook",
    label="Webhook",
    table=t.Webhook,
    create=WebhookIn,
    update=WebhookUpdate,
    filters=standard_fields(t.Webhook, "id", "trigger", "url", "namespace", "is_active", "queue"),
    sorts=standard_fields(t.Webhook, "id", "trigger", "url", "namespace", "created_at", "updated_at"),
    search=(t.Webhook.url, t.Webhook.trigger, t.Webhook.namespace),
    unique=(("trigger", "url"),),
    render=render_webhook,
    prepare=_prepare,
    check=check_url,
)


async def create_webhook(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Create a webhook; the answer is the only place its ``secret`` is ever shown."""
    row: t.Webhook = await crud.create_row(session, ctx, WEBHOOKS, data)
    return {**render_webhook(row), "secret": row.secret}


# --- enqueue ----------------------------------------------------------------------------------------


async def _token_namespace(session: AsyncSession, event: t.OutboxEvent) -> str | None:
    """The namespace of the API token that caused ``event`` (its name), if a token did."""
    if not event.actor:
        return None
    stmt = select(t.ApiToken.name).where(t.ApiToken.id == event.actor, t.ApiToken.tenant_id == event.tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


def envelope(message_id: str, type_: str, occurred_at: datetime, data: Any, extra: Any = None) -> str:
    body: dict[str, Any] = {"id": message_id, "type": type_, "occurred_at": occurred_at, "data": data}
    if extra is not None:
        body["extra_data"] = extra
    return dumps(body)


async def _add_delivery(
    session: AsyncSession,
    hook: t.Webhook,
    *,
    event_id: int | None,
    message_id: str,
    event_type: str,
    body: str,
    last_error: str | None = None,
) -> int | None:
    """Insert a pending delivery unless this webhook already has one for this event; its id or None."""
    now = clock.now()
    stmt = (
        dialect_insert(session)(t.Delivery)
        .values(
            tenant_id=hook.tenant_id,
            webhook_id=hook.id,
            event_id=event_id,
            message_id=message_id,
            event_type=event_type,
            url=hook.url,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error=last_error,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["webhook_id", "event_id"])
        .returning(t.Delivery.id)
    )
    inserted: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return inserted


async def enqueue(session: AsyncSession, ctx: Ctx, event: t.OutboxEvent, context: dict[str, Any]) -> int:
    """Queue ``event`` for every active webhook of its tenant that subscribes to it (``trigger`` is
    its type, a ``prefix.*`` of it, or ``*``), except webhooks in the namespace of the token that
    caused it (no echo) and webhooks whose ``condition`` is false on ``context``. Idempotent; the
    number of deliveries added."""
    stmt = select(t.Webhook).where(
        t.Webhook.tenant_id == event.tenant_id,
        t.Webhook.is_active.is_(True),
        t.Webhook.trigger.in_(events.subscriptions(event.type)),
    )
    hooks = (await session.execute(stmt.order_by(t.Webhook.id))).scalars().all()
    if not hooks:
        return 0
    namespace = await _token_namespace(session, event)
    added = 0
    for hook in hooks:
        if namespace is not None and hook.namespace == namespace:
            continue
        if not jsonlogic.truthy(hook.condition, context):
            continue
        extra, problem = None, None
        if hook.extra_data_template:
            try:
                extra = templates.render_json(hook.extra_data_template, context)
            except templates.TemplateProblem as exc:  # delivered without it; the log says why
                problem = f"{TEMPLATE_PROBLEM} {exc.message}"
        body = envelope(event.event_id, event.type, event.occurred_at, context, extra)
        inserted = await _add_delivery(
            session,
            hook,
            event_id=event.id,
            message_id=event.event_id,
            event_type=event.type,
            body=body,
            last_error=problem,
        )
        added += inserted is not None
    return added


async def send_test(session: AsyncSession, ctx: Ctx, webhook_id: Any) -> t.Delivery:
    """Queue a ``webhook.test`` delivery to one webhook (active or not: testing a disabled one is how
    its owner checks the receiver is back)."""
    hook: t.Webhook = await crud.get_row(session, ctx, WEBHOOKS, webhook_id)
    message_id = t.new_uuid()
    body = envelope(message_id, TEST_EVENT, clock.now(), {"webhook_id": hook.id, "trigger": hook.trigger})
    delivery_id = await _add_delivery(
        session, hook, event_id=None, message_id=message_id, event_type=TEST_EVENT, body=body
    )
    row = await session.get(t.Delivery, delivery_id)
    assert row is not None
    return row


# --- the delivery log -------------------------------------------------------------------------------

DELIVERY_FIELDS = standard_fields(t.Delivery, "id", "status", "event_type", "message_id", "created_at")


def render_attempt(row: t.DeliveryAttempt) -> dict[str, Any]:
    return render_columns(row, exclude=("delivery_id",))


def render_delivery(row: t.Delivery, attempts: list[t.DeliveryAttempt]) -> dict[str, Any]:
    out = render_columns(row, exclude=("tenant_id", "attempts", "event_id"))
    out["attempt_count"] = row.attempts
    out["attempts"] = [render_attempt(a) for a in attempts]
    return out


async def list_deliveries(
    session: AsyncSession, ctx: Ctx, webhook_id: Any, query: ListQuery
) -> tuple[Page, list[dict[str, Any]]]:
    """A page of one webhook's deliveries, newest first, each with its attempts (oldest first)."""
    hook: t.Webhook = await crud.get_row(session, ctx, WEBHOOKS, webhook_id)
    stmt: Select[Any] = select(t.Delivery).where(
        t.Delivery.tenant_id == ctx.tenant_id, t.Delivery.webhook_id == hook.id
    )
    stmt = apply(stmt, query, DELIVERY_FIELDS, DELIVERY_FIELDS, default_sort=(t.Delivery.id.desc(),))
    page = await paginate(session, stmt, query)
    ids = [row.id for row in page.rows]
    by_delivery: dict[int, list[t.DeliveryAttempt]] = {i: [] for i in ids}
    if ids:
        attempts = select(t.DeliveryAttempt).where(t.DeliveryAttempt.delivery_id.in_(ids))
        for attempt in (await session.execute(attempts.order_by(t.DeliveryAttempt.id))).scalars():
            by_delivery[attempt.delivery_id].append(attempt)
    return page, [render_delivery(row, by_delivery[row.id]) for row in page.rows]


# --- delivery ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A claimed delivery: everything needed to send it, read in the claiming transaction."""

    id: int
    tenant_id: int
    webhook_id: int | None
    url: str
    body: str
    message_id: str
    event_type: str
    secret: str
    attempt: int
    #: Whether failures are retried (a webhook with neither retry flag gets one attempt).
    retries: bool


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    response: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


#: A webhook's ``queue`` decides which of the due deliveries go first (targets count as ``default``).
_priority = (
    select(case((t.Webhook.queue == "high", 0), (t.Webhook.queue == "low", 2), else_=1))
    .where(t.Webhook.id == t.Delivery.webhook_id)
    .scalar_subquery()
)


def _due(now: datetime, tenants: Sequence[int] | None) -> Select[Any]:
    active_hooks = select(t.Webhook.id).where(t.Webhook.is_active.is_(True))
    stmt = select(t.Delivery) if tenants is None else select(t.Delivery).where(t.Delivery.tenant_id.in_(tenants))
    return stmt.where(
        t.Delivery.status.in_(("pending", "failed")),
        t.Delivery.next_attempt_at <= now,
        or_(t.Delivery.locked_until.is_(None), t.Delivery.locked_until <= now),
        # A disabled webhook's deliveries wait (they resume when it is re-enabled); test sends go.
        or_(
            t.Delivery.webhook_id.is_(None),
            t.Delivery.webhook_id.in_(active_hooks),
            t.Delivery.event_type == TEST_EVENT,
        ),
    ).order_by(func.coalesce(_priority, 1), t.Delivery.next_attempt_at, t.Delivery.id)


async def claim_due(
    db: Database, limit: int = 50, tenants: Sequence[int] | None = None, lease: timedelta = LEASE
) -> list[Job]:
    """Lease up to ``limit`` due deliveries (of ``tenants``, default all) to this worker for
    ``lease`` (``SKIP LOCKED`` on PostgreSQL, so concurrent workers never take the same one)."""
    async with db.write() as session:
        now = clock.now()
        stmt = _due(now, tenants).limit(limit)
        if not db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await session.execute(stmt)).scalars())
        if not rows:
            return []
        hook_ids = {r.webhook_id for r in rows if r.webhook_id is not None}
        hooks: dict[int, t.Webhook] = {}
        if hook_ids:
            found = await session.execute(select(t.Webhook).where(t.Webhook.id.in_(hook_ids)))
            hooks = {h.id: h for h in found.scalars()}
        keys: dict[int, str] = {}
        tenant_ids = {r.tenant_id for r in rows if r.webhook_id is None}
        if tenant_ids:
            found_keys = await session.execute(
                select(t.Tenant.id, t.Tenant.signing_key).where(t.Tenant.id.in_(tenant_ids))
            )
            keys = {tid: target_secret(key) for tid, key in found_keys.all()}
        jobs = []
        for row in rows:
            row.locked_until = now + lease
            hook = hooks.get(row.webhook_id) if row.webhook_id is not None else None
            if hook is not None:
                # Sent to the webhook's URL as it is now (fixing a wrong URL redirects what waits).
                row.url = hook.url
                secret, retries = hook.secret or "", hook.retry_hourly or hook.retry_daily
            else:
                secret, retries = keys.get(row.tenant_id, ""), True
            jobs.append(
                Job(
                    id=row.id,
                    tenant_id=row.tenant_id,
                    webhook_id=row.webhook_id,
                    url=row.url,
                    body=row.body,
                    message_id=row.message_id,
                    event_type=row.event_type,
                    secret=secret,
                    attempt=row.attempts + 1,
                    retries=bool(retries),
                )
            )
        return jobs


def sign(job: Job, sent_at: datetime) -> dict[str, str]:
    """The headers of one attempt: both signatures, the event and the Standard Webhooks trio."""
    body = job.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Omneo-Event": job.event_type,
        "X-Omneo-Event-Id": job.message_id,
        "X-Omneo-Attempt": str(job.attempt),
        "webhook-id": job.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
    }
    if job.secret:
        headers["X-Omneo-Hmac-SHA256"] = hmac.new(job.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["webhook-signature"] = StandardWebhook(job.secret).sign(job.message_id, sent_at, job.body)
    return headers


async def send(job: Job, client: httpx.AsyncClient, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """POST one delivery; never raises (a bad receiver is an outcome, not an error)."""
    # The platform clock (UTC): in production the wall clock; tests move it.
    headers = sign(job, clock.now().replace(tzinfo=UTC))
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        async with client.stream(
            "POST", job.url, content=job.body.encode(), headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            kept = bytearray()
            async for chunk in response.aiter_bytes():
                kept.extend(chunk)
                if len(kept) >= RESPONSE_KEEP:
                    break
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
            return Outcome(response.status_code, error, elapsed(), excerpt(bytes(kept)))
    except outbound.AddressRefused as exc:
        log.warning("delivery %s not sent: %s", job.id, exc)
        return Outcome(None, NOT_ALLOWED, elapsed(), None)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        return Outcome(None, BAD_URL, elapsed(), None)
    except Exception as exc:  # refused, reset, unreachable, no such name, timed out, TLS...: all alike
        log.info("delivery %s to %s failed: %r", job.id, job.url, exc)  # the detail is for the operator
        return Outcome(None, UNREACHABLE, elapsed(), None)


def excerpt(raw: bytes) -> str:
    """At most :data:`RESPONSE_KEEP` bytes of a receiver's answer as storable text: undecodable bytes
    and NULs (PostgreSQL text cannot hold them) become U+FFFD, and a character cut at the limit goes."""
    text = raw[:RESPONSE_KEEP].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text.encode()[:RESPONSE_KEEP].decode("utf-8", errors="ignore")


async def record(db: Database, job: Job, outcome: Outcome) -> None:
    """Write the attempt and move the delivery on: delivered, retried later, or dead; a webhook
    failing ``DISABLE_AFTER`` times in a row is disabled (and a ``webhook.disabled`` event recorded)."""
    async with db.write() as session:
        now = clock.now()
        delivery = await session.get(t.Delivery, job.id)
        if delivery is None:  # its webhook was deleted meanwhile
            return
        session.add(
            t.DeliveryAttempt(
                delivery_id=job.id,
                attempt=job.attempt,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                response=outcome.response,
                created_at=now,
            )
        )
        if delivery.status in ("delivered", "dead"):
            return  # a slower twin (whose lease ran out) already settled it
        delivery.attempts = max(delivery.attempts, job.attempt)
        delivery.locked_until = None
        delivery.last_status = outcome.status_code
        if outcome.ok:
            delivery.status = "delivered"
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            if not (delivery.last_error or "").startswith(TEMPLATE_PROBLEM):
                delivery.last_error = None  # the attempts' errors are over; a template's problem stays
            if job.webhook_id is not None:
                await session.execute(update(t.Webhook).where(t.Webhook.id == job.webhook_id).values(failure_count=0))
            return
        delivery.last_error = outcome.error
        if delivery.attempts >= MAX_ATTEMPTS or not job.retries:
            delivery.status = "dead"
            delivery.next_attempt_at = None
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        if job.webhook_id is not None:
            await _count_failure(session, job.webhook_id, now)


async def _count_failure(session: AsyncSession, webhook_id: int, now: datetime) -> None:
    await session.execute(
        update(t.Webhook).where(t.Webhook.id == webhook_id).values(failure_count=t.Webhook.failure_count + 1)
    )
    disabled = (
        await session.execute(
            update(t.Webhook)
            .where(
                t.Webhook.id == webhook_id,
                t.Webhook.is_active.is_(True),
                t.Webhook.failure_count >= DISABLE_AFTER,
            )
            .values(is_active=False, disabled_at=now)
            .returning(t.Webhook.id)
        )
    ).scalar_one_or_none()
    if disabled is None:
        return
    hook = await session.get(t.Webhook, webhook_id, populate_existing=True)
    assert hook is not None
    session.add(
        t.OutboxEvent(
            tenant_id=hook.tenant_id,
            type="webhook.disabled",
            subject_type="webhook",
            subject_id=str(hook.id),
            actor="worker",
            payload={**render_webhook(hook), "reason": f"{DISABLE_AFTER} failed deliveries in a row"},
            occurred_at=now,
        )
    )


async def deliver_due(
    db: Database,
    *,
    client: httpx.AsyncClient,
    limit: int = 50,
    timeout: float = DEFAULT_TIMEOUT,
    tenants: Sequence[int] | None = None,
    lease_seconds: float = LEASE.total_seconds(),
) -> int:
    """Claim up to ``limit`` due deliveries (of ``tenants``, default all), POST them concurrently and
    record each outcome; the number attempted. Receivers' failures are recorded, never raised. The
    lease is kept well above ``timeout`` (at least twice it), so a slow receiver cannot outlive it."""
    lease = timedelta(seconds=max(lease_seconds, 2 * timeout))
    jobs = await claim_due(db, limit, tenants, lease)

    async def one(job: Job) -> None:
        outcome = await send(job, client, timeout)
        await record(db, job, outcome)

    results = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
    for job, result in zip(jobs, results, strict=True):
        if isinstance(result, BaseException):
            # Not the receiver's fault (the database?): the lease runs out and it is retried.
            log.error("recording delivery %s failed", job.id, exc_info=result)
    return len(jobs)


__all__ = [
    "WEBHOOKS",
    "Job",
    "Outcome",
    "claim_due",
    "create_webhook",
    "deliver_due",
    "enqueue",
    "list_deliveries",
    "record",
    "send",
    "send_test",
    "target_secret",
]
