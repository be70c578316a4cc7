"""The import page: upload a CSV of companies, contacts or deals, watch it go in, look back."""

from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from services.gateway.web.backend import ask, part, read, reasons
from services.gateway.web.common import PageSeller
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render, templates
from shared.text import N_

router = APIRouter(include_in_schema=False)

STATUSES = {"running": N_("in progress"), "done": N_("done"), "failed": N_("failed")}
RECORDS = {"company": N_("Companies"), "contact": N_("Contacts"), "deal": N_("Deals")}
templates.globals.update(
    import_status=lambda status: _(STATUSES.get(status) or status),
    record_label=lambda record_type: _(RECORDS.get(record_type) or record_type),
)

MAX_UPLOAD = 10 * 1024 * 1024 + 1  # the deals service refuses more; we stop reading there


@router.get("/imports")
async def import_page(request: Request, user: PageSeller) -> Response:
    history = await part(read(request, user, "deals", "/api/imports"), {"items": []})
    return render(request, "imports/import.html", user, job=None, errors=[], history=history)


@router.get("/imports/history")
async def history_page(request: Request, user: PageSeller, cursor: str | None = None) -> Response:
    """The next page of past imports, as rows for the history table (HTMX)."""
    page = await read(
        request, user, "deals", "/api/imports", **({"cursor": cursor} if cursor else {})
    )
    return render(request, "imports/_history_rows.html", user, page=page)


@router.post("/imports")
async def upload(request: Request, user: PageSeller) -> Response:
    """Hand the file to the deals service; answer with the progress box that polls itself."""
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return render(
            request,
            "imports/_import_job.html",
            user,
            status_code=422,
            job=None,
            errors=[_("Choose a CSV file.")],
        )
    content = await file.read(MAX_UPLOAD)
    answer = await ask(
        request,
        user,
        "deals",
        "POST",
        "/api/imports",
        data={"record_type": str(form.get("record_type", "deal"))},
        files={"file": (file.filename, content, "text/csv")},
    )
    if answer.is_error:
        return render(
            request,
            "imports/_import_job.html",
            user,
            status_code=422,
            job=None,
            errors=reasons(answer),
        )
    return render(request, "imports/_import_job.html", user, job=answer.json(), errors=[])


@router.get("/imports/{job_id}")
async def progress(request: Request, job_id: UUID, user: PageSeller) -> Response:
    job = await read(request, user, "deals", f"/api/imports/{job_id}")
    return render(request, "imports/_import_job.html", user, job=job, errors=[])
