"""The plan pages over HTTP, with the whole CRM in process: the grid edited cell by cell, copying
and submitting a period, the head's review (one line or many), the group tree with its charts."""

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openpyxl
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer
from shared.testing.waiting import eventually
from tests.gateway.test_web import browser_sign_in

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
async def org(crm: httpx.AsyncClient) -> dict[str, Any]:
    """Two groups under the company, a head and a manager in the north, a manager in the south,
    and three clients, once planning has learnt them all."""
    api = await bearer(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    ids: dict[str, Any] = {"api": api}
    for team in ("North", "South"):
        ids[team] = (await crm.post("/api/teams", json={"name": team}, headers=api)).json()["id"]
    for name, role, team in (
        ("beata", "head", "North"),
        ("marek", "manager", "North"),
        ("piotr", "manager", "South"),
    ):
        body = {
            "email": f"{name}@contentum.pl",
            "name": name.title(),
            "password": PASSWORD,
            "role": role,
            "team_id": ids[team],
            "locale": "en",
        }
        ids[name] = (await crm.post("/api/users", json=body, headers=api)).json()["id"]
    await crm.patch(f"/api/teams/{ids['North']}", json={"head_id": ids["beata"]}, headers=api)
    for name in ("Alfa", "Beta", "Gamma"):
        company = {"name": f"{name} sp. z o.o."}
        ids[name] = (await crm.post("/api/companies", json=company, headers=api)).json()["id"]

    async def learnt() -> bool:
        page = await crm.get("/api/plans/clients", params={"limit": 200}, headers=api)
        people = await crm.get("/api/plans/teams", headers=api)
        return len(page.json()["items"]) == 3 and "Piotr" in people.text

    await eventually(learnt, timeout=10)
    return ids


@asynccontextmanager
async def signed_in(crm: httpx.AsyncClient, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (cookies) for `name`, sending the CSRF token with every request."""
    transport = httpx.ASGITransport(app=crm._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
        email, password = (
            (ADMIN_EMAIL, ADMIN_PASSWORD) if name == "admin" else (f"{name}@contentum.pl", PASSWORD)
        )
        token = await browser_sign_in(browser, email, password)
        browser.headers.update({"X-CSRF-Token": token, "HX-Request": "true"})
        yield browser


def cell_form(org: dict[str, Any], manager: str, client: str, start: str, **extra: str) -> Any:
    return {
        "manager_id": org[manager],
        "company_id": org[client],
        "period": "month",
        "start_date": start,
        **extra,
    }


def column(org: dict[str, Any], manager: str, start: str) -> dict[str, str]:
    """What a column's button posts: the grid shown, and the manager's period."""
    return {"kind": "month", "view_start": start, "start_date": start, "manager_id": org[manager]}


def row(org: dict[str, Any], manager: str, client: str, view_start: str) -> dict[str, str]:
    """What adding (or removing) a grid row posts."""
    return {
        "kind": "month",
        "view_start": view_start,
        "manager_id": org[manager],
        "company_id": org[client],
    }


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in {html}"
    return found.group(1)


async def test_a_manager_edits_a_cell_in_place_and_submits_the_period(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "marek") as marek:
        await marek.post("/plans/rows", data=row(org, "marek", "Alfa", "2026-12-01"))
        page = await marek.get("/plans", params={"period": "month", "start": "2026-12-15"})
        created = await marek.post(
            "/plans/cell", data=cell_form(org, "marek", "Alfa", "2026-12-01", amount="1 000,50")
        )
        line_id = hidden(created.text, "line_id")
        wrong = await marek.post(
            "/plans/cell",
            data=cell_form(org, "marek", "Alfa", "2026-12-01", line_id=line_id, amount="abc"),
        )
        submitted = await marek.post(
            "/plans/submit",
            data=column(org, "marek", "2026-12-01"),
        )

    assert page.status_code == 200
    assert [f'id="period-{month}"' in page.text for month in ("2026-11-01", "2027-04-01")] == [
        True,
        True,
    ]
    assert f'id="cell-{org["Alfa"]}-2026-12-01"' in page.text
    assert created.status_code == 200 and 'value="1,000.50"' in created.text  # in English
    assert (
        wrong.status_code == 422 and "Enter a number." in wrong.text and 'value="abc"' in wrong.text
    )
    assert "1 line submitted." in submitted.text
    cell = submitted.text.split(f'id="cell-{org["Alfa"]}-2026-12-01"')[1].split("</td>")[0]
    assert 'name="amount"' not in cell and "submitted" in cell and "1,000.50" in cell


async def test_nobody_edits_another_managers_plan_through_the_grid(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "piotr") as piotr:
        others = await piotr.get("/plans", params={"manager": org["marek"]})
        cell = await piotr.post(
            "/plans/cell", data=cell_form(org, "marek", "Beta", "2027-01-01", amount="10")
        )
    async with signed_in(crm, "beata") as head:
        for_marek = await head.post(
            "/plans/cell", data=cell_form(org, "marek", "Beta", "2027-01-01", amount="20")
        )
        for_piotr = await head.post(
            "/plans/cell", data=cell_form(org, "piotr", "Beta", "2027-01-01", amount="30")
        )

    assert others.status_code == 404
    assert cell.status_code == 422 and "a manager plans only their own lines" in cell.text
    assert for_marek.status_code == 200 and 'value="20.00"' in for_marek.text
    assert for_piotr.status_code == 422


async def test_the_previous_period_is_copied_into_the_column(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "piotr") as piotr:
        await piotr.post(
            "/plans/cell", data=cell_form(org, "piotr", "Gamma", "2027-05-01", amount="700")
        )
        copied = await piotr.post(
            "/plans/copy",
            data=column(org, "piotr", "2027-06-01"),
        )
        again = await piotr.post(
            "/plans/copy",
            data=column(org, "piotr", "2027-06-01"),
        )

    june = copied.text.split(f'id="cell-{org["Gamma"]}-2027-06-01"')[1].split("</td>")[0]
    assert "1 line copied." in copied.text and 'value="700.00"' in june
    assert "0 lines copied." in again.text


async def test_a_locked_month_shows_no_inputs_and_refuses_a_cell(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "admin") as admin:
        locked = await admin.post("/plans/lock", data=column(org, "piotr", "2027-09-01"))
    async with signed_in(crm, "piotr") as piotr:
        not_by_piotr = await piotr.post("/plans/unlock", data=column(org, "piotr", "2027-09-01"))
        for client in ("Alfa", "Beta"):
            await piotr.post("/plans/rows", data=row(org, "piotr", client, "2027-09-01"))
        page = await piotr.get("/plans", params={"start": "2027-09-01"})
        refused = await piotr.post(
            "/plans/cell", data=cell_form(org, "piotr", "Alfa", "2027-09-01", amount="5")
        )

    cell = page.text.split(f'id="cell-{org["Alfa"]}-2027-09-01"')[1].split("</td>")[0]
    assert "locked" in page.text and 'name="amount"' not in cell
    assert f'id="client-{org["Beta"]}"' in page.text
    assert refused.status_code == 422 and "this period is locked" in refused.text
    assert "The period is locked." in locked.text and "Unlock September 2027" in locked.text
    assert "only an administrator may lock or unlock a period" in not_by_piotr.text
    async with signed_in(crm, "admin") as admin:
        unlocked = await admin.post("/plans/unlock", data=column(org, "piotr", "2027-09-01"))
    assert "The period is open again." in unlocked.text and "Lock September 2027" in unlocked.text


async def submitted_lines(crm: httpx.AsyncClient, org: dict[str, Any], start: str) -> list[str]:
    async with signed_in(crm, "marek") as marek:
        for client in ("Alfa", "Beta"):
            await marek.post(
                "/plans/cell", data=cell_form(org, "marek", client, start, amount="100")
            )
        await marek.post(
            "/plans/submit",
            data=column(org, "marek", start),
        )
    lines = await crm.get(
        "/api/plans/lines",
        params={"start_date": start, "manager_id": org["marek"]},
        headers=org["api"],
    )
    return [line["id"] for line in lines.json()["items"]]


async def test_the_head_reviews_many_lines_at_once_and_one_by_one(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    first, second = await submitted_lines(crm, org, "2027-03-01")
    form = {"kind": "month", "start": "2027-03-01", "shown": "submitted"}
    async with signed_in(crm, "beata") as head:
        screen = await head.get("/plans/review", params={"start": "2027-03-01"})
        nothing = await head.post("/plans/review", data={**form, "decision": "approved"})
        bulk = await head.post(
            "/plans/review",
            data={
                **form,
                "decision": "doubtful",
                "comment": "za dużo",
                "line_ids": [first, second],
            },
        )
        no_reason = await head.post(
            f"/plans/review/{first}/rejected", data={**form, "shown": "doubtful"}
        )
        one = await head.post(f"/plans/review/{first}/approved", data={**form, "shown": "any"})
    async with signed_in(crm, "marek") as marek:
        refused = await marek.get("/plans/review")
    me = (await crm.get("/api/me", headers=org["api"])).json()
    async with signed_in(crm, "admin") as admin:  # in no sales group
        own = {**cell_form(org, "marek", "Alfa", "2027-05-01", amount="7"), "manager_id": me["id"]}
        await admin.post("/plans/cell", data=own)
        await admin.post("/plans/submit", data={**column(org, "marek", "2027-05-01"), **own})
        admins = await admin.get("/plans/review", params={"start": "2027-05-01"})

    assert "Approval is off: the final plan counts every submitted line" in screen.text
    [admins_row] = [row for row in admins.text.split("<tr") if "Alfa sp. z o.o." in row]
    assert me["name"] in admins_row, admins_row  # named, though no group has them
    assert screen.status_code == 200 and "Alfa sp. z o.o." in screen.text and "Marek" in screen.text
    assert (
        f'hx-get="/plans/lines/{first}/history"' in screen.text
        and 'id="plan-history"' in screen.text
    )
    assert nothing.status_code == 422 and "Select at least one line." in nothing.text
    assert "2 lines marked doubtful." in bulk.text and "Alfa sp. z o.o." not in bulk.text
    assert no_reason.status_code == 422 and "say why the line is rejected" in no_reason.text
    row = one.text.split(f'data-line-id="{first}"')[1].split("</tr>")[0]
    assert "1 line marked approved." in one.text and "approved" in row
    assert refused.status_code == 403


async def test_the_tree_drills_down_from_the_company_to_a_managers_clients_with_charts(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    await submitted_lines(crm, org, "2027-07-01")
    async with signed_in(crm, "admin") as admin:
        company = await admin.get("/plans/groups", params={"start": "2027-07-01"})
        north = await admin.get(
            "/plans/groups", params={"start": "2027-07-01", "scope": "team", "id": org["North"]}
        )
        marek = await admin.get(
            "/plans/groups",
            params={"start": "2027-07-01", "scope": "manager", "id": org["marek"]},
        )
        bad = await admin.get("/plans/groups", params={"period": "fortnight"})
    async with signed_in(crm, "piotr") as piotr:
        refused = await piotr.get("/plans/groups", params={"scope": "company"})

    chart = json.loads(company.text.split('id="children-chart-data">')[1].split("</script>")[0])
    assert f"scope=team&amp;id={org['North']}" in company.text
    assert chart["labels"] == ["North", "South"] and chart["datasets"][0]["data"] == [200.0, 0.0]
    assert f"scope=manager&amp;id={org['marek']}" in north.text
    assert f'href="/companies/{org["Alfa"]}"' in marek.text and 'id="trend-chart"' in marek.text
    assert bad.status_code == 422 and refused.status_code == 403


async def test_only_the_administrator_sets_approval_and_the_deadline(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "admin") as admin:
        page = await admin.get("/plans/settings")
        saved = await admin.post(
            "/plans/settings", data={"approval_required": "on", "lock_after_days": "5"}
        )
        wrong = await admin.post("/plans/settings", data={"lock_after_days": "five"})
        after = (await crm.get("/api/plans/settings", headers=org["api"])).json()
        async with signed_in(crm, "marek") as marek:
            grid = await marek.get("/plans", params={"start": "2027-09-01"})
        await admin.post("/plans/settings", data={})
    async with signed_in(crm, "beata") as head:
        refused = await head.get("/plans/settings")

    assert page.status_code == 200 and 'name="lock_after_days"' in page.text
    assert "Saved." in saved.text and 'value="5"' in saved.text and "checked" in saved.text
    assert wrong.status_code == 422 and "Enter a whole number." in wrong.text
    assert after == {"approval_required": True, "lock_after_days": 5}
    # September ends on the 30th: five days on, 5 October is the last day it may be changed
    deadlines = re.findall(r'class="muted lock-date">([^<]+)<', grid.text)
    assert "open until Oct 5, 2027" in deadlines
    assert "open until Oct 6, 2027" not in deadlines
    assert refused.status_code == 403


async def test_the_client_to_plan_is_found_by_name(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "marek") as browser:
        found = await browser.get("/plans/client-options", params={"q": "beta"})
        taken = await browser.get(
            "/plans/client-options", params={"q": "sp. z o.o.", "add": [org["Alfa"]]}
        )
        nothing = await browser.get("/plans/client-options", params={"q": "<Omega>"})

    assert found.status_code == 200 and f'value="{org["Beta"]}"' in found.text
    assert "Alfa" not in found.text and "Gamma" not in found.text
    assert "Alfa" not in taken.text and "Beta" in taken.text and "Gamma" in taken.text
    assert "No client matches." in nothing.text


async def test_the_totals_say_when_a_line_counts_in_part(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    week = {
        "manager_id": org["marek"],
        "company_id": org["Gamma"],
        "period": "week",
        "start_date": "2027-11-29",
        "amount": "700",
    }
    line = (await crm.post("/api/plans/lines", json=week, headers=org["api"])).json()
    await crm.post(f"/api/plans/lines/{line['id']}/submit", headers=org["api"])
    async with signed_in(crm, "admin") as admin:
        november = await admin.get("/plans/groups", params={"start": "2027-11-01"})
        the_week = await admin.get(
            "/plans/groups", params={"period": "week", "start": "2027-11-29"}
        )

    assert 'id="prorated-note"' in november.text and "200.00" in november.text
    assert 'id="prorated-note"' not in the_week.text and "700.00" in the_week.text


def between(html: str, start: str, end: str = "</td>") -> str:
    return html.split(start)[1].split(end)[0]


async def test_a_client_added_to_the_grid_stays_and_rows_and_columns_are_totalled(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    async with signed_in(crm, "piotr") as piotr:
        added = await piotr.post("/plans/rows", data=row(org, "piotr", "Beta", "2028-01-01"))
        reloaded = await piotr.get("/plans", params={"start": "2028-02-01"})
        cells = [
            await piotr.post(
                "/plans/cell",
                data=cell_form(org, "piotr", "Beta", month, amount=amount, view_start="2028-01-01"),
            )
            for month, amount in (("2028-02-01", "100"), ("2028-03-01", "250.50"))
        ]
        page = await piotr.get("/plans", params={"start": "2028-02-01"})
        days = await piotr.get("/plans", params={"period": "day", "start": "2028-02-29"})
        await piotr.post(
            "/plans/cell", data=cell_form(org, "piotr", "Gamma", "2028-02-01", amount="1")
        )
        removed = await piotr.post(
            "/plans/rows/remove", data=row(org, "piotr", "Gamma", "2028-01-01")
        )

    beta = org["Beta"]
    assert added.status_code == 200 and f'id="client-{beta}"' in added.text
    assert (
        f'id="client-{beta}"' in reloaded.text
        and "Remove Beta sp. z o.o. from the grid" in reloaded.text
    )
    march = cells[1].text
    assert 'hx-swap-oob="true"' in march and "350.50" in between(march, f'id="row-total-{beta}"')
    assert "250.50" in between(march, 'id="column-total-2028-03-01"')
    assert "350.50" in between(page.text, f'id="row-total-{beta}"')
    assert "100.00" in between(page.text, 'id="column-total-2028-02-01"')
    assert "350.50" in between(page.text, 'id="grid-total"')
    assert 'id="period-2028-02-29"' in days.text and 'id="period-2028-03-04"' in days.text
    assert f'id="client-{org["Gamma"]}"' in removed.text  # planned in view: the row stays


async def test_a_month_made_of_weeks_is_shown_not_edited_and_a_lines_history_is_told(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    week = {
        "manager_id": org["marek"],
        "company_id": org["Beta"],
        "period": "week",
        "start_date": "2028-05-29",
        "amount": "700",
    }
    line = (await crm.post("/api/plans/lines", json=week, headers=org["api"])).json()
    await crm.patch(f"/api/plans/lines/{line['id']}", json={"amount": "1400"}, headers=org["api"])
    async with signed_in(crm, "marek") as marek:
        months = await marek.get("/plans", params={"start": "2028-06-01"})
        weeks = await marek.get("/plans", params={"period": "week", "start": "2028-05-29"})
        history = await marek.get(f"/plans/lines/{line['id']}/history")
        refused = await marek.post(
            "/plans/cell", data=cell_form(org, "marek", "Beta", "2028-06-01", amount="5")
        )

    may = between(months.text, f'id="cell-{org["Beta"]}-2028-05-01"')
    assert 'name="amount"' not in may and "≈" in may and "600.00" in may
    assert 'id="derived-note"' in months.text
    assert 'name="amount"' in between(weeks.text, f'id="cell-{org["Beta"]}-2028-05-29"')
    assert history.status_code == 200 and "1,400.00" in history.text
    assert history.text.count("<li>") == 3
    assert refused.status_code == 422 and "one size per span" in refused.text


async def test_the_totals_shown_are_exported_as_csv_and_xlsx(
    crm: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    await submitted_lines(crm, org, "2028-09-01")
    shown = {"start": "2028-09-01", "scope": "team", "id": org["North"]}
    async with signed_in(crm, "beata") as head:
        page = await head.get("/plans/groups", params=shown)
        as_csv = await head.get("/plans/groups/export.csv", params=shown)
        as_xlsx = await head.get("/plans/groups/export.xlsx", params=shown)
    async with signed_in(crm, "piotr") as piotr:
        refused = await piotr.get("/plans/groups/export.csv", params=shown)

    assert (
        f"/plans/groups/export.xlsx?period=month&amp;start=2028-09-01&amp;scope=team&amp;id={org['North']}"
        in page.text
    )
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert (
        as_csv.headers["content-disposition"] == 'attachment; filename="plan-team-2028-09-01.csv"'
    )
    assert rows[0] == [
        "Period",
        "Level",
        "Name",
        "Submitted plan",
        "Final plan",
        "Actual",
        "Forecast",
    ]
    assert rows[1][:4] == ["September 2028", "Group", "North", "200.00"]
    assert ["September 2028", "Manager", "Marek", "200.00"] in [row[:4] for row in rows[2:]]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None and sheet.title == "September 2028"
    assert [cell.value for cell in sheet[2]][:4] == ["September 2028", "Group", "North", 200.0]
    assert refused.status_code == 403
