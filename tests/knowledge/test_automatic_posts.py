"""Automatic posts from events: a deal won, a plan approved for a group, a request delivered,
a new document in a followed folder; each kind switched off by the administrator."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from shared.bus import InProcessBus
from shared.contracts.knowledge import RequestDelivered
from shared.contracts.planning import PlanReviewed
from shared.testing.people import as_message
from shared.testing.waiting import eventually
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.feed import feed, open_deal, snapshot, texts, win
from tests.knowledge.files import docx


async def test_a_deal_won_is_posted_once_for_everyone_with_its_amount(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north, south = await add_group(bus), await add_group(bus)
    anna, ewa = await hire("manager", north), await hire("manager", south)
    admin = await hire("admin")
    deal = await open_deal(bus, anna)
    won = await win(bus, deal)

    await bus.publish([won])  # the same event delivered again
    [shown] = (await feed(knowledge, ewa))["items"]
    switched = await knowledge.call(admin, "PUT", "/api/feed/settings", json={"deal_won": False})
    refused = await knowledge.call(anna, "PUT", "/api/feed/settings", json={"deal_won": True})
    await win(bus, {**deal, "deal_id": uuid4()})

    assert shown["kind"] == "deal_won" and shown["author_id"] == anna.user_id
    assert "Dostawa stali" in shown["text"] and "Huta Łabędy" in shown["text"]
    assert "120\xa0000,00\xa0zł" in shown["text"]  # in the company's language (Polish)
    assert switched.json()["deal_won"] is False and refused.status_code == 403
    assert len(await texts(knowledge, ewa)) == 1


async def test_a_deal_won_names_its_company_even_before_knowledge_has_heard_of_it(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    anna = await hire("manager", await add_group(bus))
    deal = snapshot(anna)  # its company's topic has not brought the company yet

    await win(bus, {**deal, "company_name": "Huta Łabędy"})

    [text] = await texts(knowledge, anna)
    assert "Dostawa stali" in text and "(Huta Łabędy)" in text


async def test_a_plan_approved_for_a_group_is_one_post_kept_up_to_date(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north = await add_group(bus)
    head, anna = await hire("head", north), await hire("manager", north)
    outsider = await hire("manager", await add_group(bus))
    lines = [uuid4(), uuid4()]

    async def review(line: UUID, status: str, amount: str) -> None:
        reviewed = PlanReviewed(
            line_id=line,
            manager_id=UUID(anna.user_id),
            company_id=uuid4(),
            period="month",
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 31),
            amount=Decimal(amount),
            status=status,
            client_name="Orlen S.A.",
            reviewer_id=UUID(head.user_id),
        )
        await bus.publish([as_message(reviewed, line)])

    await review(lines[0], "approved", "1000")
    await review(lines[1], "approved", "2500")
    both = await texts(knowledge, anna)
    await review(lines[1], "doubtful", "2500")
    one = await texts(knowledge, anna)
    await review(lines[0], "rejected", "1000")

    assert len(both) == 1 and "3500,00" in both[0].replace("\xa0", "")
    assert "01.12.2026 – 31.12.2026" in both[0]
    assert len(one) == 1 and "1000,00" in one[0].replace("\xa0", "")
    assert await texts(knowledge, outsider) == []
    assert await texts(knowledge, anna) == []
    assert len(await knowledge.events("crm.post.created.v1")) == 1
    assert len(await knowledge.events("crm.post.edited.v1")) == 2
    assert len(await knowledge.events("crm.post.deleted.v1")) == 1


async def test_a_new_document_or_version_in_a_followed_folder_is_posted_to_its_followers(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    admin = await hire("admin")
    anna, piotr = await hire("manager", team), await hire("manager", team)
    folder = await knowledge.folder(admin, "Cenniki", readers=[f"team:{team}"])
    following = await knowledge.call(anna, "PUT", f"/api/feed/follows/{folder['id']}")
    followed = (await knowledge.call(anna, "GET", "/api/feed/follows")).json()

    document = await knowledge.upload(admin, "Cennik.docx", docx("Cennik"), folder_id=folder["id"])
    await knowledge.call(
        admin,
        "POST",
        f"/api/documents/{document['id']}/versions",
        files={"file": ("C.docx", docx("Nowy"))},
    )

    async def both_posted() -> list[str]:  # knowledge hears of its own documents
        posted = await texts(knowledge, anna)
        return posted if len(posted) == 2 else []

    posted = await eventually(both_posted, timeout=10, interval=0.1)

    assert following.status_code == 204 and followed == [folder["id"]]
    assert all(
        "Cenniki" in text and f"/knowledge/documents/{document['id']}" in text for text in posted
    )
    assert await texts(knowledge, piotr) == []  # not a follower


async def test_a_request_delivered_is_posted_to_the_requester_and_on_the_deals_thread(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north = await add_group(bus)
    anna, piotr = await hire("manager", north), await hire("manager", north)
    clerk = await hire("staff", department=uuid4())
    deal = await open_deal(bus, anna)
    delivered = RequestDelivered(
        **{
            "request_id": uuid4(),
            "service_id": uuid4(),
            "service_name": "Weryfikacja kredytowa klienta",
            "service_version": 1,
            "department_id": uuid4(),
            "requester_id": UUID(anna.user_id),
            "assignee_id": UUID(clerk.user_id),
            "status": "delivered",
            "inputs": {},
            "outputs": {"decision": "approved"},
            "deal_id": deal["deal_id"],
            "company_id": deal["company_id"],
            "submitted_at": datetime.now(UTC),
            "due_at": None,
            "actor_id": UUID(clerk.user_id),
            "url": "/requests/1",
            "output_fields": [],
        }
    )
    await bus.publish([as_message(delivered, delivered.request_id)])

    thread = await feed(knowledge, anna, record_kind="deal", record_id=str(deal["deal_id"]))
    [shown] = thread["items"]

    assert shown["kind"] == "request_delivered" and shown["author_id"] == clerk.user_id
    assert "Weryfikacja kredytowa klienta" in shown["text"] and "/requests/1" in shown["text"]
    assert await texts(knowledge, piotr) == []  # the deal is Anna's
