"""`/api/webhooks`: an administrator subscribes URLs to event types; deliveries and their log."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from services.gateway.identity import Administrator
from services.gateway.usecases import webhooks
from shared.deps import Sessions
from shared.schemas import Strict

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


FilterValue = Annotated[str, Field(max_length=200)]


class WebhookCreate(Strict):
    url: Annotated[str, Field(max_length=2000, examples=["https://erp.example.pl/crm-events"])]
    event_types: Annotated[
        list[Annotated[str, Field(max_length=100)]],
        Field(min_length=1, max_length=100, examples=[["crm.deal.won.v1"]]),
    ]
    filters: dict[
        Annotated[str, Field(max_length=100)],
        FilterValue | list[FilterValue | None] | None,
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="the event's `data` field must equal the value (or one of the values; "
        "null: the field is empty); letters' case does not matter",
        examples=[{"stage_kind": "won"}],
    )
    description: Annotated[str, Field(max_length=500)] = ""


class WebhookPublic(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    filters: dict[str, Any]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, subscription: Any) -> "WebhookPublic":
        return cls.model_validate(subscription, from_attributes=True)


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="the signing secret (`whsec_...`): shown only now; verify `webhook-signature` "
        "with it as the Standard Webhooks libraries do"
    )


class WebhookActive(Strict):
    active: bool


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None
    response: str
    error: str | None
    milliseconds: int


class DeliveryPublic(BaseModel):
    id: int
    event_id: UUID
    event_type: str
    aggregate: str
    status: str = Field(description="`pending`, `delivered` or `failed` (given up)")
    attempts: list[AttemptPublic]
    next_attempt_at: datetime
    delivered_at: datetime | None


@router.post("", status_code=status.HTTP_201_CREATED)
async def subscribe(
    body: WebhookCreate, request: Request, admin: Administrator, sessions: Sessions
) -> WebhookCreated:
    """Loopback, private and link-local addresses are refused unless allowed in the settings."""
    subscription = await webhooks.subscribe(
        sessions,
        url=body.url,
        event_types=body.event_types,
        filters=body.filters,
        description=body.description,
        created_by=admin.id,
        policy=webhooks.policy_of(request.app.state.settings),
    )
    return WebhookCreated(**WebhookPublic.of(subscription).model_dump(), secret=subscription.secret)


@router.get("")
async def list_webhooks(_: Administrator, sessions: Sessions) -> list[WebhookPublic]:
    return [WebhookPublic.of(s) for s in await webhooks.subscriptions(sessions)]


@router.patch("/{subscription_id}")
async def switch(
    subscription_id: UUID, body: WebhookActive, _: Administrator, sessions: Sessions
) -> WebhookPublic:
    """Off, or on again (after it was disabled for failing): its waiting deliveries go out."""
    return WebhookPublic.of(
        await webhooks.set_active(sessions, subscription_id, active=body.active)
    )


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(subscription_id: UUID, _: Administrator, sessions: Sessions) -> Response:
    await webhooks.remove(sessions, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{subscription_id}/deliveries")
async def deliveries(
    subscription_id: UUID,
    _: Administrator,
    sessions: Sessions,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        int | None,
        Query(ge=1, description="only deliveries older than this one: the last `id` of a page"),
    ] = None,
    state: Annotated[
        Literal["pending", "delivered", "failed"] | None,
        Query(alias="status", description="only deliveries in this state"),
    ] = None,
) -> list[DeliveryPublic]:
    """The newest deliveries first, each with every attempt and what the receiver answered;
    the next page with `before` set to the last one's `id`."""
    await webhooks.find(sessions, subscription_id)
    return [
        DeliveryPublic(
            id=logged.delivery.id,
            event_id=logged.delivery.event_id,
            event_type=logged.delivery.event_type,
            aggregate=logged.delivery.aggregate,
            status=logged.delivery.status,
            attempts=[
                AttemptPublic.model_validate(a, from_attributes=True) for a in logged.attempts
            ],
            next_attempt_at=logged.delivery.next_attempt_at,
            delivered_at=logged.delivery.delivered_at,
        )
        for logged in await webhooks.delivery_log(
            sessions, subscription_id, limit=limit, before=before, state=state
        )
    ]
