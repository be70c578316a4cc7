"""The plan page: a manager plans revenue per client for a month, a head reviews the group's lines."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Request, Response

from services.gateway.tables import User
from services.gateway.web.backend_calls import ask
from services.gateway.web.i18n import gettext as _
from services.gateway.web.pages import PageUser
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


def _month(value: str | None) -> date:
    """The month shown: `?month=2026-12`, else the current one."""
    if value:
        try:
            return datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            pass
    return datetime.now(UTC).date().replace(day=1)


async def _context(request: Request, user: User, month: date, errors: list[str]) -> dict[str, Any]:
    period = {"period": "month", "start_date": month.isoformat()}
    lines = (
        await ask(
            request, user, "planning", "GET", "/api/plans/lines", params={**period, "limit": 200}
        )
    ).json()
    clients = (
        await ask(request, user, "planning", "GET", "/api/plans/clients", params={"limit": 200})
    ).json()
    scope = {"scope": "manager"} if user.role not in ("admin", "head") else {"scope": "company"}
    if user.role == "head" and user.team_id:
        scope = {"scope": "team", "id": str(user.team_id)}
    summary = await ask(
        request, user, "planning", "GET", "/api/plans/summary", params={**period, **scope}
    )
    names = {client["id"]: client["name"] for client in clients["items"]}
    return {
        "month": month,
        "lines": lines["items"],
        "clients": clients["items"],
        "client_names": names,
        "summary": summary.json() if summary.status_code == 200 else None,
        "errors": errors,
        "may_review": user.role in ("admin", "head"),
    }


@router.get("/plans")
async def plans_page(request: Request, user: PageUser, month: str | None = None) -> Response:
    chosen = _month(month)
    return render(request, "plans/plans.html", user, **await _context(request, user, chosen, []))


@router.post("/plans/lines")
async def add_line(request: Request, user: PageUser) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    month = _month(form.get("month"))
    body = {
        "manager_id": str(user.id),
        "company_id": form.get("company_id", ""),
        "period": "month",
        "start_date": month.isoformat(),
        "amount": form.get("amount", ""),
        "note": form.get("note", ""),
    }
    answer = await ask(request, user, "planning", "POST", "/api/plans/lines", json=body)
    errors = [] if answer.status_code == 201 else _problems(answer)
    return render(request, "plans/plans.html", user, **await _context(request, user, month, errors))


@router.post("/plans/lines/{line_id}/{action}")
async def act(request: Request, line_id: UUID, action: str, user: PageUser) -> Response:
    """Submit a line, or review it (approved, doubtful, rejected)."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    month = _month(form.get("month"))
    if action == "submit":
        answer = await ask(request, user, "planning", "POST", f"/api/plans/lines/{line_id}/submit")
    else:
        review = {"decision": action, "comment": form.get("comment") or None}
        answer = await ask(
            request, user, "planning", "POST", f"/api/plans/lines/{line_id}/review", json=review
        )
    errors = [] if answer.status_code == 200 else _problems(answer)
    return render(request, "plans/plans.html", user, **await _context(request, user, month, errors))


def _problems(answer: httpx.Response) -> list[str]:
    detail = answer.json().get("detail")
    if isinstance(detail, list):
        return [f"{e['loc'][-1]}: {_(str(e['msg']))}" for e in detail]
    return [str(detail)]
