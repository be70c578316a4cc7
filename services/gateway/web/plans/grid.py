"""The plan grid: a manager's clients by periods, each cell an amount edited in place."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import ask, read, reasons
from services.gateway.web.common import PageSeller, form_fields
from services.gateway.web.i18n import current_locale, ngettext, read_amount
from services.gateway.web.i18n import gettext as _
from services.gateway.web.plans.labels import period_label
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

Kind = Literal["day", "week", "month", "quarter", "year"]
COLUMNS, BEFORE = 6, 1  # the period before the chosen one, the chosen one and four after it
EDITABLE = ("draft", "rejected")


# --- reading from planning ------------------------------------------------------------------


async def all_items(request: Request, user: User, path: str, **params: Any) -> list[Any]:
    """Every item of a paginated planning list, page after page."""
    items: list[Any] = []
    after: dict[str, str] = {}
    while True:
        page = await read(request, user, "planning", path, limit=200, **after, **params)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        after = {"cursor": page["next_cursor"]}


async def client_names(request: Request, user: User, ids: set[str]) -> dict[str, str]:
    wanted = sorted(ids)
    names: dict[str, str] = {}
    for at in range(0, len(wanted), 200):
        chunk = wanted[at : at + 200]
        names |= {
            c["id"]: c["name"]
            for c in await all_items(request, user, "/api/plans/clients", id=chunk)
        }
    return names


async def periods(
    request: Request, user: User, kind: Kind, start: date | None, count: int, before: int
) -> list[dict[str, Any]]:
    """`count` periods of `kind` around the one holding `start` (today by default), labelled."""
    shown = await read(
        request,
        user,
        "planning",
        "/api/plans/periods",
        period=kind,
        start_date=(start or datetime.now(UTC).date()).isoformat(),
        count=count,
        before=before,
    )
    for period in shown:
        period["label"] = period_label(kind, date.fromisoformat(period["start_date"]))
    return shown  # type: ignore[no-any-return]


# --- who may plan for whom --------------------------------------------------------------------


def members_below(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The people of a group of `/api/plans/teams` and of all its subgroups."""
    found = list(node["members"])
    for child in node["children"]:
        found += members_below(child)
    return found


async def plannable(request: Request, user: User) -> list[dict[str, Any]]:
    """The people whose plan this user may edit: own; a head's group; an administrator's all."""
    me = {"id": str(user.id), "name": user.name}
    if user.role not in ("head", "admin"):
        return [me]
    roots = await read(request, user, "planning", "/api/plans/teams")
    pending, people = list(roots), []
    while pending:
        node = pending.pop()
        if user.role == "admin" or node["id"] == str(user.team_id):
            people += members_below(node)
        else:
            pending += node["children"]
    others = [
        p
        for p in people
        if p["role"] in ("manager", "head") and p["active"] and p["id"] != me["id"]
    ]
    return [me, *sorted(others, key=lambda person: person["name"])]


def _chosen(user: User, people: list[dict[str, Any]], manager: UUID | None) -> dict[str, Any]:
    wanted = str(manager or user.id)
    chosen = next((person for person in people if person["id"] == wanted), None)
    if chosen is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such manager in your plan")
    return chosen


# --- the grid -------------------------------------------------------------------------------


def cell(
    user: User,
    manager_id: str,
    client_id: str,
    column: dict[str, Any],
    figures: dict[str, Any] | None,
    *,
    view_start: str,
    **extra: Any,
) -> dict[str, Any]:
    """One cell: the client's own line of the period (`figures["line"]`) and what all the client's
    lines add up to there; a cell made of lines of other sizes is shown, not edited."""
    figures = figures or {"line": None, "planned": "0.00", "prorated": False, "other_sizes": False}
    line = figures["line"]
    open_ = column["locked"] is None or user.role == "admin"
    own_size = line is not None or not figures["other_sizes"]
    return {
        "client_id": client_id,
        "manager_id": manager_id,
        "column": column,
        "view_start": view_start,
        "line": line,
        "planned": figures["planned"],
        "prorated": figures["prorated"],
        "other_sizes": figures["other_sizes"],
        "editable": open_ and own_size and (line is None or line["status"] in EDITABLE),
        "errors": [],
        **extra,
    }


async def plan_of(
    request: Request, user: User, manager_id: str, kind: Kind, view_start: str
) -> dict[str, Any]:
    """The manager's grid from planning: a row per client planned or kept, each cell's figures."""
    params = {"manager_id": manager_id, "period": kind, "start_date": view_start, "count": COLUMNS}
    return await read(request, user, "planning", "/api/plans/grid", **params)  # type: ignore[no-any-return]


async def grid(
    request: Request,
    user: User,
    *,
    kind: Kind,
    start: date | None,
    manager: UUID | None,
    errors: list[str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the grid shows: columns, one row per client planned (or kept), each cell, and
    the totals of every row and column."""
    people = await plannable(request, user)
    chosen = _chosen(user, people, manager)
    columns = await periods(request, user, kind, start, COLUMNS, BEFORE)
    first = columns[0]["start_date"]
    plan = await plan_of(request, user, chosen["id"], kind, first)
    for column, figures in zip(columns, plan["columns"], strict=True):
        column["total"] = figures["total"]
    rows = [
        {
            "client_id": row["company_id"],
            "name": row["name"],
            "kept": row["kept"],
            "total": row["total"],
            "cells": [
                cell(user, chosen["id"], row["company_id"], c, figures, view_start=first)
                for c, figures in zip(columns, row["cells"], strict=True)
            ],
        }
        for row in plan["rows"]
    ]
    shown = {row["client_id"] for row in rows}
    choices = await read(request, user, "planning", "/api/plans/clients", limit=200)
    return {
        "kind": kind,
        "columns": columns,
        "first_start": first,
        "view_start": columns[BEFORE]["start_date"],
        "manager": chosen,
        "people": people,
        "rows": rows,
        "total": plan["total"],
        "derived": any(c["other_sizes"] or c["prorated"] for row in rows for c in row["cells"]),
        "client_choices": [c for c in choices["items"] if c["id"] not in shown],
        "errors": errors or [],
        "notice": notice,
    }


@router.get("/plans/client-options")
async def client_options(
    request: Request,
    user: PageSeller,
    q: Annotated[str, Query(max_length=100)] = "",
    add: Annotated[list[UUID] | None, Query(max_length=200)] = None,
) -> Response:
    """The clients to offer in the grid's "client to plan" list, found by name as one types
    (`add`: the clients in the grid already)."""
    found = await read(request, user, "planning", "/api/plans/clients", q=q, limit=50)
    taken = {str(client) for client in add or []}
    choices = [client for client in found["items"] if client["id"] not in taken]
    return render(request, "plans/_client_options.html", user, client_choices=choices)


@router.get("/plans")
async def plans_page(
    request: Request,
    user: PageSeller,
    period: Kind = "month",
    start: date | None = None,
    manager: UUID | None = None,
) -> Response:
    context = await grid(request, user, kind=period, start=start, manager=manager)
    return render(request, "plans/plans.html", user, **context)


class CellForm:
    """The fields of one cell's form."""

    def __init__(self, form: dict[str, str]) -> None:
        self.line_id = form.get("line_id", "")
        self.typed = form.get("amount", "").strip()
        self.amount = read_amount(self.typed, current_locale.get())
        self.manager_id = form.get("manager_id", "")
        self.company_id = form.get("company_id", "")
        self.period = form.get("period", "")
        self.start_date = form.get("start_date", "")
        self.view_start = form.get("view_start", self.start_date)
        self.status = form.get("status", "draft")


async def _save(request: Request, user: User, form: CellForm) -> httpx.Response | None:
    """Create, change or (when emptied) delete the line; None when there is nothing to do."""
    if form.line_id and not form.amount:
        return await ask(request, user, "planning", "DELETE", f"/api/plans/lines/{form.line_id}")
    if form.line_id:
        path = f"/api/plans/lines/{form.line_id}"
        return await ask(request, user, "planning", "PATCH", path, json={"amount": form.amount})
    if not form.amount:
        return None
    body = {
        "manager_id": form.manager_id,
        "company_id": form.company_id,
        "period": form.period,
        "start_date": form.start_date,
        "amount": form.amount,
    }
    return await ask(request, user, "planning", "POST", "/api/plans/lines", json=body)


async def _totals(request: Request, user: User, form: CellForm) -> dict[str, Any]:
    """The totals a changed cell moves: its row's, its column's and the grid's."""
    if form.period not in get_args(Kind):
        return {}
    plan = await plan_of(request, user, form.manager_id, form.period, form.view_start)  # type: ignore[arg-type]
    row = next((r for r in plan["rows"] if r["company_id"] == form.company_id), None)
    column = next((c for c in plan["columns"] if c["start_date"] == form.start_date), None)
    return {
        "client_id": form.company_id,
        "row_total": row["total"] if row else "0.00",
        "start_date": form.start_date,
        "column_total": column["total"] if column else None,
        "total": plan["total"],
    }


@router.post("/plans/cell")
async def save_cell(request: Request, user: PageSeller) -> Response:
    """One cell edited in place: the answer is the cell again, saved or saying what is wrong, and
    the totals it moves (swapped in out of band)."""
    form = CellForm(await form_fields(request))
    answer = await _save(request, user, form)
    column = {"start_date": form.start_date, "period": form.period, "locked": None}
    if answer is not None and answer.is_error:
        line = {"id": form.line_id, "status": form.status} if form.line_id else None
        figures = {"line": line, "planned": "0.00", "prorated": False, "other_sizes": False}
        failed = cell(
            user,
            form.manager_id,
            form.company_id,
            column,
            figures,
            view_start=form.view_start,
            typed=form.typed,
        )
        failed["errors"] = reasons(answer)
        return render(request, "plans/_cell.html", user, status_code=422, cell=failed)
    line = None if answer is None or answer.status_code == 204 else answer.json()
    figures = {
        "line": line,
        "planned": line["amount"] if line else "0.00",
        "prorated": False,
        "other_sizes": False,
    }
    saved = cell(
        user, form.manager_id, form.company_id, column, figures, view_start=form.view_start
    )
    totals = await _totals(request, user, form)
    return render(request, "plans/_cell.html", user, cell=saved, totals=totals)


async def _submit(request: Request, user: User, column: "ColumnForm") -> tuple[list[str], str]:
    """Submit the manager's drafts (and rejected lines) of the period; problems and a notice."""
    drafts = [
        line
        for line in await all_items(request, user, "/api/plans/lines", **column.params)
        if line["status"] in EDITABLE
    ]
    errors: list[str] = []
    for line in drafts:
        path = f"/api/plans/lines/{line['id']}/submit"
        answer = await ask(request, user, "planning", "POST", path)
        if answer.is_error:
            errors += reasons(answer)
    done = len(drafts) - len(errors)
    return errors, ngettext("%(num)d line submitted.", "%(num)d lines submitted.", done) % {
        "num": done
    }


async def _copy(request: Request, user: User, column: "ColumnForm") -> tuple[list[str], str]:
    """Copy the manager's period before into this one; problems and a notice."""
    path = "/api/plans/lines/copy"
    answer = await ask(request, user, "planning", "POST", path, json=column.params)
    if answer.is_error:
        return reasons(answer), ""
    done = len(answer.json())
    return [], ngettext("%(num)d line copied.", "%(num)d lines copied.", done) % {"num": done}


async def _lock(
    request: Request, user: User, column: "ColumnForm", *, lock: bool
) -> tuple[list[str], str]:
    """Lock the period (administrators only), or lift its lock; problems and a notice."""
    period = {"period": column.kind, "start_date": column.params["start_date"]}
    if lock:
        answer = await ask(request, user, "planning", "POST", "/api/plans/locks", json=period)
    else:
        answer = await ask(request, user, "planning", "DELETE", "/api/plans/locks", params=period)
    if answer.is_error:
        return reasons(answer), ""
    return [], _("The period is locked.") if lock else _("The period is open again.")


class ColumnForm:
    """A column's button: which manager's period, and which grid to show afterwards."""

    def __init__(
        self,
        kind: Annotated[Kind, Form()],
        view_start: Annotated[date, Form()],
        start_date: Annotated[date, Form()],
        manager_id: Annotated[UUID, Form()],
    ) -> None:
        self.kind, self.view_start, self.manager_id = kind, view_start, manager_id
        self.params = {
            "period": kind,
            "start_date": start_date.isoformat(),
            "manager_id": str(manager_id),
        }


ColumnDep = Annotated[ColumnForm, Depends()]


async def _after(request: Request, user: User, column: ColumnForm, done: Any) -> Response:
    errors, notice = done
    context = await grid(
        request,
        user,
        kind=column.kind,
        start=column.view_start,
        manager=column.manager_id,
        errors=errors,
        notice=notice,
    )
    return render(request, "plans/_grid.html", user, **context)


class RowForm:
    """A row's button, or the form adding one: which manager's grid, which client."""

    def __init__(
        self,
        kind: Annotated[Kind, Form()],
        view_start: Annotated[date, Form()],
        manager_id: Annotated[UUID, Form()],
        company_id: Annotated[UUID, Form()],
    ) -> None:
        self.kind, self.view_start, self.manager_id = kind, view_start, manager_id
        self.company_id = company_id


RowDep = Annotated[RowForm, Depends()]


async def _grid_again(request: Request, user: User, row: RowForm, errors: list[str]) -> Response:
    context = await grid(
        request, user, kind=row.kind, start=row.view_start, manager=row.manager_id, errors=errors
    )
    return render(request, "plans/_grid.html", user, **context)


@router.post("/plans/rows")
async def add_row(request: Request, user: PageSeller, row: RowDep) -> Response:
    """Keep a client in the manager's grid (it stays after a reload); the grid again."""
    body = {"manager_id": str(row.manager_id), "company_id": str(row.company_id)}
    answer = await ask(request, user, "planning", "POST", "/api/plans/grid/clients", json=body)
    return await _grid_again(request, user, row, reasons(answer) if answer.is_error else [])


@router.post("/plans/rows/remove")
async def remove_row(request: Request, user: PageSeller, row: RowDep) -> Response:
    """No longer keep a client in the grid (a client with lines in view stays); the grid again."""
    path = f"/api/plans/grid/clients/{row.company_id}"
    params = {"manager_id": str(row.manager_id)}
    answer = await ask(request, user, "planning", "DELETE", path, params=params)
    return await _grid_again(request, user, row, reasons(answer) if answer.is_error else [])


@router.post("/plans/submit")
async def submit_column(request: Request, user: PageSeller, column: ColumnDep) -> Response:
    """Submit a period's drafts for approval; the grid again."""
    return await _after(request, user, column, await _submit(request, user, column))


@router.post("/plans/copy")
async def copy_column(request: Request, user: PageSeller, column: ColumnDep) -> Response:
    """Copy the period before into a period; the grid again."""
    return await _after(request, user, column, await _copy(request, user, column))


@router.post("/plans/lock")
async def lock_column(request: Request, user: PageSeller, column: ColumnDep) -> Response:
    """Lock a period for everyone but administrators; the grid again."""
    return await _after(request, user, column, await _lock(request, user, column, lock=True))


@router.post("/plans/unlock")
async def unlock_column(request: Request, user: PageSeller, column: ColumnDep) -> Response:
    """Lift a period's lock; the grid again."""
    return await _after(request, user, column, await _lock(request, user, column, lock=False))
