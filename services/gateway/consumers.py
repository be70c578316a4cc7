"""Events the gateway turns into notifications: the bell in open tabs, the list, e-mail."""

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.mail import Mail, Mailer
from services.gateway.notifications import add_notification
from services.gateway.tables import Notification, Team, User
from services.gateway.web import i18n
from services.gateway.web.i18n import gettext as _
from services.gateway.web.i18n import ngettext, speaking_to
from services.gateway.web.plans.labels import period_label
from services.gateway.web.rendering import status_label
from shared.consumer import Handler
from shared.contracts.calendar import ActivityOutcomeOverdue, ActivityReminderDue
from shared.contracts.knowledge import DocumentAcknowledgementRequested
from shared.contracts.planning import PlanLockReminderDue, PlanReviewed, PlanSubmitted
from shared.db import after_commit
from shared.events import Envelope


async def _recipients(session: AsyncSession, ids: list[UUID]) -> list[User]:
    found = await session.scalars(select(User).where(User.id.in_(ids), User.active))
    return list(found)


def _mail(session: AsyncSession, mailer: Mailer, mail: Mail) -> None:
    """E-mail once the notification is committed: at most once, so a redelivery never mails twice."""
    if mailer.enabled:
        after_commit(session, lambda: mailer.send(mail))


def on_reminder_due(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Remind the owner and participants: in open tabs at once, in the list, by e-mail."""
        due: ActivityReminderDue = event.data
        for user in await _recipients(session, due.recipient_ids):
            with speaking_to(user):
                title = _("Reminder: {title}").format(title=due.title)
                body = _("Starts {when}").format(
                    when=i18n.format_datetime(due.occurrence_starts_at)
                )
                if due.place:
                    body += f" · {due.place}"
            link = f"/calendar?activity={due.activity_id}"
            await add_notification(
                session, user_id=user.id, kind="reminder", title=title, body=body, link=link
            )
            _mail(session, mailer, Mail(to=user.email, subject=title, body=body))

    return handle


def on_outcome_overdue(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Ask the owner for the outcome; tell the head when it is still missing."""
        overdue: ActivityOutcomeOverdue = event.data
        owner = await session.get(User, overdue.owner_id)
        for user in await _recipients(session, overdue.recipient_ids):
            with speaking_to(user):
                if overdue.escalated:
                    title = _("No outcome reported: {title}").format(title=overdue.title)
                    body = _("{name} has not reported what came of it.").format(
                        name=owner.name if owner else "?"
                    )
                else:
                    title = _("What came of it? {title}").format(title=overdue.title)
                    body = _("Report the outcome of this activity.")
            await add_notification(
                session,
                user_id=user.id,
                kind="outcome",
                title=title,
                body=body,
                link=f"/calendar/awaiting?activity={overdue.activity_id}",
            )
            _mail(session, mailer, Mail(to=user.email, subject=title, body=body))

    return handle


# --- plans: a submission tells the head, a review the manager, a deadline reminds ------------

GRID_KINDS = ("day", "week", "month", "quarter", "year")


def _plan_link(page: str, period: str, start: date) -> str:
    """The plan page showing the period (a custom one: the page as it opens)."""
    return f"{page}?period={period}&start={start.isoformat()}" if period in GRID_KINDS else page


async def _head_over(session: AsyncSession, user: User) -> User | None:
    """The head of the user's group, or of the nearest group above with a head other than them."""
    team_id, seen = user.team_id, set()
    while team_id is not None and team_id not in seen:
        seen.add(team_id)
        team = await session.get(Team, team_id)
        if team is None:
            return None
        if team.head_id is not None and team.head_id != user.id:
            head = await session.get(User, team.head_id)
            return head if head is not None and head.active else None
        team_id = team.parent_id
    return None


async def _notify_once(
    session: AsyncSession, mailer: Mailer, user: User, *, title: str, body: str, link: str
) -> None:
    """A plan notice, unless the same one waits unread (a period's lines come one event each)."""
    waiting = await session.scalar(
        select(Notification.id).where(
            Notification.user_id == user.id,
            Notification.kind == "plan",
            Notification.read_at.is_(None),
            Notification.title == title,
            Notification.body == body,
            Notification.link == link,
        )
    )
    if waiting is not None:
        return
    await add_notification(session, user_id=user.id, kind="plan", title=title, body=body, link=link)
    _mail(session, mailer, Mail(to=user.email, subject=title, body=body))


def on_plan_submitted(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Tell the head of the manager's group that lines wait for review."""
        line: PlanSubmitted = event.data
        manager = await session.get(User, line.manager_id)
        head = await _head_over(session, manager) if manager is not None else None
        if manager is None or head is None:
            return
        with speaking_to(head):
            period = period_label(line.period, line.start_date, line.end_date)
            title = _("{name} submitted a plan for {period}").format(
                name=manager.name, period=period
            )
            body = _("Plan lines wait for your review.")
        link = _plan_link("/plans/review", line.period, line.start_date)
        await _notify_once(session, mailer, head, title=title, body=body, link=link)

    return handle


def on_plan_reviewed(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Tell the manager how a line was reviewed, and why when the head said so."""
        line: PlanReviewed = event.data
        manager = await session.get(User, line.manager_id)
        if manager is None or not manager.active or line.reviewer_id == manager.id:
            return
        reviewer = await session.get(User, line.reviewer_id)
        with speaking_to(manager):
            title = _("Plan line {status}: {client}, {period}").format(
                status=status_label(line.status),
                client=line.client_name or _("a client"),
                period=period_label(line.period, line.start_date, line.end_date),
            )
            name = reviewer.name if reviewer else "?"
            body = (
                f"{name}: {line.comment}"
                if line.comment
                else _("Reviewed by {name}.").format(name=name)
            )
        link = _plan_link("/plans", line.period, line.start_date)
        await _notify_once(session, mailer, manager, title=title, body=body, link=link)

    return handle


def on_lock_reminder_due(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """Remind the manager to submit before the period's plan locks."""
        due: PlanLockReminderDue = event.data
        manager = await session.get(User, due.manager_id)
        if manager is None or not manager.active:
            return
        with speaking_to(manager):
            title = _("The plan for {period} locks on {date}").format(
                period=period_label(due.period, due.start_date, due.end_date),
                date=i18n.format_date(due.locks_on),
            )
            body = ngettext(
                "%(num)d line is not submitted yet.",
                "%(num)d lines are not submitted yet.",
                due.unsubmitted,
            ) % {"num": due.unsubmitted}
        link = _plan_link("/plans", due.period, due.start_date)
        await _notify_once(session, mailer, manager, title=title, body=body, link=link)

    return handle


def on_acknowledgement_requested(mailer: Mailer) -> Handler:
    async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
        """A must-read document (or its new version): each reader is asked to confirm it."""
        asked: DocumentAcknowledgementRequested = event.data
        link = f"/knowledge/documents/{asked.document_id}"
        for user in await _recipients(session, asked.recipient_ids):
            with speaking_to(user):
                title = _("Please read: {title}").format(title=asked.title)
                body = _("Confirm that you have read version {version}.").format(
                    version=asked.version
                )
            await add_notification(
                session, user_id=user.id, kind="must_read", title=title, body=body, link=link
            )
            _mail(session, mailer, Mail(to=user.email, subject=title, body=body))

    return handle


def handlers(mailer: Mailer) -> Mapping[str, Handler]:
    return {
        ActivityReminderDue.type: on_reminder_due(mailer),
        ActivityOutcomeOverdue.type: on_outcome_overdue(mailer),
        PlanSubmitted.type: on_plan_submitted(mailer),
        PlanReviewed.type: on_plan_reviewed(mailer),
        PlanLockReminderDue.type: on_lock_reminder_due(mailer),
        DocumentAcknowledgementRequested.type: on_acknowledgement_requested(mailer),
    }
