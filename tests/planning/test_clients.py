"""Planning keeps a replica of deals' companies as its clients and lists them."""

from typing import Any
from uuid import uuid4

import httpx

from shared.bus import InProcessBus, Message
from shared.contracts.deals import CompanyCreated
from shared.events import new_event


def company_created(name: str) -> Message:
    event = new_event(CompanyCreated(company_id=uuid4(), name=name, tax_id=None), subject=name)
    return Message(
        topic=event.data.topic, key=event.subject, envelope=event.model_dump(mode="json")
    )


async def clients(planning: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    answer = await planning.get("/api/plans/clients", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_created_company_becomes_a_client(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    message = company_created("Żabka")

    await bus.publish([message])

    [client] = (await clients(planning))["items"]
    assert client == {"id": message.envelope["data"]["company_id"], "name": "Żabka", "tax_id": None}


async def test_the_same_event_twice_leaves_one_client(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    message = company_created("Orlen")

    await bus.publish([message, message])

    assert len((await clients(planning))["items"]) == 1


async def test_clients_page_by_name(planning: httpx.AsyncClient, bus: InProcessBus) -> None:
    await bus.publish([company_created(name) for name in ["C", "A", "B"]])

    first = await clients(planning, limit=2)
    second = await clients(planning, limit=2, cursor=first["next_cursor"])

    assert [c["name"] for c in first["items"] + second["items"]] == ["A", "B", "C"]
    assert second["next_cursor"] is None


async def test_the_list_is_empty_before_any_company(planning: httpx.AsyncClient) -> None:
    assert await clients(planning) == {"items": [], "next_cursor": None}


async def test_clients_are_looked_up_by_id(planning: httpx.AsyncClient, bus: InProcessBus) -> None:
    messages = [company_created(name) for name in ["Orlen", "Lotos", "PKN"]]
    await bus.publish(messages)
    wanted = [m.envelope["data"]["company_id"] for m in messages[:2]]

    found = await clients(planning, id=wanted)
    too_many = await planning.get("/api/plans/clients", params={"id": [str(uuid4())] * 201})

    assert [c["name"] for c in found["items"]] == ["Lotos", "Orlen"]
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "id"]


async def test_clients_are_found_by_part_of_their_name(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await bus.publish([company_created(name) for name in ["Huta Łabędy", "HUTA Katowice", "Orlen"]])

    found = await clients(planning, q="huta")
    wildcard = await clients(planning, q="%")
    too_long = await planning.get("/api/plans/clients", params={"q": "x" * 101})

    assert [c["name"] for c in found["items"]] == ["HUTA Katowice", "Huta Łabędy"]
    assert wildcard["items"] == []  # searched for as it is, not as a pattern
    assert too_long.status_code == 422
