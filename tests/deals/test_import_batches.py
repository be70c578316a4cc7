"""Imports go in batches: each all or nothing in the database, by the API's own checks and writes."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from services.deals.usecases import deal_writes, imports
from shared.auth import Identity
from shared.outbox import add_events
from tests.deals.conftest import (
    NIP,
    NORTH,
    OTHER_NIP,
    SOUTH,
    count,
    finished,
    headers,
    new_company,
    pipeline,
    rejected_rows,
    sql,
    stage,
    upload,
)

Hire = Callable[[str, Any], Awaitable[Identity]]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "BATCH_ROWS", 3)


def deal_file(*rows: str, header: str = "title,company_tax_id,amount,stage") -> str:
    return "\n".join([header, *rows]) + "\n"


async def tally_and_sums(client: httpx.AsyncClient) -> tuple[list[Any], list[Any]]:
    """The running totals, and the same sums computed from the deals."""
    kept = await sql(
        client,
        "SELECT stage_id, owner_id, currency, count, amount FROM deal_tally"
        " WHERE count <> 0 ORDER BY 1, 2, 3",
    )
    summed = await sql(
        client,
        "SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount, 0)) FROM deal"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    return kept, summed


async def test_a_refused_row_leaves_the_other_rows_of_its_batch_imported(
    deals: httpx.AsyncClient, small_batches: None
) -> None:
    await new_company(deals, "Kowalski", NIP)
    file = deal_file(
        *(f"Umowa {n},{NIP},{n}00,Qualification" for n in range(1, 3)),
        f"Zła kwota,{NIP},-1,Qualification",  # the third row of the first batch
        *(f"Umowa {n},{NIP},{n}00,Qualification" for n in range(3, 5)),
        f"Zły etap,{NIP},100,Nowhere",  # the third row of the second batch
    )

    job = await finished(deals, await upload(deals, file))

    assert (job["imported"], job["rejected"], job["processed"]) == (4, 2, 6)
    titles = [title for (title,) in await sql(deals, "SELECT title FROM deal ORDER BY title")]
    assert titles == ["Umowa 1", "Umowa 2", "Umowa 3", "Umowa 4"]
    assert [row["row"] for row in await rejected_rows(deals, job["id"])] == ["4", "7"]


async def test_a_batch_that_fails_to_write_leaves_nothing_of_itself_and_keeps_the_ones_before(
    deals: httpx.AsyncClient, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_company(deals, "Kowalski", NIP)
    writes = 0

    async def fails_the_second_time(session: Any, events: Any) -> None:
        nonlocal writes
        writes += 1
        if writes == 2:  # after the batch's deals, timeline and tallies were written
            raise RuntimeError("the disk is full")
        await add_events(session, events)

    monkeypatch.setattr(deal_writes, "add_events", fails_the_second_time)
    file = deal_file(*(f"Umowa {n},{NIP},{n}00,Qualification" for n in range(9)))

    job = (await upload(deals, file)).json()

    assert (job["status"], job["error"]) == ("failed", "RuntimeError: the disk is full")
    assert (job["processed"], job["imported"]) == (3, 3)
    deal_entries = await sql(deals, "SELECT count(*) FROM timeline_entry WHERE deal_id IS NOT NULL")
    assert await count(deals, "deal") == deal_entries[0][0] == 3
    kept, summed = await tally_and_sums(deals)
    assert kept == summed


async def test_every_imported_record_has_its_own_created_event_in_the_outbox_once(
    deals: httpx.AsyncClient, small_batches: None
) -> None:
    companies = f"name,tax_id,city\nKowalski,{NIP},Łódź\nNowak,{OTHER_NIP},\nBez NIP,,Gdańsk\n"
    companies += "Zły NIP,1234567890,\nNowak bis,774-000-14-54,\n"  # refused: bad, taken
    contacts = f"name,company_tax_id,email\nJan,{NIP},jan@kowalski.pl\nEwa,,\nOla,{NIP},zły\n"
    deals_file = deal_file(*(f"Umowa {n},{NIP},{n}00,Qualification" for n in range(7)))

    jobs = [
        await finished(deals, await upload(deals, body, kind))
        for kind, body in (("company", companies), ("contact", contacts), ("deal", deals_file))
    ]

    assert [(job["imported"], job["rejected"]) for job in jobs] == [(3, 2), (2, 1), (7, 0)]
    events = await sql(
        deals,
        "SELECT type, key, envelope->>'id', envelope->'data' FROM outbox ORDER BY id",
    )
    assert len({event_id for _, _, event_id, _ in events}) == len(events)  # each its own id
    for table, type_ in [
        ("company", "crm.company.created.v1"),
        ("contact", "crm.contact.created.v1"),
        ("deal", "crm.deal.created.v1"),
    ]:
        ids = sorted(str(id_) for (id_,) in await sql(deals, f"SELECT id FROM {table}"))
        assert sorted(key for t, key, _, _ in events if t == type_) == ids, type_
    [kowalski] = [data for t, _, _, data in events if data.get("name") == "Kowalski"]
    assert kowalski["tax_id"] == NIP and kowalski["address"]["city"] == "Łódź"
    [(deal_id, amount, stage_id)] = await sql(
        deals, "SELECT id, amount, stage_id FROM deal WHERE title = 'Umowa 3'"
    )
    [umowa] = [data for t, key, _, data in events if key == str(deal_id)]
    assert (umowa["amount"], umowa["stage_id"], umowa["stage_kind"]) == (
        str(amount),
        str(stage_id),
        "open",
    )


async def test_the_board_tallies_match_the_sums_of_the_deals_after_imports(
    deals: httpx.AsyncClient, small_batches: None, hire: Hire
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    place = await new_company(deals, "Kowalski", NIP)
    await deals.post("/api/deals", json={"title": "Z API", "company_id": place, "amount": "5"})
    header = "title,company_tax_id,amount,currency,stage,owner_id,expected_close_date"
    rows = [
        f"Umowa {n},{NIP},{'' if n % 4 == 0 else f'{n}.5'},{'EUR' if n % 3 == 0 else 'PLN'},"
        f"{['Qualification', 'Needs analysis', 'Negotiation', 'Won'][n % 4]},"
        f"{[anna, piotr][n % 2].user_id},2099-12-31"
        for n in range(1, 20)
    ]

    first = await finished(deals, await upload(deals, deal_file(*rows, header=header)))
    again = await finished(deals, await upload(deals, deal_file(*rows[:7], header=header)))

    assert (first["imported"], again["imported"]) == (19, 7)
    kept, summed = await tally_and_sums(deals)
    assert kept == summed and len(kept) > 6


async def test_rows_at_a_gated_stage_are_refused_by_its_requirements_and_the_rest_go_in(
    deals: httpx.AsyncClient,
) -> None:
    await new_company(deals, "Kowalski", NIP)
    await deals.post(
        "/api/fields",
        json={"record_type": "deal", "key": "decision_maker", "label": "Who", "type": "text"},
    )
    default = await pipeline(deals)
    negotiation = stage(default, "Negotiation")
    requirements = {"fields": ["amount", "decision_maker"], "close_date_not_past": True}
    await deals.put(
        f"/api/pipelines/{default['id']}/stages/{negotiation['id']}/requirements",
        json=requirements,
    )
    header = (
        "title,company_tax_id,amount,expected_close_date,stage,custom.decision_maker,lost_reason"
    )
    file = deal_file(
        f"Gotowa,{NIP},100,2099-01-01,Negotiation,Jan,",
        f"Bez kwoty,{NIP},,2099-01-01,Negotiation,Jan,",
        f"Bez decydenta,{NIP},100,2099-01-01,Negotiation,,",
        f"Przeszła data,{NIP},100,2001-01-01,Negotiation,Jan,",
        f"Oferta,{NIP},100,2099-01-01,Commercial offer sent,,",
        f"Przegrana,{NIP},,,Lost,,Price",
        f"Przegrana bez powodu,{NIP},,,Lost,,",
        f"Przegrana z innego powodu,{NIP},,,Lost,,Pogoda",
        header=header,
    )

    job = await finished(deals, await upload(deals, file))

    assert (job["imported"], job["rejected"]) == (2, 6)
    errors = {row["title"]: row["error"] for row in await rejected_rows(deals, job["id"])}
    assert errors == {
        "Bez kwoty": "amount: fill in this field before entering the stage",
        "Bez decydenta": "custom.decision_maker: fill in this field before entering the stage",
        "Przeszła data": "expected_close_date: the expected close date is in the past",
        "Oferta": "documents: link a document to this deal (e.g. the offer)",
        "Przegrana bez powodu": "lost_reason: say why the deal was lost",
        "Przegrana z innego powodu": "lost_reason: choose a reason from the list",
    }
    [(lost,)] = await sql(deals, "SELECT lost_reason FROM deal WHERE title = 'Przegrana'")
    assert lost == "Price"


async def test_the_jobs_progress_is_written_with_each_batch_it_counts(
    deals: httpx.AsyncClient, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_company(deals, "Kowalski", NIP)
    seen: list[tuple[int, int, int, int]] = []
    write = imports._write

    async def noted(sessions: Any, job_id: Any, *args: Any) -> None:
        await write(sessions, job_id, *args)
        [(processed, imported, rejected)] = await sql(
            deals,
            "SELECT processed, imported, rejected FROM import_job WHERE id = :id",
            id=job_id,
        )
        seen.append((processed, imported, rejected, await count(deals, "deal")))

    monkeypatch.setattr(imports, "_write", noted)
    file = deal_file(*(f"Umowa {n},{NIP},{n},Qualification" for n in range(7)), f"Zła,{NIP},-1,")

    job = await finished(deals, await upload(deals, file))

    assert seen == [(3, 3, 0, 3), (6, 6, 0, 6), (8, 7, 1, 7)]  # each with its deals written
    assert (job["processed"], job["imported"], job["rejected"]) == (8, 7, 1)


async def test_an_imported_deal_is_written_as_the_api_writes_one(
    deals: httpx.AsyncClient,
) -> None:
    place = await new_company(deals, "Kowalski", NIP)
    needs = stage(await pipeline(deals), "Needs analysis")
    body = {"title": "Linia", "company_id": place, "amount": "1250.50", "stage_id": needs["id"]}
    body |= {"expected_close_date": "2099-03-31", "source": "targi", "currency": "EUR"}
    made = await deals.post("/api/deals", json=body)
    assert made.status_code == 201, made.text

    await finished(deals, await upload(deals, ",".join(body) + "\n" + ",".join(body.values())))

    columns = "title, company_id, owner_id, amount, currency, expected_close_date, pipeline_id,"
    columns += " stage_id, probability, source, custom, lost_reason"
    api, imported = await sql(deals, f"SELECT {columns} FROM deal ORDER BY created_at")
    assert api == imported
    entries = await sql(
        deals,
        "SELECT kind, actor_id, data FROM timeline_entry WHERE deal_id IS NOT NULL ORDER BY at",
    )
    assert entries[0] == entries[1]
    events = await sql(
        deals, "SELECT type, envelope->'data' FROM outbox WHERE type LIKE 'crm.deal%'"
    )
    (api_type, api_data), (import_type, import_data) = events
    assert api_type == import_type == "crm.deal.created.v1"
    assert {**api_data, "deal_id": None} == {**import_data, "deal_id": None}
    [(tally,)] = await sql(deals, "SELECT count FROM deal_tally WHERE stage_id = :s", s=needs["id"])
    assert tally == 2


async def test_owners_are_given_by_the_apis_rules_by_id_or_by_name(
    deals: httpx.AsyncClient, hire: Hire
) -> None:
    await new_company(deals, "Kowalski", NIP)
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    head = (await hire("head", NORTH)).model_copy(update={"team_ids": [str(NORTH)]})
    [(annas_name,)] = await sql(deals, "SELECT name FROM member WHERE id = :id", id=anna.user_id)
    header = "title,company_tax_id,Opiekun"
    by_anna = deal_file(
        f"Swoja,{NIP},{anna.user_id}", f"Piotra,{NIP},{piotr.user_id}", header=header
    )
    by_head = deal_file(f"Anny,{NIP},{annas_name}", f"Piotra,{NIP},{piotr.user_id}", header=header)
    by_admin = deal_file(f"Piotra,{NIP},{piotr.user_id}", f"Nikogo,{NIP},Jan Nikt", header=header)

    anna_job = await finished(deals, await upload(deals, by_anna, who=headers(anna)))
    head_job = await finished(deals, await upload(deals, by_head, who=headers(head)))
    admin_job = await finished(deals, await upload(deals, by_admin))

    owners = await sql(deals, "SELECT title, owner_id::text FROM deal ORDER BY created_at")
    assert owners == [("Swoja", anna.user_id), ("Anny", anna.user_id), ("Piotra", piotr.user_id)]
    refused = [
        (row["title"], row["error"])
        for job, who in ((anna_job, anna), (head_job, head), (admin_job, None))
        for row in await rejected_rows(deals, job["id"], headers(who) if who else None)
    ]
    assert refused == [
        ("Piotra", "Opiekun: only a head or an administrator may give a deal to someone else"),
        ("Piotra", "Opiekun: a head may give deals only to people of the group"),
        ("Nikogo", "Opiekun: no active user has this name"),
    ]
