"""Uploads from the pages (drag and drop, with progress): streamed on to the knowledge service
as they arrive, answered in JSON for the page's script; and pages written in Markdown."""

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


async def _forward(request: Request, user: User, path: str) -> Response:
    answer = await ask(
        request,
        user,
        "knowledge",
        "POST",
        path,
        content=request.stream(),
        headers={"content-type": request.headers.get("content-type", "")},
    )
    if answer.status_code == status.HTTP_201_CREATED:
        back = request.query_params.get("back", "")
        location = back if back.startswith("/") and not back.startswith("//") else ""
        return JSONResponse({"location": location or f"/knowledge/documents/{answer.json()['id']}"})
    found = problems(answer)
    if answer.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
        found = {"file": _("The file is larger than the limit.")}
    return JSONResponse({"problems": found}, status_code=answer.status_code)


@router.post("/knowledge/upload")
async def upload(request: Request, user: PageUser) -> Response:
    """A new document (to a folder, or attached to a deal from its page)."""
    return await _forward(request, user, "/api/documents")


@router.post("/knowledge/documents/{document_id}/versions")
async def upload_version(request: Request, user: PageUser, document_id: UUID) -> Response:
    return await _forward(request, user, f"/api/documents/{document_id}/versions")


@router.get("/knowledge/pages/new")
async def new_page(request: Request, user: PageUser, folder: UUID | None = None) -> Response:
    """Write a page (Markdown) in the CRM."""
    return render(request, "knowledge/page_form.html", user, folder=folder, form={}, problems={})


@router.post("/knowledge/pages")
async def add_page(request: Request, user: PageUser) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    data = {key: form.get(key, "") for key in ("title", "text", "description", "tags", "folder_id")}
    answer = await ask(request, user, "knowledge", "POST", "/api/documents", data=data)
    if answer.status_code == status.HTTP_201_CREATED:
        return redirect(request, f"/knowledge/documents/{answer.json()['id']}")
    folder = form.get("folder_id") or None
    context = {"folder": folder, "form": form, "problems": problems(answer)}
    return render(
        request, "knowledge/page_form.html", user, status_code=answer.status_code, **context
    )
