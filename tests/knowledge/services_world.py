"""What the service and request tests stand on: departments, deals and companies announced as
their owners announce them, a published service, people on both sides."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.contracts.deals import CompanyCreated, DealCreated
from shared.contracts.gateway import DepartmentChanged, WorkingDay
from shared.testing.people import as_message
from tests.knowledge.conftest import Hire, Knowledge, add_group

NINE_TO_FIVE = [WorkingDay(start="08:00", end="16:00")] * 5 + [None, None]

CREDIT_CHECK: dict[str, Any] = {
    "name": "Weryfikacja kredytowa klienta",
    "description": "Sprawdzamy wiarygodność klienta przed ofertą.",
    "sla_hours": 8,
    "inputs": [
        {
            "key": "company",
            "label": "Klient",
            "type": "company",
            "required": True,
            "prefill": "company",
        },
        {
            "key": "amount",
            "label": "Kwota",
            "type": "money",
            "required": True,
            "minimum": "1000",
            "prefill": "deal.amount",
        },
        {"key": "purpose", "label": "Cel", "type": "text", "required": True},
    ],
    "outputs": [
        {
            "key": "decision",
            "label": "Decyzja",
            "type": "select",
            "required": True,
            "options": ["approved", "rejected"],
        },
        {"key": "limit", "label": "Limit kredytowy", "type": "money"},
    ],
}


async def announce_department(
    bus: InProcessBus, *, head: Identity | None = None, department: UUID | None = None
) -> UUID:
    department = department or uuid4()
    changed = DepartmentChanged(
        department_id=department,
        name=f"Finanse {str(department)[:4]}",
        head_id=UUID(head.user_id) if head else None,
        working_hours=NINE_TO_FIVE,
    )
    await bus.publish([as_message(changed, department)])
    return department


async def announce_deal(bus: InProcessBus, owner: Identity) -> tuple[UUID, UUID]:
    """A company and a deal of `owner`'s on it, as deals announces them."""
    company, deal = uuid4(), uuid4()
    await bus.publish(
        [
            as_message(CompanyCreated(company_id=company, name="Huta Łabędy"), company),
            as_message(
                DealCreated(
                    deal_id=deal,
                    title="Dostawa stali",
                    company_id=company,
                    owner_id=UUID(owner.user_id),
                    amount=Decimal("250000"),
                    currency="PLN",
                    expected_close_date=None,
                    pipeline_id=uuid4(),
                    stage_id=uuid4(),
                    stage_kind="open",
                    probability=25,
                ),
                deal,
            ),
        ]
    )
    return company, deal


@dataclass
class World:
    """A finance department with its head and a clerk, a sales group with its head and a
    manager with a deal, an administrator, and the credit check published."""

    knowledge: Knowledge
    admin: Identity
    finance: UUID
    finance_head: Identity
    clerk: Identity
    head: Identity
    manager: Identity
    company: UUID
    deal: UUID
    service: dict[str, Any]

    async def raise_credit_check(self, who: Identity | None = None, **inputs: Any) -> Any:
        body = {
            "service_id": self.service["id"],
            "deal_id": str(self.deal),
            "inputs": {"company": str(self.company), "amount": "250000", "purpose": "oferta"}
            | inputs,
        }
        return await self.knowledge.call(who or self.manager, "POST", "/api/requests", json=body)

    async def step(self, who: Identity, request_id: str, step: str, **body: Any) -> Any:
        return await self.knowledge.call(
            who, "POST", f"/api/requests/{request_id}/{step}", json=body
        )


@pytest.fixture
async def world(knowledge: Knowledge, hire: Hire, bus: InProcessBus) -> World:
    admin = await hire("admin")
    department = uuid4()
    finance_head = await hire("staff", department=department)
    clerk = await hire("staff", department=department)
    await announce_department(bus, head=finance_head, department=department)
    group = await add_group(bus)
    head = await hire("head", group)
    manager = await hire("manager", group)
    company, deal = await announce_deal(bus, manager)
    answer = await knowledge.call(
        admin, "POST", "/api/services", json={**CREDIT_CHECK, "department_id": str(department)}
    )
    assert answer.status_code == 201, answer.text
    return World(
        knowledge,
        admin,
        department,
        finance_head,
        clerk,
        head,
        manager,
        company,
        deal,
        answer.json(),
    )
