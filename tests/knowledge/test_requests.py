"""Requests to departments through the knowledge API: inputs checked, the lifecycle from both
sides, who sees what, files through the request, events for every step."""

from uuid import uuid4

from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire
from tests.knowledge.files import pdf
from tests.knowledge.services_world import World, announce_department, world

__all__ = ["world"]


def _fields(answer: object) -> dict[str, str]:
    return {p["loc"][-1]: p["msg"] for p in answer.json()["detail"]}  # type: ignore[attr-defined]


async def test_a_request_without_a_required_input_is_refused_naming_the_field(world: World) -> None:
    missing = await world.raise_credit_check(purpose="")
    too_small = await world.raise_credit_check(amount="10")
    unknown = await world.raise_credit_check(colour="red")

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "inputs.purpose"]
    assert _fields(missing) == {"inputs.purpose": "fill in this field"}
    assert _fields(too_small) == {"inputs.amount": "at least 1000"}
    assert _fields(unknown) == {"inputs.colour": "the form has no such field"}
    assert await world.knowledge.events("crm.request.submitted.v1") == []


async def test_a_request_may_name_only_a_deal_the_requester_sees(world: World, hire: Hire) -> None:
    stranger = await hire("manager")
    theirs = await world.raise_credit_check(stranger)
    heads = await world.raise_credit_check(world.head)
    unknown = await world.knowledge.call(
        world.manager,
        "POST",
        "/api/requests",
        json={
            "service_id": world.service["id"],
            "deal_id": str(uuid4()),
            "inputs": {"company": str(uuid4()), "amount": "5000", "purpose": "x"},
        },
    )

    assert theirs.status_code == 422 and _fields(theirs) == {"deal_id": "no such deal"}
    assert heads.status_code == 201  # the head sees the group's deals
    assert _fields(unknown) == {"inputs.company": "no such company"}


async def test_the_lifecycle_from_submission_through_return_to_delivery(world: World) -> None:
    raised = await world.raise_credit_check()
    assert raised.status_code == 201, raised.text
    request = raised.json()
    assert request["status"] == "submitted" and request["deal_id"] == str(world.deal)
    assert request["company_id"] == str(world.company)
    assert request["names"][str(world.company)] == "Huta Łabędy"
    assert request["may"] == ["cancel", "comment"]

    accepted = await world.step(world.clerk, request["id"], "accept")
    returned = await world.step(world.clerk, request["id"], "return", comment="Podaj NIP")
    refused_deliver = await world.step(world.clerk, request["id"], "deliver", outputs={})
    amended = await world.step(
        world.manager, request["id"], "resubmit", inputs={"purpose": "oferta, NIP 5260250274"}
    )
    missing_output = await world.step(world.clerk, request["id"], "deliver", outputs={"limit": "5"})
    delivered = await world.step(
        world.clerk, request["id"], "deliver", outputs={"decision": "approved", "limit": "100000"}
    )

    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["assignee_id"] == world.clerk.user_id
    assert returned.json()["status"] == "returned" and returned.json()["due_at"] is None
    assert refused_deliver.status_code == 409
    assert amended.json()["status"] == "accepted"  # back to whoever took it
    assert amended.json()["inputs"]["purpose"] == "oferta, NIP 5260250274"
    assert amended.json()["due_at"] is not None
    assert missing_output.status_code == 422
    assert _fields(missing_output) == {"outputs.decision": "fill in this field"}
    assert delivered.status_code == 200
    assert delivered.json()["outputs"] == {"decision": "approved", "limit": "100000"}
    assert [s["kind"] for s in delivered.json()["steps"]] == [
        "submitted",
        "accepted",
        "returned",
        "resubmitted",
        "delivered",
    ]
    [event] = await world.knowledge.events("crm.request.delivered.v1")
    assert event["outputs"] == {"decision": "approved", "limit": "100000"}
    assert event["deal_id"] == str(world.deal)
    assert [f["key"] for f in event["output_fields"]] == ["decision", "limit"]
    kinds = [
        "submitted",
        "accepted",
        "returned",
        "resubmitted",
        "delivered",
    ]
    for kind in kinds:
        assert len(await world.knowledge.events(f"crm.request.{kind}.v1")) == 1, kind


async def test_only_the_right_side_takes_each_step(world: World) -> None:
    request = (await world.raise_credit_check()).json()

    by_requester = await world.step(world.manager, request["id"], "accept")
    by_staff = await world.step(world.clerk, request["id"], "cancel")
    rejected = await world.step(world.clerk, request["id"], "reject", reason="Brak zdolności")
    again = await world.step(world.manager, request["id"], "cancel")

    assert by_requester.status_code == 403
    assert by_staff.status_code == 403
    assert rejected.json()["status"] == "rejected"
    assert again.status_code == 409


async def test_staff_of_another_department_neither_see_nor_act_on_a_request(
    world: World, hire: Hire, bus: InProcessBus
) -> None:
    logistics = await announce_department(bus)
    other = await hire("staff", department=logistics)
    request = (await world.raise_credit_check()).json()

    seen = await world.knowledge.call(other, "GET", f"/api/requests/{request['id']}")
    accepted = await world.step(other, request["id"], "accept")
    commented = await world.step(other, request["id"], "comments", body="?")
    listed = await world.knowledge.call(other, "GET", "/api/requests")
    queue = await world.knowledge.call(
        world.clerk,
        "GET",
        "/api/requests",
        params={"department": str(world.finance), "status": "submitted", "sort": "due_at"},
    )

    assert (seen.status_code, accepted.status_code, commented.status_code) == (404, 404, 404)
    assert listed.json()["items"] == []
    assert [r["id"] for r in queue.json()["items"]] == [request["id"]]


async def test_a_head_sees_the_groups_requests_and_the_requester_only_their_own(
    world: World, hire: Hire
) -> None:
    request = (await world.raise_credit_check()).json()
    colleague = await hire("manager")

    by_head = await world.knowledge.call(world.head, "GET", f"/api/requests/{request['id']}")
    by_colleague = await world.knowledge.call(colleague, "GET", f"/api/requests/{request['id']}")
    mine = await world.knowledge.call(
        world.manager, "GET", "/api/requests", params={"mine": "true", "deal_id": str(world.deal)}
    )

    assert by_head.status_code == 200 and by_colleague.status_code == 404
    assert [r["id"] for r in mine.json()["items"]] == [request["id"]]


async def test_bulk_accept_takes_all_or_none(world: World) -> None:
    first = (await world.raise_credit_check()).json()
    second = (await world.raise_credit_check()).json()
    await world.step(world.manager, second["id"], "cancel")

    refused = await world.knowledge.call(
        world.clerk,
        "POST",
        "/api/requests/accept",
        json={"request_ids": [first["id"], second["id"]]},
    )
    taken = await world.knowledge.call(
        world.clerk, "POST", "/api/requests/accept", json={"request_ids": [first["id"]]}
    )
    load = await world.knowledge.call(world.finance_head, "GET", "/api/requests/load")

    assert refused.status_code == 409
    assert [p["loc"][-1] for p in refused.json()["detail"]] == [f"request_ids.{second['id']}"]
    assert [r["status"] for r in taken.json()] == ["accepted"]
    assert [(r["assignee_id"], r["open"]) for r in load.json()["rows"]] == [
        (world.clerk.user_id, 1)
    ]


async def test_the_departments_head_gives_a_request_to_a_colleague(world: World) -> None:
    request = (await world.raise_credit_check()).json()

    by_clerk = await world.step(
        world.clerk, request["id"], "accept", assignee_id=world.finance_head.user_id
    )
    by_head = await world.step(
        world.finance_head, request["id"], "accept", assignee_id=world.clerk.user_id
    )

    assert by_clerk.status_code == 403
    assert by_head.json()["assignee_id"] == world.clerk.user_id


async def test_files_given_with_a_request_are_read_through_it(world: World, hire: Hire) -> None:
    upload = await world.knowledge.call(
        world.manager,
        "POST",
        "/api/requests/files",
        files={"file": ("Bilans 2025.pdf", pdf(["Bilans"]))},
    )
    assert upload.status_code == 201, upload.text
    document_id = upload.json()["document_id"]
    request = (await world.raise_credit_check()).json()
    comment = await world.step(
        world.manager, request["id"], "comments", body="Bilans w załączniku", files=[document_id]
    )
    stranger = await hire("manager")
    theirs = await world.step(stranger, request["id"], "comments", files=[document_id])

    url = f"/api/requests/{request['id']}/files/{document_id}"
    by_clerk = await world.knowledge.call(world.clerk, "GET", url)
    directly = await world.knowledge.call(world.clerk, "GET", f"/api/documents/{document_id}")

    assert comment.status_code == 201
    assert comment.json()["files"] == [{"document_id": document_id, "file_name": "Bilans 2025.pdf"}]
    assert theirs.status_code == 404
    assert by_clerk.status_code == 200 and by_clerk.content.startswith(b"%PDF")
    assert directly.status_code == 404  # the document itself stays the uploader's
    [event] = await world.knowledge.events("crm.request.commented.v1")
    assert event["author_id"] == world.manager.user_id
