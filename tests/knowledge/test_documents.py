"""Documents: uploads sniffed and size-limited, versions kept byte for byte and restored,
content served with Range, ETag and the Polish file name, events for every change."""

import os
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from services.knowledge.app import create_app
from services.knowledge.settings import KnowledgeSettings
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running
from shared.testing.records import Announce, deal_created
from tests.knowledge.conftest import Hire, Knowledge
from tests.knowledge.files import docx, pdf


async def test_the_type_comes_from_the_content_not_from_the_client(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    answer = await knowledge.call(
        admin,
        "POST",
        "/api/documents",
        files={"file": ("cennik.txt", pdf(["Cennik"]), "text/plain")},
        data={"title": "Cennik", "tags": "cennik, 2026 ,cennik", "valid_until": "2026-12-31"},
    )
    page = await knowledge.call(
        admin, "POST", "/api/documents", data={"title": "Procedura", "text": "# Zwroty\n\n*Tak*"}
    )

    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert (document["media_type"], document["kind"], document["file_name"]) == (
        "application/pdf",
        "file",
        "cennik.txt",
    )
    assert document["tags"] == ["cennik", "2026"]
    assert document["valid_until"] == "2026-12-31" and document["version"] == 1
    assert (page.json()["kind"], page.json()["media_type"]) == ("page", "text/markdown")
    [created] = [
        e for e in await knowledge.events("crm.document.created.v1") if e["title"] == "Cennik"
    ]
    assert created["sha256"] == document["sha256"] and created["owner_id"] == admin.user_id


async def test_a_file_over_the_limit_is_refused_while_it_arrives(
    new_database: Any, settings_for: Any, bus: InProcessBus
) -> None:
    settings = KnowledgeSettings(**settings_for(await new_database("knowledge")), max_upload_mb=1)
    async with running(create_app(settings, bus)) as client:
        client.headers.update(identity_headers())
        big = await client.post(
            "/api/documents", files={"file": ("duzy.bin", os.urandom(1024 * 1024 + 1))}
        )
        fits = await client.post(
            "/api/documents", files={"file": ("maly.bin", os.urandom(1024 * 1024))}
        )

    assert big.status_code == 413 and big.json()["detail"][0]["loc"] == ["body", "file"]
    assert fits.status_code == 201, fits.text


async def test_a_new_version_keeps_the_old_one_byte_for_byte_and_restoring_makes_it_current(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    first, second = docx("Cennik 2025"), docx("Cennik 2026")
    document = await knowledge.upload(admin, "cennik.docx", first)
    url = f"/api/documents/{document['id']}"

    new = await knowledge.call(
        admin,
        "POST",
        f"{url}/versions",
        files={"file": ("cennik.docx", second)},
        data={"note": "Nowe ceny"},
    )
    old_content = await knowledge.call(admin, "GET", f"{url}/versions/1/content")
    current = await knowledge.call(admin, "GET", f"{url}/content")
    restored = await knowledge.call(admin, "POST", f"{url}/versions/1/restore")
    after = await knowledge.call(admin, "GET", f"{url}/content")
    versions = (await knowledge.call(admin, "GET", f"{url}/versions")).json()

    assert new.status_code == 201 and new.json()["version"] == 2
    assert old_content.content == first and current.content == second
    assert restored.json()["version"] == 3 and after.content == first
    assert [(v["number"], v["note"], v["restored_from"], v["current"]) for v in versions] == [
        (3, "", 1, True),
        (2, "Nowe ceny", None, False),
        (1, "", None, False),
    ]
    assert versions[0]["author_id"] == admin.user_id
    versioned = await knowledge.events("crm.document.versioned.v1")
    assert [(e["version"], e["restored_from"]) for e in versioned] == [(2, None), (3, 1)]


async def test_content_is_served_by_range_with_an_etag_and_the_polish_file_name(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    data = pdf(["Zażółć gęślą jaźń"])
    document = await knowledge.upload(admin, "Cennik łódzki.pdf", data)
    url = f"/api/documents/{document['id']}/content"

    whole = await knowledge.call(admin, "GET", url)
    part = await knowledge.call(admin, "GET", url, headers={"Range": "bytes=5-14"})
    tail = await knowledge.call(admin, "GET", url, headers={"Range": "bytes=-7"})
    beyond = await knowledge.call(admin, "GET", url, headers={"Range": f"bytes={len(data)}-"})
    same = await knowledge.call(admin, "GET", url, headers={"If-None-Match": whole.headers["etag"]})
    any_current = await knowledge.call(admin, "GET", url, headers={"If-None-Match": "*"})
    other = await knowledge.call(admin, "GET", url, headers={"If-None-Match": '"0f", W/"1a"'})
    shown = await knowledge.call(admin, "GET", url, params={"inline": "true"})
    store = knowledge.client._transport.app.state.store  # type: ignore[attr-defined]
    reading, store.read = store.read, None  # HEAD reads nothing from the store
    try:
        head = await knowledge.call(admin, "HEAD", url)
        head_of_part = await knowledge.call(admin, "HEAD", url, headers={"Range": "bytes=5-14"})
    finally:
        store.read = reading

    assert whole.content == data and whole.headers["accept-ranges"] == "bytes"
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(data))
    assert head.headers["etag"] == whole.headers["etag"]
    assert (head_of_part.status_code, head_of_part.headers["content-length"]) == (206, "10")
    assert whole.headers["content-disposition"] == (
        "attachment; filename=\"Cennik lodzki.pdf\"; filename*=UTF-8''"
        + quote("Cennik łódzki.pdf", safe="")
    )
    assert (part.status_code, part.content) == (206, data[5:15])
    assert part.headers["content-range"] == f"bytes 5-14/{len(data)}"
    assert tail.content == data[-7:]
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert same.status_code == 304 and same.content == b""
    assert any_current.status_code == 304 and other.status_code == 200
    assert shown.headers["content-disposition"].startswith("inline;")
    assert shown.headers["content-type"] == "application/pdf"


async def test_an_archived_document_leaves_lists_and_search_but_keeps_its_versions(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    document = await knowledge.upload(admin, "stary.docx", docx("Stary regulamin reklamacji"))
    await knowledge.extracted(admin, document["id"])

    archived = await knowledge.call(admin, "DELETE", f"/api/documents/{document['id']}")
    listed = await knowledge.call(admin, "GET", "/api/documents")
    found = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "reklamacja"})
    content = await knowledge.call(
        admin, "GET", f"/api/documents/{document['id']}/versions/1/content"
    )

    assert archived.json()["archived_at"] is not None
    assert document["id"] not in {d["id"] for d in listed.json()["items"]}
    assert found.json()["items"] == []
    assert content.status_code == 200
    assert [e["document_id"] for e in await knowledge.events("crm.document.archived.v1")] == [
        document["id"]
    ]


async def test_a_document_uploaded_for_a_deal_is_linked_to_it(
    knowledge: Knowledge, hire: Hire, announce: Announce
) -> None:
    manager = await hire("manager", uuid4())
    deal = await announce(deal_created(manager.user_id))
    document = await knowledge.upload(manager, "oferta.pdf", pdf(["Oferta"]), deal_id=deal)

    [linked] = await knowledge.events("crm.document.linked.v1")
    assert (linked["target"], linked["target_id"], linked["linked_by"]) == (
        "deal",
        deal,
        manager.user_id,
    )
    assert linked["url"] == f"/knowledge/documents/{document['id']}"
    assert document["links"][0]["target_id"] == deal
