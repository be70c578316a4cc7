"""Building blocks of the feed's tests: posting, reading, and the deals knowledge hears of."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from shared.auth import Identity
from shared.bus import InProcessBus, Message
from shared.contracts.deals import CompanyCreated, DealCreated, DealWon
from shared.testing.people import as_message
from tests.knowledge.conftest import Knowledge


async def post(knowledge: Knowledge, who: Identity, text: str, **fields: Any) -> dict[str, Any]:
    answer = await knowledge.call(who, "POST", "/api/posts", json={"text": text, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def feed(knowledge: Knowledge, who: Identity, **params: Any) -> dict[str, Any]:
    answer = await knowledge.call(who, "GET", "/api/feed", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def texts(knowledge: Knowledge, who: Identity, **params: Any) -> list[str]:
    return [item["text"] for item in (await feed(knowledge, who, **params))["items"]]


async def found(knowledge: Knowledge, who: Identity, q: str) -> list[str]:
    answer = await knowledge.call(who, "GET", "/api/feed/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    return [hit["id"] for hit in answer.json()["items"]]


def snapshot(owner: Identity, **changes: Any) -> dict[str, Any]:
    return {
        "deal_id": uuid4(),
        "title": "Dostawa stali",
        "company_id": uuid4(),
        "owner_id": UUID(owner.user_id),
        "amount": Decimal("120000.00"),
        "currency": "PLN",
        "expected_close_date": date(2026, 12, 20),
        "pipeline_id": uuid4(),
        "stage_id": uuid4(),
        "stage_kind": "open",
        "probability": 50,
        **changes,
    }


async def open_deal(bus: InProcessBus, owner: Identity, **changes: Any) -> dict[str, Any]:
    """A deal (and its company) as deals announces them."""
    deal = snapshot(owner, **changes)
    company = CompanyCreated(company_id=deal["company_id"], name="Huta Łabędy")
    await bus.publish([as_message(company, company.company_id)])
    await bus.publish([as_message(DealCreated(**deal), deal["deal_id"])])
    return deal


async def win(bus: InProcessBus, deal: dict[str, Any]) -> Message:
    """Deals announces the deal won; the message, to deliver it again."""
    won = DealWon(**{**deal, "stage_kind": "won", "probability": 100})
    message = as_message(won, won.deal_id)
    await bus.publish([message])
    return message
