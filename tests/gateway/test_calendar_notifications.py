"""Calendar events become notifications: in the list, pushed to tabs, and e-mailed when SMTP is set."""

import email
import email.policy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiosmtpd.controller import Controller

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.contracts.calendar import ActivityOutcomeOverdue, ActivityReminderDue
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from shared.testing.people import as_message
from shared.testing.processes import free_port
from tests.gateway.conftest import PASSWORD, add_user


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
async def mailing_gateway(
    new_database: Any, settings_for: Any, bus: InProcessBus, smtp: Any
) -> AsyncIterator[httpx.AsyncClient]:
    controller, _ = smtp
    settings = GatewaySettings(
        **settings_for(await new_database("gateway")),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_starttls=False,
        smtp_sender="crm@contentum.pl",
    )
    async with running(create_app(settings, bus)) as client:
        yield client


async def root_team(gateway: httpx.AsyncClient, admin: dict[str, str]) -> str:
    teams = (await gateway.get("/api/teams", headers=admin)).json()
    return str(next(team["id"] for team in teams if team["parent_id"] is None))


async def anna(gateway: httpx.AsyncClient, locale: str) -> dict[str, Any]:
    """A manager in the company's group, speaking `locale`."""
    admin = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    team = await root_team(gateway, admin)
    return await add_user(
        gateway, admin, email="anna@contentum.pl", role="manager", locale=locale, team_id=team
    )


def reminder(owner: dict[str, Any], title: str, place: str | None = None) -> ActivityReminderDue:
    return ActivityReminderDue(
        reminder_id=uuid4(),
        activity_id=uuid4(),
        kind="call",
        title=title,
        owner_id=UUID(owner["id"]),
        recipient_ids=[UUID(owner["id"])],
        occurrence_starts_at=datetime(2030, 1, 7, 8, 0, tzinfo=UTC),
        minutes_before=10,
        place=place,
    )


async def test_a_reminder_reaches_the_list_and_the_mailbox_once_in_the_users_language(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus, smtp: Any
) -> None:
    due = reminder(await anna(mailing_gateway, "pl"), "Telefon do Nowaka", "+48 600 100 200")
    message = as_message(due, due.activity_id)
    await bus.publish([message])
    await bus.publish([message])  # delivered twice: still one notification, one e-mail

    headers = await bearer(mailing_gateway, "anna@contentum.pl", PASSWORD)
    items = (await mailing_gateway.get("/api/notifications", headers=headers)).json()["items"]
    [kept] = items
    assert kept["title"] == "Przypomnienie: Telefon do Nowaka"
    assert "07.01.2030 09:00" in kept["body"] and "+48 600 100 200" in kept["body"]
    assert kept["link"] == f"/calendar?activity={due.activity_id}"
    _, inbox = smtp
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["anna@contentum.pl"]
    sent = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert sent["Subject"] == "Przypomnienie: Telefon do Nowaka"
    assert "+48 600 100 200" in sent.get_content()


async def test_a_missing_outcome_is_escalated_to_the_head(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus
) -> None:
    admin = await bearer(mailing_gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    team = await root_team(mailing_gateway, admin)
    head = await add_user(
        mailing_gateway, admin, email="szef@contentum.pl", role="head", locale="en", team_id=team
    )
    manager = await anna(mailing_gateway, "pl")
    overdue = ActivityOutcomeOverdue(
        activity_id=uuid4(),
        kind="meeting",
        title="Prezentacja oferty",
        owner_id=UUID(manager["id"]),
        recipient_ids=[UUID(head["id"])],
        occurrence_starts_at=datetime(2030, 1, 7, 7, 0, tzinfo=UTC),
        ends_at=datetime(2030, 1, 7, 8, 0, tzinfo=UTC),
        escalated=True,
    )
    await bus.publish([as_message(overdue, overdue.activity_id)])
    headers = await bearer(mailing_gateway, "szef@contentum.pl", PASSWORD)
    [item] = (await mailing_gateway.get("/api/notifications", headers=headers)).json()["items"]
    assert item["title"] == "No outcome reported: Prezentacja oferty"
    assert manager["name"] in item["body"]


async def test_a_title_with_line_breaks_is_mailed_on_one_line(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus, smtp: Any
) -> None:
    due = reminder(await anna(mailing_gateway, "en"), "Call\r\nBcc: everyone@example.com")
    await bus.publish([as_message(due, due.activity_id)])
    headers = await bearer(mailing_gateway, "anna@contentum.pl", PASSWORD)
    [item] = (await mailing_gateway.get("/api/notifications", headers=headers)).json()["items"]
    assert item["title"].startswith("Reminder: Call")
    _, inbox = smtp
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["anna@contentum.pl"]
    sent = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert sent["Subject"] == "Reminder: Call Bcc: everyone@example.com"
    assert sent["Bcc"] is None
