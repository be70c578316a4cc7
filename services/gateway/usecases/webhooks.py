"""Webhooks: subscriptions, the deliveries each event makes, and their delivery in order."""

import asyncio
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.domain import webhooks as rules
from services.gateway.notifications import add_notification
from services.gateway.tables import User, WebhookAttempt, WebhookDelivery, WebhookSubscription
from shared.consumer import Handler
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid, NotFound
from shared.events import REGISTRY, Envelope
from shared.sweeps import in_batches
from shared.text import N_

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How deliveries are made: from the gateway's settings."""

    allowed_hosts: frozenset[str] = frozenset()
    timeout: float = 10.0
    first_retry: timedelta = timedelta(seconds=10)
    longest_retry: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=1)
    log_kept: timedelta = timedelta(days=30)


class RefusedAddress(Exception):
    """The URL's host is (or resolves to) an address webhooks may not reach."""


async def check_target(url: str, allowed_hosts: frozenset[str]) -> None:
    """Refuse a URL that is not https, or whose host is loopback, private, link-local or
    otherwise not public, unless the host is allowed explicitly (then plain http too)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress(N_("only http and https addresses can receive webhooks"))
    host = parts.hostname.lower()
    if host in allowed_hosts:
        return
    if parts.scheme != "https":  # the events would cross the network readable by anyone on it
        raise RefusedAddress(
            N_(
                "events are sent over https only (plain http only to a host an administrator allows)"
            )
        )
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        raise RefusedAddress(N_("the host cannot be found")) from None
    if any(rules.is_refused_address(str(address[4][0])) for address in found):
        raise RefusedAddress(
            N_(
                "the address is loopback, private or link-local; an administrator must allow "
                "the host first"
            )
        )


async def subscribe(
    sessions: SessionFactory,
    *,
    url: str,
    event_types: Sequence[str],
    filters: Mapping[str, Any],
    description: str,
    created_by: UUID,
    policy: Policy,
) -> WebhookSubscription:
    unknown = sorted(set(event_types) - set(REGISTRY))
    if unknown or not event_types:
        context = {"event_types": {"unknown": ", ".join(unknown)}} if unknown else None
        raise Invalid({"event_types": N_("choose event types from the catalogue")}, context=context)
    fields = {name for type_ in event_types for name in REGISTRY[type_].model_fields}
    if strange := sorted(set(filters) - fields):
        raise Invalid(
            {"filters": N_("filter only by fields of the chosen events' data")},
            context={"filters": {"unknown": ", ".join(strange)}},
        )
    try:
        await check_target(url, policy.allowed_hosts)
    except RefusedAddress as refused:
        raise Invalid({"url": str(refused)}) from None
    async with unit_of_work(sessions) as session:
        subscription = WebhookSubscription(
            url=url,
            event_types=sorted(set(event_types)),
            filters=dict(filters),
            secret=rules.new_secret(),
            description=description,
            created_by=created_by,
        )
        session.add(subscription)
        await session.flush()
    return subscription


async def subscriptions(sessions: SessionFactory) -> list[WebhookSubscription]:
    async with sessions() as session:
        found = await session.scalars(
            select(WebhookSubscription).order_by(WebhookSubscription.created_at)
        )
        return list(found)


async def find(sessions: SessionFactory, subscription_id: UUID) -> WebhookSubscription:
    async with sessions() as session:
        found = await session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise NotFound("webhook subscription")
    return found


async def set_active(
    sessions: SessionFactory, subscription_id: UUID, *, active: bool
) -> WebhookSubscription:
    """Switch a subscription off, or on again (its pending deliveries go out again at once)."""
    async with unit_of_work(sessions) as session:
        subscription = await session.get(WebhookSubscription, subscription_id)
        if subscription is None:
            raise NotFound("webhook subscription")
        subscription.active = active
        subscription.disabled_reason = None
        if active:
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.subscription_id == subscription_id,
                    WebhookDelivery.status == "pending",
                )
                .values(next_attempt_at=text("now()"), created_at=text("now()"))
            )
    return subscription


async def remove(sessions: SessionFactory, subscription_id: UUID) -> None:
    async with unit_of_work(sessions) as session:
        gone = await session.execute(
            delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
        )
        if not getattr(gone, "rowcount", 0):
            raise NotFound("webhook subscription")


@dataclass(frozen=True)
class Logged:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


DELIVERY_STATES = ("pending", "delivered", "failed")


async def delivery_log(
    sessions: SessionFactory,
    subscription_id: UUID,
    *,
    limit: int = 50,
    before: int | None = None,
    state: str | None = None,
) -> list[Logged]:
    """The newest deliveries of a subscription (older than the delivery `before`, in `state`),
    each with its attempts."""
    conditions = [WebhookDelivery.subscription_id == subscription_id]
    if before is not None:
        conditions.append(WebhookDelivery.id < before)
    if state is not None:
        conditions.append(WebhookDelivery.status == state)
    async with sessions() as session:
        deliveries = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(*conditions)
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
        )
        attempts = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.id)
        )
        by_delivery: dict[int, list[WebhookAttempt]] = {}
        for attempt in attempts:
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [Logged(d, by_delivery.get(d.id, [])) for d in deliveries]


# --- events in: one delivery per matching subscription, in the event's own transaction --------


async def _record(session: AsyncSession, event: Envelope[Any]) -> None:
    """Every subscription (active or not: a disabled one keeps its events for when it is
    enabled again) that takes the event's type and whose filters its data passes."""
    data = event.data.model_dump(mode="json")
    rows = await session.execute(
        select(WebhookSubscription.id, WebhookSubscription.filters).where(
            text(":type = ANY(webhook_subscription.event_types)").bindparams(type=event.type)
        )
    )
    body = event.model_dump_json()
    for subscription_id, filters in rows.all():
        if rules.matches(filters or {}, data):
            session.add(
                WebhookDelivery(
                    subscription_id=subscription_id,
                    event_id=event.id,
                    event_type=event.type,
                    aggregate=event.subject,
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=event.time,
                    created_at=event.time,
                )
            )


def handlers(existing: Mapping[str, Handler]) -> dict[str, Handler]:
    """The gateway's handlers, each type also recorded for webhooks."""

    def both(first: Handler | None) -> Handler:
        async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
            if first is not None:
                await first(session, event)
            await _record(session, event)

        return handle

    return {type_: both(existing.get(type_)) for type_ in REGISTRY}


# --- deliveries out ---------------------------------------------------------------------------

# The oldest pending delivery of each subscription and aggregate, if due: order per aggregate
# holds because a later one waits until the earlier is delivered or given up. Rows another
# replica holds are skipped.
_DUE = text(
    """
    SELECT d.id FROM webhook_delivery d
    JOIN webhook_subscription s ON s.id = d.subscription_id AND s.active
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND NOT EXISTS (
        SELECT 1 FROM webhook_delivery e
        WHERE e.subscription_id = d.subscription_id AND e.aggregate = d.aggregate
          AND e.status = 'pending' AND e.id < d.id)
    ORDER BY d.id
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
    """
)


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    response: str
    error: str | None
    milliseconds: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post(
    client: httpx.AsyncClient,
    subscription: WebhookSubscription,
    delivery: WebhookDelivery,
    policy: Policy,
    now: datetime,
) -> Answer:
    """One try: signed as Standard Webhooks says, to an address checked again right now."""
    started = time.perf_counter()
    body = delivery.body.encode()
    timestamp = int(now.timestamp())
    message_id = str(delivery.event_id)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": rules.signature(subscription.secret, message_id, timestamp, body),
        "user-agent": "Contentum-CRM-Webhooks/1",
    }
    try:
        await check_target(subscription.url, policy.allowed_hosts)
        answer = await client.post(subscription.url, content=body, headers=headers)
    except RefusedAddress as refused:
        return Answer(None, "", str(refused), _since(started))
    except httpx.HTTPError as error:
        return Answer(None, "", f"{type(error).__name__}: {error}"[:1000], _since(started))
    return Answer(answer.status_code, answer.text[:1000], None, _since(started))


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


async def deliver_due(
    sessions: SessionFactory, client: httpx.AsyncClient, policy: Policy, *, limit: int = 20
) -> int:
    """Try the due deliveries once (concurrently: at most one per subscription and aggregate);
    return how many were tried."""
    async with unit_of_work(sessions) as session:
        ids = list((await session.execute(_DUE, {"limit": limit})).scalars())
        if not ids:
            return 0
        deliveries = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.id)
            )
        )
        subscriptions = {
            s.id: s
            for s in await session.scalars(
                select(WebhookSubscription).where(
                    WebhookSubscription.id.in_({d.subscription_id for d in deliveries})
                )
            )
        }
        now = datetime.now().astimezone()
        answers = await asyncio.gather(
            *(post(client, subscriptions[d.subscription_id], d, policy, now) for d in deliveries)
        )
        for delivery, answer in zip(deliveries, answers, strict=True):
            await _note(session, subscriptions[delivery.subscription_id], delivery, answer, policy)
    return len(deliveries)


async def _note(
    session: AsyncSession,
    subscription: WebhookSubscription,
    delivery: WebhookDelivery,
    answer: Answer,
    policy: Policy,
) -> None:
    now = datetime.now().astimezone()
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=answer.status_code,
            response=answer.response,
            error=answer.error,
            milliseconds=answer.milliseconds,
        )
    )
    delivery.attempts += 1
    if answer.delivered:
        delivery.status, delivery.delivered_at = "delivered", now
        return
    if now - delivery.created_at >= policy.give_up_after:
        delivery.status = "failed"
        await _disable(session, subscription, now)
        return
    delay = rules.next_delay(
        delivery.attempts, first=policy.first_retry, longest=policy.longest_retry
    )
    delivery.next_attempt_at = now + delay


async def _disable(session: AsyncSession, subscription: WebhookSubscription, now: datetime) -> None:
    """A delivery failed for the whole retry window: the subscription stops, the administrators
    are told. Its later deliveries wait for it to be enabled again."""
    if not subscription.active:
        return
    subscription.active = False
    subscription.disabled_reason = f"deliveries failed since {now.isoformat(timespec='seconds')}"
    admins = await session.scalars(select(User).where(User.role == "admin", User.active))
    for admin in admins:
        from services.gateway.web.i18n import gettext as _
        from services.gateway.web.i18n import speaking_to

        with speaking_to(admin):
            title = _("Webhook disabled: {url}").format(url=subscription.url)
            body = _("Its deliveries kept failing; enable it again once the receiver works.")
        await add_notification(
            session,
            user_id=admin.id,
            kind="webhook_disabled",
            title=title,
            body=body,
            link="/admin/webhooks",
        )


def policy_of(settings: Any) -> Policy:
    return Policy(
        allowed_hosts=frozenset(host.lower() for host in settings.webhook_allowed_hosts),
        timeout=settings.webhook_timeout,
        first_retry=timedelta(seconds=settings.webhook_first_retry_seconds),
        longest_retry=timedelta(seconds=settings.webhook_longest_retry_seconds),
        give_up_after=timedelta(seconds=settings.webhook_give_up_seconds),
        log_kept=timedelta(days=settings.webhook_log_days),
    )


# --- the delivery log's end -------------------------------------------------------------------

# The oldest finished deliveries first (a partial index on their age, so each look reads only
# what it deletes); rows another replica is deleting are skipped, so every replica may prune.
_OLD = text(
    """
    DELETE FROM webhook_delivery WHERE id IN (
      SELECT id FROM webhook_delivery
      WHERE status <> 'pending' AND created_at < :before
      ORDER BY created_at
      LIMIT :batch
      FOR UPDATE SKIP LOCKED)
    """
)
PRUNE_BATCH = 1000
PRUNE_EVERY = timedelta(hours=1)


async def prune_log(
    sessions: SessionFactory, *, now: datetime, kept: timedelta, batch: int = PRUNE_BATCH
) -> int:
    """Delete the deliveries (and their attempts) finished, delivered or given up, whose event
    is older than `kept`, a batch per transaction; how many. Pending ones stay, however old."""

    async def one_batch(size: int) -> int:
        async with unit_of_work(sessions) as session:
            gone = await session.execute(_OLD, {"before": now - kept, "batch": size})
            return int(getattr(gone, "rowcount", 0) or 0)

    return await in_batches(one_batch, batch)


async def run_worker(
    sessions: SessionFactory, policy: Policy, *, poll_seconds: float = 1.0
) -> None:
    """The delivery worker of one gateway replica: deliver what is due, then wait a moment;
    once an hour, prune the delivery log."""
    pruned_at: datetime | None = None
    async with httpx.AsyncClient(timeout=policy.timeout, follow_redirects=False) as client:
        while True:
            now = datetime.now().astimezone()
            try:
                if pruned_at is None or now - pruned_at >= PRUNE_EVERY:
                    pruned_at = now
                    if pruned := await prune_log(sessions, now=now, kept=policy.log_kept):
                        log.info("webhook delivery log: %d old deliveries deleted", pruned)
                tried = await deliver_due(sessions, client, policy)
            except Exception as error:  # the database is away: try again later
                log.warning("webhook deliveries: %s", error)
                tried = 0
            if not tried:
                await asyncio.sleep(poll_seconds)
