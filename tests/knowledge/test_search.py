"""Polish full-text search: inflected forms and missing diacritics find each other, ranked,
filtered, a page at a time, with the matched words marked."""

from typing import Any

import pytest

from services.knowledge.usecases import extraction
from shared.testing.waiting import eventually
from tests.knowledge.conftest import Hire, Knowledge
from tests.knowledge.files import docx, pdf


def marked(fragments: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in fragments if f["match"]]


async def test_an_inflected_word_typed_without_diacritics_finds_a_pdf_and_a_docx(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    offer = await knowledge.upload(
        admin,
        "oferta.pdf",
        pdf(["Oferta handlowa dla klienta z Łodzi.", "Zawarcie umowy następuje po akceptacji."]),
    )
    rules = await knowledge.upload(
        admin, "regulamin.docx", docx("Regulamin sprzedaży.", "Każdą umowę podpisuje zarząd.")
    )
    await knowledge.upload(admin, "notatka.docx", docx("Spotkanie z klientem w Gdańsku."))
    for document in (offer, rules):
        assert (await knowledge.extracted(admin, document["id"]))["extraction"]["status"] == "done"

    answer = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "umowa"})
    folded = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "umowe lodz"})

    assert answer.status_code == 200, answer.text
    hits = {hit["id"]: hit for hit in answer.json()["items"]}
    assert set(hits) == {offer["id"], rules["id"]}
    assert marked(hits[offer["id"]]["snippet"]) == ["umowy"]
    assert marked(hits[rules["id"]]["snippet"]) == ["umowę"]
    [both] = folded.json()["items"]
    assert both["id"] == offer["id"]
    assert sorted(marked(both["snippet"])) == ["umowy", "Łodzi"]


async def test_a_page_of_the_base_is_found_by_its_words_not_shown_with_its_markup(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    text = "# Regulamin rabatów\n\n| Próg | Rabat |\n|---|---|\n| 10 000 zł | **5%** rabatu |\n"
    page = await knowledge.call(
        admin, "POST", "/api/documents", data={"title": "Rabaty", "text": text}
    )
    assert page.status_code == 201, page.text
    extracted = await knowledge.extracted(admin, page.json()["id"])
    assert extracted["extraction"]["status"] == "done"

    answer = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "rabat"})

    [hit] = answer.json()["items"]
    shown = "".join(fragment["text"] for fragment in hit["snippet"])
    assert "rabat" in shown.lower()
    assert not {"#", "|", "**", "---"} & {
        piece for piece in ("#", "|", "**", "---") if piece in shown
    }


async def test_an_english_document_is_extracted_and_found_by_its_stems(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    text = (
        "The distributor agreement covers deliveries to our customers in Germany. "
        "Every delivery is invoiced within fourteen days of shipping."
    )
    document = await knowledge.upload(admin, "agreement.txt", text.encode())

    extracted = await knowledge.extracted(admin, document["id"])
    answer = await knowledge.call(
        admin, "GET", "/api/documents/search", params={"q": "invoices delivery"}
    )

    assert extracted["extraction"]["status"] == "done"
    assert [hit["id"] for hit in answer.json()["items"]] == [document["id"]]


async def test_a_text_its_index_refuses_is_retried_not_left_running(
    knowledge: Knowledge, hire: Hire, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*_: Any) -> None:
        raise ValueError("word is too long to be indexed")

    monkeypatch.setattr(extraction, "reindex_content", refused)
    admin = await hire("admin")
    document = await knowledge.upload(admin, "notatka.txt", b"Notatka ze spotkania.")

    async def told() -> dict[str, Any] | None:
        found = await knowledge.call(admin, "GET", f"/api/documents/{document['id']}")
        job = found.json()["extraction"]
        return job if job["error"] else None

    job = await eventually(told, timeout=10, interval=0.1)

    assert job["status"] == "pending"
    assert "word is too long" in job["error"]
