"""Requests to departments become notifications: every step tells the other side (the requester,
or whoever took the request, else the department's staff), a request close to its SLA warns the
one working on it, and one past it tells the department's head."""

from collections.abc import Mapping
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.mail import Mail, Mailer
from services.gateway.notifications import add_notification
from services.gateway.tables import Department, User
from services.gateway.web.i18n import format_datetime, speaking_to
from services.gateway.web.i18n import gettext as _
from shared.consumer import Handler
from shared.contracts.knowledge import (
    RequestAccepted,
    RequestCancelled,
    RequestCommented,
    RequestDelivered,
    RequestDueSoon,
    RequestOverdue,
    RequestRejected,
    RequestResubmitted,
    RequestReturned,
    RequestSnapshot,
    RequestSubmitted,
)
from shared.db import after_commit
from shared.events import Envelope
from shared.text import N_

# Who hears of each step, and what they read (the service's name fills `{service}`).
TO_REQUESTER: dict[type[RequestSnapshot], str] = {
    RequestAccepted: N_("Request accepted: {service}"),
    RequestReturned: N_("More information needed: {service}"),
    RequestDelivered: N_("Request delivered: {service}"),
    RequestRejected: N_("Request rejected: {service}"),
}
TO_DEPARTMENT: dict[type[RequestSnapshot], str] = {
    RequestSubmitted: N_("New request: {service}"),
    RequestResubmitted: N_("Request amended: {service}"),
    RequestCancelled: N_("Request cancelled: {service}"),
    RequestDueSoon: N_("Request due soon: {service}"),
}


async def _active(session: AsyncSession, ids: list[UUID]) -> list[User]:
    found = await session.scalars(select(User).where(User.id.in_(ids), User.active))
    return list(found)


async def _department_side(session: AsyncSession, request: RequestSnapshot) -> list[User]:
    """Whoever took the request, else every active member of the department's staff."""
    if request.assignee_id is not None:
        return await _active(session, [request.assignee_id])
    found = await session.scalars(
        select(User).where(User.department_id == request.department_id, User.active)
    )
    return list(found)


async def _tell(
    session: AsyncSession,
    mailer: Mailer,
    people: list[User],
    request: RequestSnapshot,
    title: str,
    body: str = "",
) -> None:
    for user in people:
        if request.actor_id is not None and user.id == request.actor_id:
            continue  # nobody is told of their own step
        with speaking_to(user):
            said, text = _(title).format(service=request.service_name), body
            if isinstance(request, RequestDueSoon | RequestOverdue) and request.due_at:
                text = _("Due {when}").format(when=format_datetime(request.due_at))
        await add_notification(
            session, user_id=user.id, kind="request", title=said, body=text, link=request.url
        )
        if mailer.enabled:  # once the notice is kept: a redelivery never mails twice
            mail = Mail(to=user.email, subject=said, body=text or said)
            after_commit(session, partial(mailer.send, mail))


def _said(request: RequestSnapshot) -> str:
    """What the step's author wrote with it."""
    for name in ("comment", "reason", "body"):
        text = getattr(request, name, "")
        if text:
            return str(text)
    return ""


def on_request_step(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Tell the other side of the request what happened."""
        request: RequestSnapshot = event.data
        kind = type(request)
        if kind in TO_REQUESTER:
            people = await _active(session, [request.requester_id])
            await _tell(session, mailer, people, request, TO_REQUESTER[kind], _said(request))
        elif kind in TO_DEPARTMENT:
            people = await _department_side(session, request)
            await _tell(session, mailer, people, request, TO_DEPARTMENT[kind], _said(request))

    return handle


def on_request_commented(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """A comment from one side is news for the other."""
        comment: RequestCommented = event.data
        if comment.author_id == comment.requester_id:
            people = await _department_side(session, comment)
        else:
            people = await _active(session, [comment.requester_id])
        title = N_("Comment on the request: {service}")
        await _tell(session, mailer, people, comment, title, comment.body)

    return handle


def on_request_overdue(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """The SLA ran out: the department's head is told (once: the event comes once)."""
        overdue: RequestOverdue = event.data
        department = await session.get(Department, overdue.department_id)
        if department is None or department.head_id is None:
            return
        people = await _active(session, [department.head_id])
        await _tell(session, mailer, people, overdue, N_("Request overdue: {service}"))

    return handle


def request_handlers(mailer: Mailer) -> Mapping[str, Handler]:
    step = on_request_step(mailer)
    return {
        **{kind.type: step for kind in (*TO_REQUESTER, *TO_DEPARTMENT)},
        RequestCommented.type: on_request_commented(mailer),
        RequestOverdue.type: on_request_overdue(mailer),
    }
