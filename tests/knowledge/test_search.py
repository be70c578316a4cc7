"""Polish full-text search: inflected forms and missing diacritics find each other, ranked,
filtered, a page at a time, with the matched words marked."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.knowledge.domain.text import window_snippet
from services.knowledge.usecases import extraction, search
from services.knowledge.usecases.search import prepare
from shared.bus import InProcessBus
from shared.testing.waiting import eventually
from tests.knowledge.conftest import Hire, Knowledge, add_group
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


async def _searched(knowledge: Knowledge, who: Any, **params: Any) -> list[dict[str, Any]]:
    """Every hit of a search, page by page (`limit` a page), checking each page's size."""
    hits: list[dict[str, Any]] = []
    cursor = None
    while True:
        asked = {**params, **({"cursor": cursor} if cursor else {})}
        answer = await knowledge.call(who, "GET", "/api/documents/search", params=asked)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= params.get("limit", 20)
        hits += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return hits


async def test_a_document_about_the_word_comes_first_then_the_newest_a_page_at_a_time(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    older = await knowledge.upload(admin, "a.txt", b"Podpisana umowa z klientem.")
    about = await knowledge.upload(admin, "b.txt", b"Warunki i terminy.", title="Umowa ramowa")
    newer = await knowledge.upload(admin, "c.txt", b"Aneks do umowy dostawy.")
    await knowledge.upload(admin, "d.txt", b"Cennik hurtowy.")
    # Twenty words more frequent than the one asked for: it is not among the text's commonest.
    common = " ".join(f"kod{n}" for n in range(20) for _ in range(3))
    newest = await knowledge.upload(admin, "e.txt", f"{common} umowa".encode())
    for document in (older, about, newer, newest):
        await knowledge.extracted(admin, document["id"])

    hits = await _searched(knowledge, admin, q="umowach", limit=1)

    assert [hit["id"] for hit in hits] == [about["id"], newer["id"], older["id"], newest["id"]]
    assert hits[0]["score"] > hits[1]["score"] == hits[2]["score"] > 0  # the title weighs most
    assert hits[3]["score"] == 0  # not about the word, only mentioning it: after those about it
    assert [hit["id"] for hit in await _searched(knowledge, admin, q="umowach")] == [
        hit["id"] for hit in hits
    ]
    assert marked(hits[0]["title"]) == ["Umowa"]


@pytest.mark.parametrize("typed", ["umowa", "a i w"])  # words, or only stopwords
async def test_a_cursor_not_from_the_search_is_refused_naming_it(
    knowledge: Knowledge, hire: Hire, typed: str
) -> None:
    admin = await hire("admin")

    answer = await knowledge.call(
        admin, "GET", "/api/documents/search", params={"q": typed, "cursor": "xyz"}
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_filters_narrow_the_hits_and_archived_documents_are_left_out(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin, owner = await hire("admin"), await hire("manager")
    folder = await knowledge.folder(admin, "Oferty", readers=["everyone"], editors=["everyone"])
    filed = await knowledge.upload(
        admin, "oferta.txt", "Oferta na dostawę.".encode(), folder_id=folder["id"], tags="pilne"
    )
    page = await knowledge.call(
        owner, "POST", "/api/documents", data={"title": "Dostawa", "text": "Dostawa w piątek."}
    )
    sheet = await knowledge.upload(admin, "dostawy.docx", docx("Plan dostaw na maj."))
    gone = await knowledge.upload(admin, "stara.txt", b"Stara dostawa.")
    for document in (filed, page.json(), sheet, gone):
        await knowledge.extracted(admin, document["id"])
    archived = await knowledge.call(admin, "DELETE", f"/api/documents/{gone['id']}")
    assert archived.status_code == 200, archived.text

    async def ids(**params: Any) -> set[str]:
        return {hit["id"] for hit in await _searched(knowledge, admin, q="dostawa", **params)}

    assert await ids() == {filed["id"], page.json()["id"], sheet["id"]}
    assert await ids(folder_id=folder["id"]) == {filed["id"]}
    assert await ids(tag="pilne") == {filed["id"]}
    assert await ids(type="page") == {page.json()["id"]}
    assert await ids(type="text_document") == {sheet["id"]}
    assert await ids(owner_id=owner.user_id) == {page.json()["id"]}
    assert await ids(updated_to="2000-01-01") == set()
    assert await ids(updated_from="2000-01-01", limit=2) == await ids()


async def test_a_snippet_is_cut_from_around_the_word_in_the_middle_of_a_long_text(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    filler = " ".join(["Spotkanie zespołu w sprawie planu sprzedaży."] * 300)
    text = f"{filler} Reklamację klienta rozpatrzono pozytywnie. {filler}"
    document = await knowledge.upload(admin, "raport.txt", text.encode())
    await knowledge.extracted(admin, document["id"])

    answer = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "reklamacja"})

    [hit] = answer.json()["items"]
    assert marked(hit["snippet"]) == ["Reklamację"]
    assert hit["snippet"][0]["text"] == "… " and hit["snippet"][-1]["text"] == " …"
    shown = "".join(fragment["text"] for fragment in hit["snippet"][1:-1])
    assert shown in text and len(shown) < 500


async def test_a_document_moved_out_of_a_readers_folder_is_no_longer_found_by_them(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north = await add_group(bus)
    admin, reader = await hire("admin"), await hire("manager", north)
    open_folder = await knowledge.folder(admin, "Wspólne", readers=[f"team:{north}"])
    closed = await knowledge.folder(admin, "Zarząd", readers=[])
    document = await knowledge.upload(
        admin, "cennik.txt", b"Cennik hurtowy.", folder_id=open_folder["id"]
    )
    await knowledge.extracted(admin, document["id"])
    before = await _searched(knowledge, reader, q="cennik")

    moved = await knowledge.call(
        admin, "PATCH", f"/api/documents/{document['id']}", json={"folder_id": closed["id"]}
    )
    after = await _searched(knowledge, reader, q="cennik")

    assert moved.status_code == 200, moved.text
    assert [hit["id"] for hit in before] == [document["id"]]
    assert after == []


async def test_a_document_indexed_before_texts_had_anchors_still_gets_its_snippet(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    document = await knowledge.upload(
        admin, "notatka.txt", "Notatka. Klient zgłosił reklamację dostawy.".encode()
    )
    await knowledge.extracted(admin, document["id"])
    async with knowledge.sessions() as session, session.begin():
        await session.execute(text("UPDATE document_search SET anchored = false"))
        await session.execute(text("DELETE FROM document_anchors"))

    answer = await knowledge.call(admin, "GET", "/api/documents/search", params={"q": "reklamacji"})

    [hit] = answer.json()["items"]
    assert marked(hit["snippet"]) == ["reklamację"]


def test_a_window_drops_the_words_its_edges_cut_and_shows_where_the_word_is_even_unmarked() -> None:
    pattern = prepare("umowa").pattern
    window = "wa podpisana. Umowa ramowa obowiązuje od maja, a aneks od czerw"

    marked_window = window_snippet(window, True, True, pattern, markdown=False)
    unmarked = window_snippet(window, True, False, prepare("cennik").pattern, markdown=False)

    shown = [text for text, _ in marked_window.parts]
    assert shown[0] == "… " and shown[-1] == " …"
    assert "wa" not in shown[1].split() and not shown[-2].endswith("czerw")
    assert marked([{"text": text, "match": match} for text, match in marked_window.parts]) == [
        "Umowa"
    ]
    assert unmarked.parts[0] == ("… ", False)
    assert unmarked.parts[1][0].startswith("podpisana.")


async def test_every_page_together_is_the_plain_computation_of_the_matches_in_order(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    filler = [f"kod{n}" for n in range(20)]
    for number in range(24):
        # Some about a delivery (the word is among their commonest), some only mentioning it.
        common = " ".join(filler * 3) if number % 3 else ""
        words = " ".join(["dostawa"] * (number % 4 + 1))
        document = await knowledge.upload(admin, f"d{number}.txt", f"{common} {words}.".encode())
        await knowledge.extracted(admin, document["id"])

    hits = await _searched(knowledge, admin, q="dostawy", limit=5)
    # Two words: the text's 16 commonest lexemes hold the delivery where it is written four
    # times, never the eighth code.
    both = await _searched(knowledge, admin, q="dostawy kod7", limit=3)

    expected = await _plainly_found(knowledge, "dostawy")
    assert [hit["id"] for hit in hits] == [row.id for row in expected]
    expected_both = await _plainly_found(knowledge, "dostawy kod7")
    assert [hit["id"] for hit in both] == [row.id for row in expected_both]
    assert len(both) == 16 and [hit["score"] for hit in both] == [r.rank for r in expected_both]
    assert both[0]["score"] > 0 and both[-1]["score"] == 0
    assert len(hits) == 24 and [hit["score"] for hit in hits] == [row.rank for row in expected]


async def _plainly_found(knowledge: Knowledge, typed: str) -> list[Any]:
    """The matches of a search in the order its pages show them, in plain SQL (the words as
    the search asks them): those about a word by rank, then the others, the newest first."""
    asked = prepare(typed).values
    async with knowledge.sessions() as session:
        rows = await session.execute(
            text(
                """SELECT s.document_id::text AS id,
                       CASE WHEN s.summary @@ a.q THEN ts_rank(s.summary, a.q)::float8
                           ELSE 0 END AS rank,
                       s.updated_at
                   FROM document_search s,
                       (SELECT CAST(:any AS tsquery)
                           || websearch_to_tsquery('english', :typed_any) AS q) AS a
                   WHERE s.search @@ (CAST(:query AS tsquery)
                       || plainto_tsquery('english', :typed))"""
            ),
            {name: asked[name] for name in ("any", "typed_any", "query", "typed")},
        )
    return sorted(rows, key=lambda r: (r.rank, r.updated_at, r.id), reverse=True)


@pytest.mark.parametrize("share", [1, 3])
async def test_the_newest_looked_for_first_among_the_latest_changes_are_the_newest_of_all(
    knowledge: Knowledge, hire: Hire, monkeypatch: pytest.MonkeyPatch, share: int
) -> None:
    # Changed hours to months apart, a third of them holding the word: the latest changes hold
    # enough matches for the first page's eight newest (share 3: the 25th latest change months
    # ago, the marks of months), or too few (share 1: three in the latest nine, days apart;
    # all the matches are read).
    monkeypatch.setattr(search, "RECENT_SHARE", share)
    admin = await hire("admin")
    common = " ".join(f"kod{n}" for n in range(20) for _ in range(3))  # the word is not
    for number in range(30):
        words = "dostawa" if number % 3 == 1 else "cennik"
        document = await knowledge.upload(admin, f"d{number}.txt", f"{common} {words}".encode())
        await knowledge.extracted(admin, document["id"])
    async with knowledge.sessions() as session, session.begin():
        await session.execute(
            text(
                """UPDATE document SET updated_at = now() - interval '5 hours' * n * n
                   FROM (SELECT id, row_number() OVER (ORDER BY created_at DESC) AS n FROM document) AS o
                   WHERE o.id = document.id"""
            )
        )
        recent = await session.scalar(
            text(
                """SELECT count(*) FROM document_search WHERE search @@ 'dostawa'
                   AND recency @@ recency_cover(
                       (SELECT updated_at FROM document ORDER BY updated_at DESC
                        OFFSET :recent LIMIT 1),
                       (SELECT max(updated_at) FROM document))"""
            ),
            {"recent": share * 2 * 4},  # the first page's newest part: twice a page and one
        )

    hits = await _searched(knowledge, admin, q="dostawy", limit=3)

    assert (recent >= 8) == (share == 3)  # the first look was enough, or was not
    assert [hit["id"] for hit in hits] == [
        row.id for row in await _plainly_found(knowledge, "dostawy")
    ]
    assert len(hits) == 10 and {hit["score"] for hit in hits} == {0}  # none about it


async def test_the_marks_of_a_stretch_of_time_hold_each_moment_in_it_and_none_long_before(
    knowledge: Knowledge,
) -> None:
    rng = random.Random(20261203)
    spans = [timedelta(minutes=50), timedelta(days=1), timedelta(days=30), timedelta(days=700)]
    spans.append(timedelta(days=4000))
    stretches: dict[str, list[datetime]] = {"since": [], "newest": [], "at": []}
    for _ in range(400):
        newest = datetime(2026, 12, 3, tzinfo=UTC) - timedelta(days=5000 * rng.random())
        since = newest - rng.choice(spans) * rng.random()
        inside = since + (newest - since) * rng.random()
        stretches["since"].append(since)
        stretches["newest"].append(newest)
        stretches["at"].append(rng.choice([since, newest, inside]))
    async with knowledge.sessions() as session:
        found = await session.execute(
            text(
                """SELECT since, newest, recency_marks(at) @@ cover AS inside,
                       recency_marks(before) @@ cover AS before
                   FROM (SELECT since, newest, at, recency_cover(since, newest) AS cover,
                           date_trunc(CASE
                               WHEN newest - since <= interval '24 hours' THEN 'hour'
                               WHEN newest - since <= interval '31 days' THEN 'day'
                               WHEN newest - since <= interval '730 days' THEN 'month'
                               ELSE 'year' END, since, 'UTC') - interval '1 second' AS before
                       FROM unnest(CAST(:since AS timestamptz[]),
                           CAST(:newest AS timestamptz[]), CAST(:at AS timestamptz[]))
                           AS s (since, newest, at)) AS c"""
            ),
            stretches,
        )
        answers = found.all()

    assert len(answers) == 400
    assert all(row.inside for row in answers)
    assert not any(row.before for row in answers)
