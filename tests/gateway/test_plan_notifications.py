"""Plan events become notifications: a submission tells the group's head, a review the manager,
a period about to lock the manager; each in the recipient's language, e-mailed when SMTP is set,
and a period's many lines make one notice."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus
from shared.contracts.planning import PlanLockReminderDue, PlanReviewed, PlanSubmitted
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer
from shared.testing.people import as_message
from tests.gateway import test_calendar_notifications as calendar_notices
from tests.gateway.conftest import PASSWORD, add_team, add_user
from tests.gateway.test_calendar_notifications import root_team

smtp = calendar_notices.smtp  # the same fixtures: an SMTP server, a gateway mailing to it
mailing_gateway = calendar_notices.mailing_gateway


async def north(gateway: httpx.AsyncClient) -> dict[str, Any]:
    """A group under the company with its head (Polish) and a manager (English)."""
    admin = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    group = await add_team(gateway, admin, name="Północ", parent_id=await root_team(gateway, admin))
    people = {
        role: await add_user(
            gateway,
            admin,
            email=f"{role}@contentum.pl",
            name=role.title(),
            role=role,
            locale=locale,
            team_id=group["id"],
        )
        for role, locale in (("head", "pl"), ("manager", "en"))
    }
    answer = await gateway.patch(
        f"/api/teams/{group['id']}", json={"head_id": people["head"]["id"]}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    return people


def snapshot(manager: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "line_id": uuid4(),
        "manager_id": UUID(manager["id"]),
        "company_id": uuid4(),
        "period": "month",
        "start_date": date(2026, 12, 1),
        "end_date": date(2026, 12, 31),
        "amount": Decimal("1000.00"),
        "status": status,
        "client_name": "Orlen S.A.",
    }


async def notices(gateway: httpx.AsyncClient, email: str) -> list[dict[str, Any]]:
    headers = await bearer(gateway, email, PASSWORD)
    return (await gateway.get("/api/notifications", headers=headers)).json()["items"]  # type: ignore[no-any-return]


async def test_submitting_tells_the_head_once_and_a_review_tells_the_manager(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus, smtp: Any
) -> None:
    people = await north(mailing_gateway)
    manager = people["manager"]
    for _ in range(2):  # two lines of one period submitted at once
        submitted = PlanSubmitted(**snapshot(manager, "submitted"))
        await bus.publish([as_message(submitted, submitted.line_id)])
    reviewed = PlanReviewed(
        **snapshot(manager, "rejected"), reviewer_id=UUID(people["head"]["id"]), comment="za dużo"
    )
    await bus.publish([as_message(reviewed, reviewed.line_id)])

    [to_head] = await notices(mailing_gateway, "head@contentum.pl")
    [to_manager] = await notices(mailing_gateway, "manager@contentum.pl")
    assert (to_head["title"], to_head["link"]) == (
        "Manager składa plan na grudzień 2026",
        "/plans/review?period=month&start=2026-12-01",
    )
    assert to_manager["title"] == "Plan line rejected: Orlen S.A., December 2026"
    assert to_manager["body"] == "Head: za dużo"
    _, inbox = smtp
    assert sorted(mail.rcpt_tos[0] for mail in inbox.messages) == [
        "head@contentum.pl",
        "manager@contentum.pl",
    ]


async def test_a_period_about_to_lock_reminds_the_manager(
    mailing_gateway: httpx.AsyncClient, bus: InProcessBus
) -> None:
    manager = (await north(mailing_gateway))["manager"]
    due = PlanLockReminderDue(
        reminder_id=uuid4(),
        manager_id=UUID(manager["id"]),
        period="month",
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 31),
        locks_on=date(2027, 1, 6),
        unsubmitted=2,
    )
    await bus.publish([as_message(due, due.reminder_id)])

    [reminder] = await notices(mailing_gateway, "manager@contentum.pl")
    assert reminder["title"] == "The plan for December 2026 locks on Jan 6, 2027"
    assert reminder["body"] == "2 lines are not submitted yet."
    assert reminder["link"] == "/plans?period=month&start=2026-12-01"
