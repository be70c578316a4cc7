"""CSV import and export of the deals service, over HTTP, on a real PostgreSQL."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.deals import import_cli
from services.deals.api import imports
from services.deals.app import create_app
from services.deals.settings import DealsSettings
from services.deals.usecases import import_records
from shared.bus import InProcessBus
from shared.testing.apps import ADMIN, identity_headers, running
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

DealsFactory = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def deals_service(new_database: Any, settings_for: Any) -> DealsFactory:
    """Start a deals service on a fresh database (an administrator's identity by default)."""

    @asynccontextmanager
    async def start() -> AsyncIterator[httpx.AsyncClient]:
        settings = DealsSettings(**settings_for(await new_database("deals")))
        bus = InProcessBus()
        await bus.start()
        try:
            async with running(create_app(settings, bus)) as client:
                client.headers.update(identity_headers())
                yield client
        finally:
            await bus.stop()

    return start


def exported(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


# --- The acceptance test --------------------------------------------------------------------


async def test_a_thousand_deals_import_but_for_three_bad_rows_each_named_with_its_line(
    deals: httpx.AsyncClient,
) -> None:
    await new_company(deals, "Kowalski i Synowie sp. z o.o.", NIP)
    await new_company(deals, "Zakład Mięsny „Łoś”", OTHER_NIP)
    lines = ["title,company_tax_id,company_name,amount,expected_close_date,stage"]
    for n in range(2, 1_002):  # line numbers: the header is line 1
        close = "2099-03-31" if n % 2 else "31.03.2099"
        company = f"{NIP}," if n % 3 else ",zakład mięsny „łoś”"
        lines.append(f"Linia {n},{company},{n}.50,{close},Needs analysis")
    bad = {
        101: f"Zły kwota,{NIP},,-5,2099-03-31,Needs analysis",
        502: "Nieznana firma,,Nieznana sp. z o.o.,100,2099-03-31,Qualification",
        999: f"Wygrana bez daty,{NIP},,1000,,Won",
    }
    for line, row in bad.items():
        lines[line - 1] = row

    accepted = await upload(deals, "\n".join(lines), wait=False)
    assert accepted.status_code == 202, accepted.text
    job, seen = accepted.json(), []
    while job["status"] == "running":
        await asyncio.sleep(0.05)
        polled = await deals.get(f"/api/imports/{job['id']}")
        assert polled.status_code == 200, polled.text
        job = polled.json()
        seen.append(job["processed"])

    assert (job["status"], job["total"], job["imported"], job["rejected"]) == (
        "done",
        1_000,
        997,
        3,
    )
    assert seen == sorted(seen)
    assert await count(deals, "deal") == 997
    rejected = await rejected_rows(deals, job["id"])
    assert [(row["row"], row["title"]) for row in rejected] == [
        ("101", "Zły kwota"),
        ("502", "Nieznana firma"),
        ("999", "Wygrana bez daty"),
    ]
    assert [row["error"] for row in rejected] == [
        "amount: must be at least 0",
        "company_name: no company with this name",
        "expected_close_date: fill in this field before entering the stage",
    ]


# --- Companies, contacts, deals the way Polish Excel writes them ------------------------------


async def test_a_semicolon_file_with_polish_letters_decimal_commas_and_dotted_dates(
    deals: httpx.AsyncClient,
) -> None:
    await deals.post(
        "/api/fields",
        json={"record_type": "deal", "key": "signed", "label": "Signed", "type": "boolean"},
    )
    companies = "\ufeffname;tax_id;street;postal_code;city\r\n"
    companies += "Zakład Usług Różnych „Żuraw”;526-025-02-74;ul. Źródlana 5;90-001;Łódź\r\n"
    companies += "Przedsiębiorstwo Ślęża;;;;Wrocław\r\n"
    contacts = (
        f"name;company_tax_id;company_name;email\nGrzegorz Brzęczyszczykiewicz;{NIP};;g@b.pl\n"
    )
    contacts += "Łucja Żółć;;przedsiębiorstwo ślęża;\n"
    deals_file = "title;company_tax_id;amount;expected_close_date;custom.signed\n"
    deals_file += f"Dostawa łożysk;{NIP};12 500,50;05.01.2099;tak\n"

    made = [
        await finished(deals, await upload(deals, body, kind))
        for kind, body in (("company", companies), ("contact", contacts), ("deal", deals_file))
    ]

    assert [job["imported"] for job in made] == [2, 2, 1]
    listed = {c["name"]: c for c in (await deals.get("/api/companies")).json()["items"]}
    zuraw, sleza = listed["Zakład Usług Różnych „Żuraw”"], listed["Przedsiębiorstwo Ślęża"]
    assert zuraw["tax_id"] == NIP
    assert zuraw["address"]["city"] == "Łódź" and zuraw["address"]["street"] == "ul. Źródlana 5"
    people = {c["name"]: c for c in (await deals.get("/api/contacts")).json()["items"]}
    assert people["Grzegorz Brzęczyszczykiewicz"]["company_id"] == zuraw["id"]
    assert people["Łucja Żółć"]["company_id"] == sleza["id"]  # by name, any case
    [deal] = (await deals.get("/api/deals")).json()["items"]
    assert (deal["title"], deal["amount"], deal["expected_close_date"]) == (
        "Dostawa łożysk",
        "12500.50",
        "2099-01-05",
    )
    assert deal["custom"] == {"signed": True}


async def test_a_column_mapping_names_which_column_is_which_field(
    deals: httpx.AsyncClient,
) -> None:
    file = "Nazwa firmy,NIP,Miasto,Uwagi\nHurtownia Kraków,526-025-02-74,Kraków,stały klient\n"
    mapping = {"Nazwa firmy": "name", "NIP": "tax_id", "Miasto": "city"}

    job = await finished(deals, await upload(deals, file, "company", mapping=mapping))

    assert job["imported"] == 1
    [company] = (await deals.get("/api/companies")).json()["items"]
    assert (company["name"], company["tax_id"], company["address"]["city"]) == (
        "Hurtownia Kraków",
        NIP,
        "Kraków",
    )


async def test_an_invalid_nip_rejects_its_row_naming_tax_id_and_the_rest_import(
    deals: httpx.AsyncClient,
) -> None:
    file = f"name,tax_id\nDobra,{NIP}\nZła,1234567890\nPowtórka,{NIP}\n"

    job = await finished(deals, await upload(deals, file, "company"))

    assert (job["imported"], job["rejected"]) == (1, 2)
    rejected = await rejected_rows(deals, job["id"])
    assert [row["row"] for row in rejected] == ["3", "4"]
    assert all(row["error"].startswith("tax_id: ") for row in rejected), rejected
    assert "checksum" in rejected[0]["error"] and "exists" in rejected[1]["error"]


async def test_reasons_come_in_the_callers_language(deals: httpx.AsyncClient) -> None:
    await new_company(deals, "Kowalski", NIP)
    polish = identity_headers(ADMIN.model_copy(update={"locale": "pl"}))
    file = f"title,company_tax_id,amount,stage\nWygrana,{NIP},100,Won\n"

    job = await finished(deals, await upload(deals, file, who=polish))

    [row] = await rejected_rows(deals, job["id"])
    assert row["błąd"] == "expected_close_date: uzupełnij to pole przed przejściem do tego etapu"
    assert row["wiersz"] == "2"  # the columns the file did not have are named in Polish too


async def test_a_stage_with_unmet_requirements_is_refused_as_the_api_refuses_it(
    deals: httpx.AsyncClient,
) -> None:
    await new_company(deals, "Kowalski", NIP)
    default = await pipeline(deals)
    offer = stage(default, "Commercial offer sent")
    file = f"title,company_tax_id,stage_id,amount\nOferta,{NIP},{offer['id']},1000\n"

    job = await finished(deals, await upload(deals, file))

    [row] = await rejected_rows(deals, job["id"])
    assert row["error"] == "documents: link a document to this deal (e.g. the offer)"
    assert await count(deals, "deal") == 0


# --- Files that cannot be imported at all -----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "record_type", "where", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "company", ["body", "file"], "not a CSV file"),
        ("name;tax_id\nŁoś;\n".encode("cp1250"), "company", ["body", "file"], "not UTF-8"),
        (b"", "company", ["body", "file"], "empty"),
        (
            b"title,amount\nLinia,100\n",
            "deal",
            ["body", "file", "company_id | company_tax_id | company_name"],
            "a required column is missing",
        ),
        (b"Dear customer,\nthank you\n", "contact", ["body", "file", "name"], "missing"),
        (b"title,company_id,custom.nope\nX,Y,Z\n", "deal", ["body", "file", "custom.nope"], ""),
    ],
)
async def test_a_file_that_cannot_be_imported_is_refused_whole_naming_the_problem(
    deals: httpx.AsyncClient, content: bytes, record_type: str, where: list[str], message: str
) -> None:
    answer = await upload(deals, content, record_type)

    assert answer.status_code == 422, answer.text
    assert [where, True] in [[e["loc"], message in e["msg"]] for e in answer.json()["detail"]]
    assert await count(deals, "import_job") == 0
    assert await count(deals, "company") == await count(deals, "contact") == 0


async def test_a_bad_mapping_is_refused_naming_the_column_or_field(
    deals: httpx.AsyncClient,
) -> None:
    file = "Nazwa,NIP\nHurtownia,\n"

    no_column = await upload(deals, file, "company", mapping={"Firma": "name"})
    no_field = await upload(deals, file, "company", mapping={"Nazwa": "name", "NIP": "nip"})
    garbage = await deals.post(
        "/api/imports",
        data={"record_type": "company", "mapping": "Nazwa=name"},
        files={"file": ("a.csv", file.encode(), "text/csv")},
    )

    assert no_column.status_code == no_field.status_code == garbage.status_code == 422
    assert ["body", "mapping", "Firma"] in [e["loc"] for e in no_column.json()["detail"]]
    assert ["body", "mapping", "nip"] in [e["loc"] for e in no_field.json()["detail"]]
    assert garbage.json()["detail"][0]["loc"] == ["body", "mapping"]
    assert await count(deals, "company") == 0


async def test_files_over_the_limits_are_refused_as_too_large(deals: httpx.AsyncClient) -> None:
    big = b"name\n" + b"x" * (10 * 1024 * 1024)
    many = "name\n" + "Firma\n" * 50_001

    answers = [await upload(deals, big, "company"), await upload(deals, many, "company")]

    assert [answer.status_code for answer in answers] == [413, 413]
    assert "10 MB" in answers[0].json()["detail"][0]["msg"]
    assert "50000" in answers[1].json()["detail"][0]["msg"]
    assert await count(deals, "company") == 0


async def test_an_import_that_breaks_fails_its_job_with_the_reason(
    deals: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_company(deals, "Kowalski", NIP)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(import_records, "write_deals", broken)
    answer = await upload(deals, f"title,company_tax_id\nUmowa,{NIP}\n")

    job = answer.json()
    assert (job["status"], job["error"]) == ("failed", "RuntimeError: the disk is full")
    assert job["finished_at"] is not None and job["imported"] == 0


async def test_only_the_one_who_started_an_import_or_an_admin_sees_it(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    answer = await upload(deals, "name\nFirma\n", "company", who=headers(anna))
    job_id = answer.json()["id"]

    own = await deals.get(f"/api/imports/{job_id}", headers=headers(anna))
    other = await deals.get(f"/api/imports/{job_id}", headers=headers(piotr))
    other_rows = await deals.get(f"/api/imports/{job_id}/rejected.csv", headers=headers(piotr))
    admin = await deals.get(f"/api/imports/{job_id}")

    assert (own.status_code, other.status_code, other_rows.status_code) == (200, 404, 404)
    assert admin.status_code == 200 and admin.json()["imported"] == 1


# --- Export -----------------------------------------------------------------------------------


async def test_exported_deals_of_a_stage_import_into_a_fresh_database_one_for_one(
    deals_service: DealsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", 2)  # several keyset batches from a few rows
    async with deals_service() as source:
        await new_company(source, "Kowalski i Synowie", NIP)
        await new_company(source, "Zakład „Łoś”", OTHER_NIP)
        needs = stage(await pipeline(source), "Needs analysis")["id"]
        file = "title,company_tax_id,amount,expected_close_date,stage,source\n"
        for n in range(7):
            place, where = (NIP, "Needs analysis") if n % 2 else (OTHER_NIP, "Qualification")
            file += f'Umowa {n},{place},{n}000.10,0{n + 1}.02.2099,{where},=HYPERLINK("x")\n'
        await finished(source, await upload(source, file))
        companies = await source.get("/api/export/company.csv")
        filtered = await source.get("/api/export/deal.csv", params={"stage_id": needs})
    rows = exported(filtered)
    assert len(rows) == 3 and {row["stage"] for row in rows} == {"Needs analysis"}
    assert rows[0]["expected_close_date"] == "2099-02-02" and rows[0]["amount"] == "1000.10"
    assert rows[0]["source"] == '\'=HYPERLINK("x")'  # not a formula in a spreadsheet

    async with deals_service() as fresh:
        await finished(fresh, await upload(fresh, companies.content, "company"))
        portable = ["title", "company_tax_id", "amount", "expected_close_date", "stage", "source"]
        job = await finished(
            fresh,
            await upload(fresh, filtered.content, mapping={name: name for name in portable}),
        )
        again = exported(await fresh.get("/api/export/deal.csv"))
        stored = (await fresh.get("/api/deals")).json()["items"]

    assert (job["imported"], job["rejected"]) == (3, 0)
    assert {deal["source"] for deal in stored} == {'=HYPERLINK("x")'}  # as typed, not defused
    fields = ["title", "company_tax_id", "amount", "expected_close_date", "stage", "source"]
    assert sorted([r[f] for f in fields] for r in again) == sorted(
        [r[f] for f in fields] for r in rows
    )


async def test_a_manager_exports_only_own_deals(deals: httpx.AsyncClient, hire: Any) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    place = await new_company(deals, "Kowalski")
    for who, title in ((anna, "Anny"), (piotr, "Piotra")):
        answer = await deals.post(
            "/api/deals", json={"title": title, "company_id": place}, headers=headers(who)
        )
        assert answer.status_code == 201, answer.text

    annas = exported(await deals.get("/api/export/deal.csv", headers=headers(anna)))
    everyone = exported(await deals.get("/api/export/deal.csv"))

    assert [row["title"] for row in annas] == ["Anny"]
    assert sorted(row["title"] for row in everyone) == ["Anny", "Piotra"]


async def test_an_export_has_one_header_row_and_is_comma_separated(
    deals: httpx.AsyncClient,
) -> None:
    place = await new_company(deals, "Kowalski, Nowak i Wspólnicy", NIP)
    await deals.post("/api/contacts", json={"name": "Jan", "company_id": place, "phone": "+48 600"})

    answer = await deals.get("/api/export/contact.csv")

    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,name,company_id,company_tax_id,company_name,position,phone")
    [row] = exported(answer)
    assert (row["company_name"], row["company_tax_id"], row["phone"]) == (
        "Kowalski, Nowak i Wspólnicy",
        NIP,
        "+48 600",  # a phone number is not defused as a formula
    )


# --- The CLI ----------------------------------------------------------------------------------


async def test_the_cli_uploads_follows_the_progress_and_saves_the_rejected_rows(
    deals: httpx.AsyncClient, tmp_path: Path
) -> None:
    await new_company(deals, "Kowalski", NIP)
    file = tmp_path / "deals.csv"
    rows = [f"Umowa {n};{NIP};{n}" for n in range(300)] + [f"Zła;{NIP};-1"]
    file.write_text("Tytuł;NIP;Kwota\n" + "\n".join(rows) + "\n", encoding="utf-8")
    mapping = import_cli.parse_mapping(["Tytuł=title", "NIP=company_tax_id", "Kwota=amount"])
    states: list[dict[str, Any]] = []

    job, saved = await import_cli.import_csv(
        deals, file, "deal", mapping, on_progress=states.append, interval=0.05
    )

    assert (job["status"], job["imported"], job["rejected"]) == ("done", 300, 1)
    assert import_cli.summary(job) == "300 of 301 rows imported, 1 rejected"
    assert states[0]["status"] == "running" and states[-1]["status"] == "done"
    assert saved == tmp_path / "deals.rejected.csv"
    [rejected] = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
    assert (rejected["row"], rejected["Tytuł"]) == ("302", "Zła")


async def test_the_cli_reports_a_refused_file_and_a_bad_mapping(
    deals: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = tmp_path / "deals.csv"
    file.write_text("Tytuł\nUmowa\n", encoding="utf-8")

    with pytest.raises(import_cli.ImportFailed, match="a required column is missing"):
        await import_cli.import_csv(deals, file, "deal", None)
    result = CliRunner().invoke(
        import_cli.app, [str(file), "--token", "t", "--mapping", "Tytuł"], catch_exceptions=False
    )

    assert result.exit_code == 2
    assert "COLUMN=FIELD expected" in result.output


async def test_companies_import_with_their_account_manager_whom_the_importer_may_give_them_to(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    boss, anna, ola = (
        await hire("head", NORTH),
        await hire("manager", NORTH),
        await hire("manager", SOUTH),
    )
    anna_name, ola_name = f"manager {anna.user_id[:4]}", f"manager {ola.user_id[:4]}"
    anna_email = f"{anna.user_id[:8]}@contentum.pl".upper()  # as the gateway announced it
    file = (
        f"Name,Account manager\nAnny,{anna_name}\nOli,{ola_name}\nNikogo,Jan Nieznany\nSzefa,\n"
        f"Anny przez e-mail,{anna_email}\nNikogo przez e-mail,nikt@contentum.pl\n"
    )

    job = await finished(deals, await upload(deals, file, "company", who=headers(boss)))
    by_manager = await finished(
        deals, await upload(deals, f"Name,Owner\nPiotra,{ola_name}\n", "company", who=headers(anna))
    )

    owners = dict(await sql(deals, "SELECT name, owner_id::text FROM company"))
    assert owners == {
        "Anny": anna.user_id,
        "Anny przez e-mail": anna.user_id,
        "Szefa": boss.user_id,
    }
    rejected = {row["Name"]: row for row in await rejected_rows(deals, job["id"], headers(boss))}
    assert set(rejected) == {"Oli", "Nikogo", "Nikogo przez e-mail"}
    assert rejected["Nikogo przez e-mail"]["error"] == (
        "Account manager: no active user has this e-mail address"
    )
    assert rejected["Oli"]["error"] == (
        "Account manager: a head may give customers only to people of the group"
    )
    assert rejected["Nikogo"]["error"] == "Account manager: no active user has this name"
    assert by_manager["imported"] == 0 and by_manager["rejected"] == 1


async def test_imported_companies_and_contacts_begin_their_companys_history(
    deals: httpx.AsyncClient,
) -> None:
    companies = "name;city\r\nKronika Importu;Gniezno\r\n"
    contacts = "name;company_name;email\r\nJan Zaimportowany;kronika importu;jan@kronika.pl\r\n"
    for kind, body in (("company", companies), ("contact", contacts)):
        assert (await finished(deals, await upload(deals, body, kind)))["imported"] == 1
    listed = (await deals.get("/api/companies", params={"q": "Kronika Importu"})).json()["items"]
    [company] = [c for c in listed if c["name"] == "Kronika Importu"]

    entries = (await deals.get(f"/api/companies/{company['id']}/timeline")).json()

    said = {
        (entry["kind"], entry["data"].get("source"), entry["data"].get("contact"))
        for entry in entries
    }
    assert said == {("created", "import", None), ("contact_added", "import", "Jan Zaimportowany")}
