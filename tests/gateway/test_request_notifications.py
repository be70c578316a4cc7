"""Departments with their head and working hours, and requests' steps turned into notifications:
each step tells the other side, the SLA's end tells the department's head once."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus
from shared.contracts.knowledge import (
    RequestDelivered,
    RequestOverdue,
    RequestSnapshot,
    RequestSubmitted,
)
from shared.testing.people import as_message
from tests.gateway.conftest import add_user
from tests.gateway.test_plan_notifications import notices


async def finance(gateway: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    department = await gateway.post("/api/departments", json={"name": "Finanse"}, headers=admin)
    assert department.status_code == 201, department.text
    people = {
        key: await add_user(
            gateway,
            admin,
            email=f"{key}@contentum.pl",
            name=key.title(),
            role="staff",
            department_id=department.json()["id"],
            locale="pl",
        )
        for key in ("szefowa", "ksiegowy")
    }
    people["manager"] = await add_user(
        gateway, admin, email="manager@contentum.pl", name="Manager", role="manager", locale="en"
    )
    people["department"] = department.json()
    return people


def snapshot(people: dict[str, Any], actor: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": uuid4(),
        "service_id": uuid4(),
        "service_name": "Weryfikacja kredytowa",
        "service_version": 1,
        "department_id": UUID(people["department"]["id"]),
        "requester_id": UUID(people["manager"]["id"]),
        "assignee_id": None,
        "status": "submitted",
        "inputs": {},
        "outputs": {},
        "deal_id": None,
        "company_id": None,
        "submitted_at": datetime(2026, 12, 1, 9, tzinfo=UTC),
        "due_at": datetime(2026, 12, 1, 17, tzinfo=UTC),
        "actor_id": UUID(people[actor]["id"]) if actor else None,
        "url": "/requests/x",
        **fields,
    }


async def test_a_department_names_its_head_among_its_staff_and_its_working_hours(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    people = await finance(gateway, admin)
    path = f"/api/departments/{people['department']['id']}"
    week = [{"start": "07:00", "end": "15:00"}] * 5 + [None, None]

    outsider = await gateway.patch(path, json={"head_id": people["manager"]["id"]}, headers=admin)
    backwards = await gateway.patch(
        path, json={"working_hours": [{"start": "15:00", "end": "07:00"}, *week[1:]]}, headers=admin
    )
    named = await gateway.patch(
        path, json={"head_id": people["szefowa"]["id"], "working_hours": week}, headers=admin
    )

    assert people["department"]["working_hours"][0] == {"start": "08:00", "end": "16:00"}
    assert outsider.status_code == 422 and outsider.json()["detail"][0]["loc"][-1] == "head_id"
    assert backwards.status_code == 422
    assert named.json()["head_id"] == people["szefowa"]["id"]
    assert named.json()["working_hours"] == week


async def test_each_step_tells_the_other_side_and_the_breach_the_head_once(
    gateway: httpx.AsyncClient, admin: dict[str, str], bus: InProcessBus
) -> None:
    people = await finance(gateway, admin)
    await gateway.patch(
        f"/api/departments/{people['department']['id']}",
        json={"head_id": people["szefowa"]["id"]},
        headers=admin,
    )
    submitted = RequestSubmitted(**snapshot(people, "manager"))
    delivered = RequestDelivered(
        **snapshot(people, "ksiegowy", status="delivered"), output_fields=[]
    )
    overdue = RequestOverdue(**snapshot(people, None))
    twice = as_message(overdue, overdue.request_id)
    events: list[RequestSnapshot] = [submitted, delivered]
    await bus.publish([as_message(event, event.request_id) for event in events] + [twice])
    await bus.publish([twice])  # delivered again: the inbox drops it

    to_clerk = await notices(gateway, "ksiegowy@contentum.pl")
    to_head = await notices(gateway, "szefowa@contentum.pl")
    to_manager = await notices(gateway, "manager@contentum.pl")

    assert [n["title"] for n in to_clerk] == ["Nowe zlecenie: Weryfikacja kredytowa"]
    assert [n["title"] for n in to_head] == [
        "Zlecenie po terminie: Weryfikacja kredytowa",
        "Nowe zlecenie: Weryfikacja kredytowa",
    ]
    assert [n["title"] for n in to_manager] == ["Request delivered: Weryfikacja kredytowa"]
    assert to_manager[0]["link"] == "/requests/x"
