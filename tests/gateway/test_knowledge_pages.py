"""The knowledge base through the gateway, with the whole CRM in process: uploads streamed on,
the global search, previews a page may frame, safe Markdown, must-read notifications."""

from typing import Any

import httpx
import pytest

from services.gateway.backends import Backends
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.waiting import eventually
from tests.gateway.conftest import PASSWORD
from tests.gateway.test_web import browser_sign_in
from tests.knowledge.files import docx, pdf


@pytest.fixture(scope="module")
async def csrf(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, str]:
    token = await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    return {"X-CSRF-Token": token}


async def upload(
    crm: httpx.AsyncClient, csrf: dict[str, str], name: str, data: bytes, **fields: str
) -> dict[str, Any]:
    answer = await crm.post(
        "/knowledge/upload", files={"file": (name, data)}, data=fields, headers=csrf
    )
    assert answer.status_code == 200, answer.text
    document_id = answer.json()["location"].rsplit("/", 1)[-1]
    return (await crm.get(f"/api/documents/{document_id}")).json()  # type: ignore[no-any-return]


async def test_an_upload_from_a_page_is_found_by_the_global_search(
    crm: httpx.AsyncClient, csrf: dict[str, str]
) -> None:
    document = await upload(
        crm, csrf, "Regulamin łódzki.docx", docx("Reklamacje przyjmuje dział obsługi klienta.")
    )

    async def found() -> list[dict[str, Any]]:
        answer = await crm.get("/api/search", params={"q": "reklamacji"})
        return answer.json()["items"]  # type: ignore[no-any-return]

    [hit] = await eventually(found, timeout=20, interval=0.2)
    page = await crm.get("/knowledge/search", params={"q": "reklamacji"})

    assert (hit["service"], hit["id"]) == ("knowledge", document["id"])
    assert [f["text"] for f in hit["snippet"] if f["match"]] == ["Reklamacje"]
    assert page.status_code == 200 and "<mark>Reklamacje</mark>" in page.text
    assert f'href="/knowledge/documents/{document["id"]}"' in page.text


async def test_the_global_search_answers_without_a_service_that_is_down(
    crm: httpx.AsyncClient,
) -> None:
    app = crm._transport.app  # type: ignore[attr-defined]
    working = app.state.backends
    app.state.backends = Backends(
        {"knowledge": httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2)},
        app.state.embedded_apps,
    )
    try:
        answer = await crm.get("/api/search", params={"q": "umowa"})
    finally:
        await app.state.backends.close()
        app.state.backends = working

    assert answer.status_code == 200
    assert answer.json() == {"items": [], "unavailable": ["knowledge"], "groups": []}


async def test_a_pdf_is_previewed_in_a_frame_of_the_crm_and_downloaded_by_its_polish_name(
    crm: httpx.AsyncClient, csrf: dict[str, str]
) -> None:
    data = pdf(["Cennik hurtowy"])
    document = await upload(crm, csrf, "Cennik łódzki.pdf", data)

    page = await crm.get(f"/knowledge/documents/{document['id']}")
    inline = await crm.get(f"/api/documents/{document['id']}/content", params={"inline": "true"})
    download = await crm.get(f"/api/documents/{document['id']}/content")

    assert f'<iframe src="/api/documents/{document["id"]}/content?inline=true"' in page.text
    assert (
        inline.content == data
        and "frame-ancestors 'self'" in inline.headers["content-security-policy"]
    )
    assert inline.headers["x-frame-options"] == "SAMEORIGIN"
    assert download.content == data and download.headers["x-frame-options"] == "DENY"
    assert (
        "filename*=UTF-8''Cennik%20%C5%82%C3%B3dzki.pdf" in download.headers["content-disposition"]
    )


async def test_a_written_page_is_markdown_shown_safely(
    crm: httpx.AsyncClient, csrf: dict[str, str]
) -> None:
    text = (
        "# Zwroty\n\nKlient ma **14 dni**.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )
    answer = await crm.post(
        "/knowledge/pages",
        data={"title": "Zwroty", "text": text},
        headers={**csrf, "HX-Request": "true"},
    )
    page = await crm.get(answer.headers["HX-Redirect"])

    assert "<h1>Zwroty</h1>" in page.text and "<strong>14 dni</strong>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'href="javascript:' not in page.text


async def test_a_must_read_notifies_the_reader_who_confirms_it(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    teams = (await crm.get("/api/teams", headers=api)).json()
    [company] = [team for team in teams if team["parent_id"] is None]
    body = {
        "email": "czytelnik@contentum.pl",
        "name": "Czytelnik",
        "password": PASSWORD,
        "team_id": company["id"],
        "locale": "en",
    }
    reader = (await crm.post("/api/users", json=body, headers={**api, **csrf})).json()
    folder = (
        await crm.post("/api/folders", json={"name": "Regulaminy"}, headers={**api, **csrf})
    ).json()
    document = await upload(crm, csrf, "regulamin.docx", docx("Regulamin"), folder_id=folder["id"])

    set_must_read = await crm.post(
        f"/knowledge/documents/{document['id']}/must-read",
        data={"audience": f"team:{company['id']}"},
        headers={**csrf, "HX-Request": "true"},
    )
    async with httpx.AsyncClient(transport=crm._transport, base_url="http://test") as other:
        token = await browser_sign_in(other, body["email"], PASSWORD)

        async def notified() -> list[dict[str, Any]]:
            items = (await other.get("/api/notifications")).json()["items"]
            return [n for n in items if n["kind"] == "must_read"]

        [notification] = await eventually(notified, timeout=10, interval=0.1)
        page = await other.get(notification["link"])
        confirmed = await other.post(
            f"/knowledge/documents/{document['id']}/acknowledge",
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        must_read = await other.get("/knowledge/must-read")
    owner_view = await crm.get(f"/knowledge/documents/{document['id']}")

    assert set_must_read.status_code == 204
    assert notification["title"] == "Please read: regulamin"
    assert 'id="acknowledge"' in page.text
    assert confirmed.status_code == 204
    assert "Nothing to confirm." in must_read.text
    assert "Czytelnik" in owner_view.text and reader["id"]


async def test_a_documents_details_and_folder_and_a_pages_text_are_changed_from_its_page(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    sent = {**csrf, "HX-Request": "true"}
    offers, prices = [
        (await crm.post("/api/folders", json={"name": name}, headers={**api, **csrf})).json()
        for name in ("Oferty", "Cenniki")
    ]
    document = await upload(crm, csrf, "cennik.docx", docx("Ceny hurtowe"), folder_id=offers["id"])
    edit = f"/knowledge/documents/{document['id']}/edit"

    shown = await crm.get(f"/knowledge/documents/{document['id']}")
    form = await crm.get(edit)
    refused = await crm.post(edit, data={"title": " ", "folder_id": offers["id"]}, headers=sent)
    saved = await crm.post(
        edit,
        data={
            "title": "Cennik hurtowy 2027",
            "description": "Ceny netto",
            "tags": "ceny, hurt, ceny, ",
            "valid_until": "2027-01-31",
            "folder_id": prices["id"],
        },
        headers=sent,
    )
    changed = (await crm.get(f"/api/documents/{document['id']}")).json()

    assert f'href="{edit}"' in shown.text
    assert form.status_code == 200 and 'value="cennik"' in form.text
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert saved.status_code == 204
    assert saved.headers["HX-Redirect"] == f"/knowledge/documents/{document['id']}"
    assert (changed["title"], changed["description"]) == ("Cennik hurtowy 2027", "Ceny netto")
    assert (changed["tags"], changed["valid_until"]) == (["ceny", "hurt"], "2027-01-31")
    assert changed["folder_id"] == prices["id"]
    await crm.post(f"/knowledge/documents/{document['id']}/archive", headers=sent)
    archived = await crm.get(edit)
    assert archived.status_code == 403 and "This document is archived." in archived.text

    written = await crm.post(
        "/knowledge/pages", data={"title": "Zwroty", "text": "Klient ma **14 dni**."}, headers=sent
    )
    page_id = written.headers["HX-Redirect"].rsplit("/", 1)[-1]
    text = f"/knowledge/documents/{page_id}/text"
    page_form = await crm.get(f"/knowledge/documents/{page_id}/edit")
    empty = await crm.post(text, data={"text": "", "note": "nic"}, headers=sent)
    rewritten = await crm.post(
        text, data={"text": "Klient ma **30 dni**.", "note": "dłuższy termin"}, headers=sent
    )
    versions = (await crm.get(f"/api/documents/{page_id}/versions")).json()
    page = await crm.get(f"/knowledge/documents/{page_id}")

    assert "Klient ma **14 dni**." in page_form.text
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    assert rewritten.status_code == 204
    assert sorted((v["number"], v["note"]) for v in versions) == [(1, ""), (2, "dłuższy termin")]
    assert "<strong>30 dni</strong>" in page.text


async def test_a_docx_is_previewed_by_the_text_read_out_of_it(
    crm: httpx.AsyncClient, csrf: dict[str, str]
) -> None:
    document = await upload(crm, csrf, "warunki.docx", docx("Dostawa w 3 dni <robocze>."))

    async def read() -> dict[str, Any] | None:
        found = (await crm.get(f"/api/documents/{document['id']}")).json()
        return found if found["extraction"]["status"] == "done" else None

    await eventually(read, timeout=20, interval=0.1)
    page = await crm.get(f"/knowledge/documents/{document['id']}")

    assert '<pre class="text">Dostawa w 3 dni &lt;robocze&gt;.' in page.text
    assert "The text of the file as read for search" in page.text
