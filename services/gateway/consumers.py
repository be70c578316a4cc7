"""Events the gateway turns into notifications: the bell in open tabs, the list, e-mail."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.mail import Mail, Mailer
from services.gateway.notifications import add_notification
from services.gateway.tables import User
from services.gateway.web import i18n
from services.gateway.web.i18n import gettext as _
from shared.consumer import Handler
from shared.contracts.calendar import ActivityOutcomeOverdue, ActivityReminderDue
from shared.contracts.knowledge import DocumentAcknowledgementRequested
from shared.db import after_commit
from shared.events import Envelope


@contextmanager
def speaking_to(user: User) -> Iterator[None]:
    """Messages and times in `user`'s language and time zone."""
    locale = i18n.current_locale.set(user.locale)
    zone = i18n.current_time_zone.set(user.time_zone)
    try:
        yield
    finally:
        i18n.current_locale.reset(locale)
        i18n.current_time_zone.reset(zone)


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
        DocumentAcknowledgementRequested.type: on_acknowledgement_requested(mailer),
    }
