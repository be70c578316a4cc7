"""The head's review of plan lines (one by one or many at once), and the group tree with totals
and charts of plan against actual and forecast."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status
from sqlalchemy import select

from services.gateway.tables import User
from services.gateway.web.backend import ask, read, reasons
from services.gateway.web.common import PageSeller, form_fields
from services.gateway.web.i18n import gettext as _
from services.gateway.web.i18n import ngettext
from services.gateway.web.plans.grid import (
    BEFORE,
    COLUMNS,
    Kind,
    all_items,
    client_names,
    members_below,
    periods,
)
from services.gateway.web.rendering import render, status_label

router = APIRouter(include_in_schema=False)

Decision = Literal["approved", "doubtful", "rejected"]
Shown = Literal["submitted", "approved", "doubtful", "rejected", "any"]
Scope = Literal["company", "team", "manager"]
FIGURES = ("submitted", "final", "actual", "forecast")


# --- review ---------------------------------------------------------------------------------


def _reviewer(user: User) -> None:
    if user.role not in ("head", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a head or an administrator reviews")


async def _people(request: Request, user: User) -> dict[str, str]:
    """Everyone planning knows, by id: the managers' names on the review screen."""
    roots = await read(request, user, "planning", "/api/plans/teams")
    return {person["id"]: person["name"] for root in roots for person in members_below(root)}


async def _review(
    request: Request,
    user: User,
    *,
    kind: Kind,
    start: date | None,
    shown: Shown,
    results: dict[str, list[str]] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    [column] = await periods(request, user, kind, start, 1, 0)
    filters = {"period": kind, "start_date": column["start_date"]}
    lines = await all_items(
        request,
        user,
        "/api/plans/lines",
        **filters,
        **({} if shown == "any" else {"status": shown}),
    )
    clients = await client_names(request, user, {line["company_id"] for line in lines})
    people = await _people(request, user)
    outside = {UUID(line["manager_id"]) for line in lines} - {UUID(id_) for id_ in people}
    if outside:  # in no sales group (the administrator's own lines): named from the users
        async with request.app.state.sessions() as session:
            found = await session.execute(select(User.id, User.name).where(User.id.in_(outside)))
            people |= {str(id_): name for id_, name in found}
    settings = await read(request, user, "planning", "/api/plans/settings")
    results = results or {}
    rows = [
        {
            "line": line,
            "client": clients.get(line["company_id"], ""),
            "manager": people.get(line["manager_id"], ""),
            "errors": results.get(line["id"], []),
        }
        for line in sorted(lines, key=lambda line: clients.get(line["company_id"], ""))
    ]
    return {
        "kind": kind,
        "column": column,
        "shown": shown,
        "rows": rows,
        "notice": notice,
        "approval_required": settings["approval_required"],
    }


@router.get("/plans/review")
async def review_page(
    request: Request,
    user: PageSeller,
    period: Kind = "month",
    start: date | None = None,
    shown: Annotated[Shown, Query(alias="status")] = "submitted",
) -> Response:
    _reviewer(user)
    context = await _review(request, user, kind=period, start=start, shown=shown)
    return render(request, "plans/review.html", user, **context)


async def _decide(
    request: Request, user: User, line_ids: list[UUID], decision: Decision, comments: dict[str, str]
) -> tuple[dict[str, list[str]], int]:
    """Review each line; the problems by line, and how many were reviewed."""
    results: dict[str, list[str]] = {}
    for line_id in line_ids:
        body = {"decision": decision, "comment": comments.get(str(line_id)) or None}
        path = f"/api/plans/lines/{line_id}/review"
        answer = await ask(request, user, "planning", "POST", path, json=body)
        if answer.is_error:
            results[str(line_id)] = reasons(answer)
    return results, len(line_ids) - len(results)


class ReviewForm:
    """What the review screen posts: its filters, and the comments typed per line."""

    def __init__(
        self,
        kind: Annotated[Kind, Form()],
        start: Annotated[date, Form()],
        shown: Annotated[Shown, Form()] = "submitted",
        comment: Annotated[str, Form(max_length=1000)] = "",
    ) -> None:
        self.kind, self.start, self.shown, self.comment = kind, start, shown, comment


async def _after_review(
    request: Request, user: User, form: ReviewForm, line_ids: list[UUID], decision: Decision
) -> Response:
    _reviewer(user)
    typed = {
        key.removeprefix("comment-"): value
        for key, value in (await form_fields(request)).items()
        if key.startswith("comment-")
    }
    comments = {str(line_id): typed.get(str(line_id)) or form.comment for line_id in line_ids}
    results, done = await _decide(request, user, line_ids, decision, comments)
    notice = ngettext(
        "%(num)d line marked %(status)s.", "%(num)d lines marked %(status)s.", done
    ) % {"num": done, "status": status_label(decision)}
    context = await _review(
        request,
        user,
        kind=form.kind,
        start=form.start,
        shown=form.shown,
        results=results,
        notice=notice,
    )
    return render(
        request, "plans/_review.html", user, status_code=422 if results else 200, **context
    )


@router.post("/plans/review")
async def review_selected(
    request: Request,
    user: PageSeller,
    form: Annotated[ReviewForm, Depends()],
    decision: Annotated[Decision, Form()],
    line_ids: Annotated[list[UUID] | None, Form()] = None,
) -> Response:
    """The same decision (and comment, unless a line has its own) for every line selected."""
    if not line_ids:
        _reviewer(user)
        context = await _review(request, user, kind=form.kind, start=form.start, shown=form.shown)
        context["errors"] = [_("Select at least one line.")]
        return render(request, "plans/_review.html", user, status_code=422, **context)
    return await _after_review(request, user, form, line_ids, decision)


@router.post("/plans/review/{line_id}/{decision}")
async def review_one(
    request: Request,
    user: PageSeller,
    line_id: UUID,
    decision: Decision,
    form: Annotated[ReviewForm, Depends()],
) -> Response:
    """One line's own buttons: approve, doubt or reject it."""
    return await _after_review(request, user, form, [line_id], decision)


# --- the group tree with totals and charts ---------------------------------------------------


def default_scope(user: User) -> tuple[Scope, UUID | None]:
    if user.role == "admin":
        return "company", None
    if user.role == "head" and user.team_id:
        return "team", user.team_id
    return "manager", user.id


async def _summary(request: Request, user: User, **params: Any) -> dict[str, Any]:
    """`/api/plans/summary`; what it refuses is refused the same way here."""
    return await read(request, user, "planning", "/api/plans/summary", **params)  # type: ignore[no-any-return]


def _chart(kind: str, labels: list[str], nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """What a Chart.js chart needs: a label per bar or point, a series per figure."""
    names = {
        "submitted": _("Submitted plan"),
        "final": _("Final plan"),
        "actual": _("Actual"),
        "forecast": _("Forecast"),
    }
    datasets = [
        {"label": names[figure], "data": [float(Decimal(node[figure])) for node in nodes]}
        for figure in FIGURES
    ]
    return {"type": kind, "labels": labels, "datasets": datasets}


@router.get("/plans/groups")
async def groups_page(
    request: Request,
    user: PageSeller,
    period: Kind = "month",
    start: date | None = None,
    scope: Scope | None = None,
    id: UUID | None = None,
) -> Response:
    """A level of the tree (company, group or manager) with its children, down to clients."""
    if scope is None:
        scope, id = default_scope(user)
    columns = await periods(request, user, period, start, COLUMNS, BEFORE)
    chosen = columns[BEFORE]
    query = {"period": period, "scope": scope, **({"id": str(id)} if id else {})}
    trend = [await _summary(request, user, **query, start_date=c["start_date"]) for c in columns]
    node = trend[BEFORE]
    context: dict[str, Any] = {
        "kind": period,
        "columns": columns,
        "chosen": chosen,
        "node": node,
        "scope": scope,
        "id": id,
        "children_chart": _chart("bar", [c["name"] for c in node["children"]], node["children"]),
        "trend_chart": _chart("line", [c["label"] for c in columns], trend),
    }
    return render(request, "plans/groups.html", user, **context)
