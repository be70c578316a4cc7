"""A post becomes a document: its text, comments and attachments land in a folder, the post
links to the page, and search finds both by any form of their words."""

from shared.bus import InProcessBus
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.feed import found, post
from tests.knowledge.files import pdf


async def test_a_promoted_post_is_a_page_with_its_comments_and_files_found_by_any_form(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    admin, anna = await hire("admin"), await hire("manager", team)
    folder = await knowledge.folder(admin, "Procedury", editors=[f"team:{team}"])
    data = pdf(["Wzór reklamacji"])
    attachment = (
        await knowledge.call(
            anna, "POST", "/api/feed/attachments", files={"file": ("Wzór reklamacji.pdf", data)}
        )
    ).json()
    written = await post(
        knowledge,
        anna,
        "**Reklamacje** przyjmujemy tylko z numerem faktury #reklamacje",
        attachment_ids=[attachment["id"]],
    )
    url = f"/api/posts/{written['id']}"
    await knowledge.call(admin, "POST", f"{url}/comments", json={"text": "Także korekty faktur"})

    promoted = await knowledge.call(
        anna, "POST", f"{url}/promote", json={"folder_id": folder["id"]}
    )
    again = await knowledge.call(anna, "POST", f"{url}/promote", json={"folder_id": folder["id"]})
    page = (
        await knowledge.call(anna, "GET", f"/api/documents/{promoted.json()['document_id']}")
    ).json()
    content = (await knowledge.call(anna, "GET", f"/api/documents/{page['id']}/content")).text
    listed = (
        await knowledge.call(anna, "GET", "/api/documents", params={"folder_id": folder["id"]})
    ).json()
    hits = await knowledge.call(
        anna, "GET", "/api/documents/search", params={"q": "faktura reklamacja"}
    )
    [event] = await knowledge.events("crm.post.promoted.v1")

    assert promoted.status_code == 201, promoted.text
    assert again.status_code == 409
    assert (page["title"], page["kind"], page["folder_id"]) == (
        "Reklamacje przyjmujemy tylko z numerem faktury reklamacje",
        "page",
        folder["id"],
    )
    assert "**Reklamacje** przyjmujemy tylko z numerem faktury" in content
    assert "Także korekty faktur" in content
    [file] = [d for d in listed["items"] if d["kind"] == "file"]
    kept = await knowledge.call(anna, "GET", f"/api/documents/{file['id']}/content")
    assert file["title"] == "Wzór reklamacji" and kept.content == data
    assert f"/knowledge/documents/{file['id']}" in content
    assert page["id"] in [hit["id"] for hit in hits.json()["items"]]
    assert await found(knowledge, anna, "faktura reklamacja") == [written["id"]]
    assert (await knowledge.call(anna, "GET", url)).json()["document_id"] == page["id"]
    assert event["document_id"] == page["id"] and event["folder_id"] == folder["id"]


async def test_only_the_folders_editors_promote_into_it(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    team = await add_group(bus)
    admin, anna = await hire("admin"), await hire("manager", team)
    folder = await knowledge.folder(admin, "Cenniki", readers=[f"team:{team}"])
    written = await post(knowledge, anna, "Cennik na 2027")

    refused = await knowledge.call(
        anna, "POST", f"/api/posts/{written['id']}/promote", json={"folder_id": folder["id"]}
    )

    assert refused.status_code == 403
    assert (await knowledge.call(anna, "GET", f"/api/posts/{written['id']}")).json()[
        "document_id"
    ] is None
