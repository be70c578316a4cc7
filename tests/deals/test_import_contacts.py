"""Imported contacts: linked to companies by NIP or name, found again by e-mail, never doubled."""

import httpx

from services.deals import import_cli
from tests.deals.conftest import NIP, count, finished, new_company, rejected_rows, sql, upload


async def test_a_contact_imported_again_by_e_mail_is_updated_and_not_doubled(
    deals: httpx.AsyncClient,
) -> None:
    kowalski = await new_company(deals, "Kowalski i Synowie", NIP)
    first = "name,email,phone,position\nJan Nowak,jan@nowak.pl,+48 600 000 001,\n"
    first += "Ewa Lis,ewa@lis.pl,,Prezes\n"
    again = "name,email,phone,company_name,position\n"
    again += f"Jan Nowak,JAN@Nowak.PL,+48 600 000 002,{'kowalski i synowie'},\n"  # new phone, firm
    again += "Ewa Lis,ewa@lis.pl,,,\n"  # nothing new: her position stays
    again += "Olga Kot,olga@kot.pl,,,\n"

    created = await finished(deals, await upload(deals, first, "contact"))
    updated = await finished(deals, await upload(deals, again, "contact"))

    assert (created["imported"], created["updated"], created["skipped"]) == (2, 0, 0)
    assert (updated["imported"], updated["updated"], updated["skipped"]) == (1, 1, 1)
    assert updated["processed"] == 3 and await count(deals, "contact") == 3
    assert import_cli.summary(updated) == "1 of 3 rows imported, 1 updated, 1 unchanged, 0 rejected"
    [jan] = await sql(
        deals, "SELECT phone, company_id::text, email FROM contact WHERE name = 'Jan Nowak'"
    )
    assert jan == ("+48 600 000 002", kowalski, "jan@nowak.pl")
    [(position,)] = await sql(deals, "SELECT position FROM contact WHERE name = 'Ewa Lis'")
    assert position == "Prezes"
    events = await sql(deals, "SELECT type, envelope->'data'->>'phone' FROM outbox ORDER BY id")
    assert events[-2:] == [("crm.contact.created.v1", None), ("crm.contact.updated.v1", jan[0])]


async def test_of_two_rows_with_one_e_mail_the_first_is_imported_the_second_refused(
    deals: httpx.AsyncClient,
) -> None:
    file = "name,email\nJan Nowak,jan@nowak.pl\nJan N.,Jan@Nowak.pl\nBez maila,\nBez maila,\n"

    job = await finished(deals, await upload(deals, file, "contact"))

    assert (job["imported"], job["rejected"]) == (3, 1)  # no e-mail: nothing to match by
    [refused] = await rejected_rows(deals, job["id"])
    assert (refused["row"], refused["error"]) == (
        "3",
        "email: another row of this file has this e-mail",
    )


async def test_an_e_mail_two_contacts_on_file_share_is_refused_as_ambiguous(
    deals: httpx.AsyncClient,
) -> None:
    for name in ("Jan", "Janek"):
        answer = await deals.post("/api/contacts", json={"name": name, "email": "jan@nowak.pl"})
        assert answer.status_code == 201, answer.text

    job = await finished(deals, await upload(deals, "name,email\nJan,jan@nowak.pl\n", "contact"))

    [refused] = await rejected_rows(deals, job["id"])
    assert refused["error"] == "email: more than one contact has this e-mail"
