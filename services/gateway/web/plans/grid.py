"""The plan grid: a manager's clients by periods, each cell an amount edited in place."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import httpx
from babel import dates
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import ask, read, reasons
from services.gateway.web.common import PageSeller, form_fields
from services.gateway.web.i18n import current_locale, ngettext, read_amount
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

Kind = Literal["week", "month", "quarter", "year"]
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


def period_label(kind: str, start: date) -> str:
    if kind == "week":
        week = start.isocalendar()
        return _("Week %(number)s, %(year)s") % {"number": week.week, "year": week.year}
    if kind == "month":
        return dates.format_date(start, "LLLL yyyy", locale=current_locale.get())
    if kind == "quarter":
        return _("Q%(number)s %(year)s") % {"number": (start.month + 2) // 3, "year": start.year}
    return str(start.year)


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
    line: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    open_ = column["locked"] is None or user.role == "admin"
    return {
        "client_id": client_id,
        "manager_id": manager_id,
        "column": column,
        "line": line,
        "editable": open_ and (line is None or line["status"] in EDITABLE),
        "errors": [],
        **extra,
    }


async def grid(
    request: Request,
    user: User,
    *,
    kind: Kind,
    start: date | None,
    manager: UUID | None,
    add: list[UUID] | None = None,
    errors: list[str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the grid shows: columns, one row per client planned (or added), each cell."""
    people = await plannable(request, user)
    chosen = _chosen(user, people, manager)
    columns = await periods(request, user, kind, start, COLUMNS, BEFORE)
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for column in columns:
        for line in await all_items(
            request,
            user,
            "/api/plans/lines",
            period=kind,
            start_date=column["start_date"],
            manager_id=chosen["id"],
        ):
            lines[(line["company_id"], line["start_date"])] = line
    clients = {client_id for client_id, _start in lines} | {str(client) for client in add or []}
    names = await client_names(request, user, clients)
    rows = [
        {
            "client_id": client_id,
            "name": name,
            "cells": [
                cell(user, chosen["id"], client_id, c, lines.get((client_id, c["start_date"])))
                for c in columns
            ],
        }
        for client_id, name in sorted(names.items(), key=lambda item: item[1])
    ]
    choices = await read(request, user, "planning", "/api/plans/clients", limit=200)
    return {
        "kind": kind,
        "columns": columns,
        "view_start": columns[BEFORE]["start_date"],
        "manager": chosen,
        "people": people,
        "rows": rows,
        "client_choices": [c for c in choices["items"] if c["id"] not in names],
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
    """The clients to offer in the grid's "client to plan" list, found by name as one types."""
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
    add: Annotated[list[UUID] | None, Query(max_length=200)] = None,
) -> Response:
    context = await grid(request, user, kind=period, start=start, manager=manager, add=add)
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


@router.post("/plans/cell")
async def save_cell(request: Request, user: PageSeller) -> Response:
    """One cell edited in place: the answer is the cell again, saved or saying what is wrong."""
    form = CellForm(await form_fields(request))
    answer = await _save(request, user, form)
    column = {"start_date": form.start_date, "period": form.period, "locked": None}
    if answer is not None and answer.is_error:
        line = {"id": form.line_id, "status": form.status} if form.line_id else None
        failed = cell(user, form.manager_id, form.company_id, column, line, typed=form.typed)
        failed["errors"] = reasons(answer)
        return render(request, "plans/_cell.html", user, status_code=422, cell=failed)
    line = None if answer is None or answer.status_code == 204 else answer.json()
    saved = cell(user, form.manager_id, form.company_id, column, line)
    return render(request, "plans/_cell.html", user, cell=saved)


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
