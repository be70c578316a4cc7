"""A plan summary to take away: the period and level shown on the totals page, as CSV or XLSX."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from openpyxl import Workbook
from openpyxl.styles import Font

from services.gateway.tables import User
from services.gateway.web.backend import read
from services.gateway.web.common import PageSeller
from services.gateway.web.i18n import gettext as _
from services.gateway.web.plans.grid import Kind, periods
from services.gateway.web.plans.review import FIGURES, Scope, default_scope

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _level(scope: str) -> str:
    levels = {
        "company": _("Company"),
        "team": _("Group"),
        "manager": _("Manager"),
        "client": _("Client"),
    }
    return levels.get(scope, scope)


async def _table(
    request: Request,
    user: User,
    kind: Kind,
    start: date | None,
    scope: Scope | None,
    id_: UUID | None,
) -> tuple[dict[str, Any], str, list[list[Any]]]:
    """The period, the file's name without extension, and a row per level shown: the level itself
    first, then its children."""
    if scope is None:
        scope, id_ = default_scope(user)
    [column] = await periods(request, user, kind, start, 1, 0)
    query = {"period": kind, "start_date": column["start_date"], "scope": scope}
    node = await read(
        request,
        user,
        "planning",
        "/api/plans/summary",
        **query,
        **({"id": str(id_)} if id_ else {}),
    )
    header = [
        _("Period"),
        _("Level"),
        _("Name"),
        _("Submitted plan"),
        _("Final plan"),
        _("Actual"),
        _("Forecast"),
    ]
    rows = [
        [column["label"], _level(each["scope"]), each["name"], *(Decimal(each[f]) for f in FIGURES)]
        for each in (node, *node["children"])
    ]
    return column, f"plan-{scope}-{column['start_date']}", [header, *rows]


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/plans/groups/export.csv")
async def export_csv(
    request: Request,
    user: PageSeller,
    period: Kind = "month",
    start: date | None = None,
    scope: Scope | None = None,
    id: UUID | None = None,
) -> Response:
    """The totals shown as CSV: UTF-8 with BOM, amounts with a decimal point."""
    _column, name, table = await _table(request, user, period, start, scope, id)
    text = io.StringIO()
    csv.writer(text).writerows(table)
    body = ("\ufeff" + text.getvalue()).encode()
    return _download(body, "text/csv; charset=utf-8", f"{name}.csv")


@router.get("/plans/groups/export.xlsx")
async def export_xlsx(
    request: Request,
    user: PageSeller,
    period: Kind = "month",
    start: date | None = None,
    scope: Scope | None = None,
    id: UUID | None = None,
) -> Response:
    """The totals shown as an Excel workbook: one sheet, amounts as numbers."""
    column, name, table = await _table(request, user, period, start, scope, id)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "".join(c for c in column["label"] if c not in "[]:*?/\\")[:31] or "Plan"
    for row in table:
        sheet.append([float(value) if isinstance(value, Decimal) else value for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=4):
        for cell in row:
            cell.number_format = "#,##0.00"
    for letter, width in zip("ABCDEFG", (18, 12, 36, 16, 16, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    data = io.BytesIO()
    book.save(data)
    return _download(data.getvalue(), XLSX, f"{name}.xlsx")
