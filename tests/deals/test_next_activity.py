"""Each board card's next planned activity, kept from the calendar's events."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus, Message
from shared.contracts.calendar import (
    ActivityCancelled,
    ActivityCompleted,
    ActivityRescheduled,
    ActivityScheduled,
)
from shared.events import new_event
from tests.deals.conftest import pipeline
from tests.deals.test_deals import new_deal

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def planned(deal_id: str, title: str, days: int, **changes: Any) -> dict[str, Any]:
    return {
        "activity_id": changes.pop("activity_id", uuid4()),
        "kind": "call",
        "title": title,
        "owner_id": uuid4(),
        "deal_id": UUID(deal_id),
        "starts_at": NOW + timedelta(days=days),
        "ends_at": NOW + timedelta(days=days, minutes=30),
        "status": "scheduled",
        "sequence": 0,
        **changes,
    }


def at(data: Any, minutes: int) -> Message:
    """`data` as the calendar sends it, `minutes` after NOW (the order it happened in)."""
    event = new_event(data, subject=data.activity_id, time=NOW + timedelta(minutes=minutes))
    return Message(
        topic=data.topic, key=str(data.activity_id), envelope=event.model_dump(mode="json")
    )


async def next_on_card(deals: httpx.AsyncClient, deal_id: str) -> Any:
    default = await pipeline(deals)
    board = (await deals.get(f"/api/pipelines/{default['id']}/board")).json()
    [card] = [c for column in board["columns"] for c in column["deals"] if c["id"] == deal_id]
    return card["next_activity"]


async def test_a_card_shows_the_earliest_planned_activity_and_follows_the_calendar(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    deal = await new_deal(deals)
    call = ActivityScheduled(**planned(deal["id"], "Telefon", 3))
    meeting = ActivityScheduled(**planned(deal["id"], "Spotkanie", 5, kind="meeting"))
    before = await next_on_card(deals, deal["id"])

    await bus.publish([at(call, 1), at(meeting, 2)])
    first = await next_on_card(deals, deal["id"])
    moved = ActivityRescheduled(
        **{**call.model_dump(), "starts_at": NOW + timedelta(days=9), "sequence": 1},
        previous_starts_at=call.starts_at,
        previous_ends_at=call.ends_at,
    )
    await bus.publish([at(moved, 3), at(call, 1)])  # a late copy of the older event loses
    after_move = await next_on_card(deals, deal["id"])
    done = ActivityCompleted(
        activity_id=meeting.activity_id,
        kind="meeting",
        title="Spotkanie",
        owner_id=meeting.owner_id,
        deal_id=meeting.deal_id,
        result="completed",
        note="ok",
        completed_at=NOW,
    )
    await bus.publish(
        [
            at(done, 4),
            at(
                ActivityCancelled(
                    **planned(deal["id"], "Telefon", 9, activity_id=call.activity_id)
                ),
                5,
            ),
        ]
    )
    after_all = await next_on_card(deals, deal["id"])

    assert before is None
    assert (first["title"], first["kind"]) == ("Telefon", "call")
    assert after_move["title"] == "Spotkanie"
    assert after_all is None


async def test_the_card_names_its_company_and_owner(deals: httpx.AsyncClient) -> None:
    deal = await new_deal(deals)
    default = await pipeline(deals)

    board = (await deals.get(f"/api/pipelines/{default['id']}/board")).json()

    [card] = [c for column in board["columns"] for c in column["deals"] if c["id"] == deal["id"]]
    assert card["company_name"] == "Kowalski sp. z o.o."
    assert "owner_name" in card
