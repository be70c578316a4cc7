"""The administrator's webhooks: subscriptions of URLs to event types, and their delivery log."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from services.gateway.tables import User
from services.gateway.usecases import webhooks
from services.gateway.web.admin.forms import translated
from services.gateway.web.common import PageAdmin, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render
from shared.deps import Sessions
from shared.errors import Invalid
from shared.events import REGISTRY
from shared.text import N_

router = APIRouter(include_in_schema=False)


def parse_filters(text: str) -> dict[str, list[str | None]]:
    """`field=value` per line (several lines of one field: any of the values; `field=` empty)."""
    filters: dict[str, list[str | None]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        field, equals, value = line.partition("=")
        if not equals or not field.strip():
            raise Invalid({"filters": _("write one field=value per line")})
        filters.setdefault(field.strip(), []).append(value.strip() or None)
    return filters


async def _page(
    request: Request,
    user: User,
    sessions: Sessions,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    secret: str | None = None,
) -> Response:
    context = {
        "subscriptions": await webhooks.subscriptions(sessions),
        "event_types": sorted(REGISTRY),
        "errors": errors or {},
        "form": form or {"event_types": []},
        "secret": secret,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin/webhooks.html", user, status_code=code, **context)


@router.get("/admin/webhooks")
async def webhooks_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    return await _page(request, user, sessions)


@router.post("/admin/webhooks")
async def subscribe(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    submitted = await request.form()
    url = str(submitted.get("url", "")).strip()
    description = str(submitted.get("description", "")).strip()[:500]
    filters = str(submitted.get("filters", ""))
    event_types = [str(t) for t in submitted.getlist("event_types")]
    form = {"url": url, "description": description, "filters": filters, "event_types": event_types}
    try:
        if not url or len(url) > 2000:
            raise Invalid({"url": _("give the address that receives the events")})
        subscription = await webhooks.subscribe(
            sessions,
            url=url,
            event_types=event_types,
            filters=parse_filters(filters),
            description=description,
            created_by=user.id,
            policy=webhooks.policy_of(request.app.state.settings),
        )
    except Invalid as invalid:
        return await _page(request, user, sessions, errors=translated(invalid), form=form)
    return await _page(request, user, sessions, secret=subscription.secret)


@router.post("/admin/webhooks/{subscription_id}/active")
async def switch(
    request: Request, subscription_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    active = (await request.form()).get("active") == "true"
    await webhooks.set_active(sessions, subscription_id, active=active)
    return redirect(request, "/admin/webhooks")


@router.post("/admin/webhooks/{subscription_id}/delete")
async def unsubscribe(
    request: Request, subscription_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    await webhooks.remove(sessions, subscription_id)
    return redirect(request, "/admin/webhooks")


DELIVERIES_SHOWN = 50

# Why an attempt got no answer, as an administrator reads it (by the kind of error the HTTP
# client gave; the technical text stays beside it).
FAILURES: dict[str, str] = {
    **dict.fromkeys(
        ("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException"),
        N_("The receiver did not answer in time"),
    ),
    "ConnectError": N_("Could not connect to the receiver"),
    **dict.fromkeys(
        ("RemoteProtocolError", "LocalProtocolError", "ReadError", "WriteError"),
        N_("The connection to the receiver broke"),
    ),
}


def failure(error: str | None) -> str:
    """What went wrong with an attempt that got no answer, in the reader's language."""
    kind = (error or "").split(":", 1)[0]
    return _(FAILURES.get(kind, N_("The delivery failed")))


@router.get("/admin/webhooks/{subscription_id}")
async def deliveries_page(
    request: Request,
    subscription_id: UUID,
    user: PageAdmin,
    sessions: Sessions,
    state: str = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The newest deliveries, in one state or all, and a link to the older ones."""
    subscription = await webhooks.find(sessions, subscription_id)
    state = state if state in webhooks.DELIVERY_STATES else ""
    log = await webhooks.delivery_log(
        sessions,
        subscription_id,
        limit=DELIVERIES_SHOWN + 1,
        before=before,
        state=state or None,
    )
    shown = log[:DELIVERIES_SHOWN]
    older = shown[-1].delivery.id if len(log) > DELIVERIES_SHOWN else None
    return render(
        request,
        "admin/webhook.html",
        user,
        subscription=subscription,
        deliveries=shown,
        state=state,
        older=older,
        newest=before is None,
        failure=failure,
    )
