"""Must-read documents: the named groups and departments are asked, confirm "I have read it",
the owner sees who has not, and every new version asks again."""

from uuid import uuid4

from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.files import docx


async def test_a_reader_confirms_the_owner_sees_who_has_not_and_a_new_version_asks_again(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team, logistics = await add_group(bus), uuid4()
    admin = await hire("admin")
    anna, piotr = await hire("manager", team), await hire("manager", team)
    clerk = await hire("staff", department=logistics)
    outsider = await hire("manager", await add_group(bus))
    folder = await knowledge.folder(
        admin, "Regulaminy", readers=[f"team:{team}", f"department:{logistics}"]
    )
    document = await knowledge.upload(
        admin, "regulamin.docx", docx("Regulamin sprzedaży"), folder_id=folder["id"]
    )
    url = f"/api/documents/{document['id']}"
    audience = {"audience": [f"team:{team}", f"department:{logistics}"]}

    assert (
        await knowledge.call(admin, "PUT", f"{url}/must-read", json=audience)
    ).status_code == 200
    [asked] = await knowledge.events("crm.document.acknowledgement_requested.v1")
    pending = await knowledge.call(
        anna, "GET", "/api/documents/must-read", params={"pending": True}
    )
    confirmed = await knowledge.call(anna, "POST", f"{url}/acknowledge")
    again = await knowledge.call(anna, "POST", f"{url}/acknowledge")
    not_asked = await knowledge.call(outsider, "POST", f"{url}/acknowledge")
    status = (await knowledge.call(admin, "GET", f"{url}/acknowledgements")).json()
    for_piotr = await knowledge.call(piotr, "GET", url)

    assert set(asked["recipient_ids"]) == {anna.user_id, piotr.user_id, clerk.user_id}
    assert [item["title"] for item in pending.json()] == ["regulamin"]
    assert confirmed.status_code == 200 and confirmed.json()["acknowledged_at"] is not None
    assert again.json()["acknowledged_at"] == confirmed.json()["acknowledged_at"]
    assert not_asked.status_code == 404  # the outsider may not even see it
    assert (status["confirmed"], status["waiting"]) == (1, 2)
    assert {p["user_id"] for p in status["people"] if p["acknowledged_at"] is None} == {
        piotr.user_id,
        clerk.user_id,
    }
    assert for_piotr.json()["to_confirm"] is True
    assert len(await knowledge.events("crm.document.acknowledged.v1")) == 1

    await knowledge.call(admin, "POST", f"{url}/versions", files={"file": ("r.docx", docx("Nowy"))})
    status = (await knowledge.call(admin, "GET", f"{url}/acknowledgements")).json()
    asked_again = await knowledge.events("crm.document.acknowledgement_requested.v1")

    assert (status["version"], status["confirmed"], status["waiting"]) == (2, 0, 3)
    assert asked_again[-1]["version"] == 2 and anna.user_id in asked_again[-1]["recipient_ids"]
    assert (await knowledge.call(anna, "GET", url)).json()["to_confirm"] is True


async def test_only_the_owner_and_editors_see_who_has_confirmed(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    admin, reader = await hire("admin"), await hire("manager", team)
    folder = await knowledge.folder(admin, "Regulaminy", readers=[f"team:{team}"])
    document = await knowledge.upload(admin, "r.docx", docx("R"), folder_id=folder["id"])
    url = f"/api/documents/{document['id']}"

    refused = await knowledge.call(reader, "GET", f"{url}/acknowledgements")
    set_by_reader = await knowledge.call(reader, "PUT", f"{url}/must-read", json={"audience": []})
    bad = await knowledge.call(admin, "PUT", f"{url}/must-read", json={"audience": ["team:x"]})

    assert (refused.status_code, set_by_reader.status_code, bad.status_code) == (403, 403, 422)
