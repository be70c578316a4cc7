"""A folder's readers and editors decide who sees its documents: metadata, content, versions and
search hits alike. Outside the readers, a document does not exist (404)."""

from uuid import uuid4

from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.files import docx


async def test_a_manager_outside_the_readers_gets_404_and_no_search_hits(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north, south = await add_group(bus), await add_group(bus)
    admin, outsider = await hire("admin"), await hire("manager", south)
    folder = await knowledge.folder(admin, "Cenniki Północ", readers=[f"team:{north}"])
    document = await knowledge.upload(
        admin, "cennik.docx", docx("Cennik hurtowy"), folder_id=folder["id"]
    )
    await knowledge.extracted(admin, document["id"])
    url = f"/api/documents/{document['id']}"

    answers = [
        await knowledge.call(outsider, "GET", path)
        for path in (
            url,
            f"{url}/content",
            f"{url}/text",
            f"{url}/versions",
            f"{url}/versions/1/content",
        )
    ]
    found = await knowledge.call(outsider, "GET", "/api/documents/search", params={"q": "cennik"})
    listed = await knowledge.call(outsider, "GET", "/api/documents")
    folders = await knowledge.call(outsider, "GET", "/api/folders")
    by_admin = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "cennik"})
    text = await knowledge.call(admin, "GET", f"{url}/text", params={"limit": 6})

    assert [answer.status_code for answer in answers] == [404] * 5
    assert text.status_code == 200 and text.text == "Cennik"
    assert found.status_code == 200 and found.json()["items"] == []
    assert listed.json()["items"] == [] and folders.json() == []
    assert [hit["id"] for hit in by_admin.json()["items"]] == [document["id"]]


async def test_a_group_reads_with_the_groups_below_it_and_its_head_above_it(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    region = await add_group(bus)
    north = await add_group(bus, parent=region)
    north_east = await add_group(bus, parent=north)
    admin = await hire("admin")
    below = await hire("manager", north_east)
    regional_head = await hire("head", region)
    beside = await hire("manager", region)
    folder = await knowledge.folder(admin, "Oferty", readers=[f"team:{north}"])
    document = await knowledge.upload(admin, "oferta.docx", docx("Oferta"), folder_id=folder["id"])
    # The gateway signs a head's identity with the whole subtree they lead.
    regional_head = regional_head.model_copy(
        update={"team_ids": [str(region), str(north), str(north_east)]}
    )

    url = f"/api/documents/{document['id']}"
    assert (await knowledge.call(below, "GET", url)).status_code == 200
    assert (await knowledge.call(regional_head, "GET", url)).status_code == 200
    assert (await knowledge.call(beside, "GET", url)).status_code == 404


async def test_staff_read_what_is_shared_with_their_department(
    knowledge: Knowledge, hire: Hire
) -> None:
    legal = uuid4()
    admin, lawyer = await hire("admin"), await hire("staff", department=legal)
    other = await hire("staff", department=uuid4())
    folder = await knowledge.folder(admin, "Wzory umów", readers=[f"department:{legal}"])
    document = await knowledge.upload(admin, "wzor.docx", docx("Wzór"), folder_id=folder["id"])
    url = f"/api/documents/{document['id']}"

    assert (await knowledge.call(lawyer, "GET", url)).status_code == 200
    assert (await knowledge.call(other, "GET", url)).status_code == 404


async def test_readers_may_not_add_or_change_documents_editors_may(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    admin, reader, editor = (
        await hire("admin"),
        await hire("manager", team),
        await hire("manager", team),
    )
    folder = await knowledge.folder(
        admin, "Procedury", readers=[f"team:{team}"], editors=[f"user:{editor.user_id}"]
    )
    document = await knowledge.upload(admin, "a.docx", docx("Procedura"), folder_id=folder["id"])
    url = f"/api/documents/{document['id']}"

    refused = await knowledge.call(
        reader,
        "POST",
        "/api/documents",
        files={"file": ("b.docx", docx("B"))},
        data={"folder_id": folder["id"]},
    )
    renamed_by_reader = await knowledge.call(reader, "PATCH", url, json={"title": "Nowa"})
    added = await knowledge.call(
        editor,
        "POST",
        "/api/documents",
        files={"file": ("c.docx", docx("C"))},
        data={"folder_id": folder["id"]},
    )
    renamed = await knowledge.call(editor, "PATCH", url, json={"title": "Procedura zwrotów"})
    subfolder = await knowledge.call(
        editor, "POST", "/api/folders", json={"name": "Zwroty", "parent_id": folder["id"]}
    )
    top = await knowledge.call(editor, "POST", "/api/folders", json={"name": "Moje"})

    assert (refused.status_code, renamed_by_reader.status_code) == (403, 403)
    assert added.status_code == 201 and renamed.json()["title"] == "Procedura zwrotów"
    assert subfolder.status_code == 201
    assert subfolder.json()["readers"] == [f"team:{team}"]  # the parent's access, inherited
    assert top.status_code == 403


async def test_unfiled_documents_are_seen_by_their_owner_and_the_owners_head(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    owner, head, colleague = (
        await hire("manager", team),
        await hire("head", team),
        await hire("manager", team),
    )
    document = await knowledge.upload(owner, "oferta.docx", docx("Oferta dla klienta"))
    url = f"/api/documents/{document['id']}"

    assert document["folder_id"] is None
    assert (await knowledge.call(owner, "GET", url)).status_code == 200
    assert (await knowledge.call(head, "GET", url)).status_code == 200
    assert (await knowledge.call(colleague, "GET", url)).status_code == 404
