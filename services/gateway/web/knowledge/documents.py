"""A document's page: its preview, details, versions, must-read and the reader's confirmation;
the form that changes its details, where it is filed and, for a page, its text."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import Refused, ask, part, problems, read, reasons
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.knowledge.library import tree
from services.gateway.web.knowledge.markdown import render_markdown
from services.gateway.web.knowledge.principals import labels, principal_choices
from services.gateway.web.rendering import complaint, render
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)

PREVIEW_TEXT = 200_000  # bytes of a text file (characters of the text read out of a file) shown
IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
TEXTS = ("text/plain", "text/csv")


def preview_of(document: dict[str, Any]) -> str:
    """How the page shows the content: a PDF in the browser's viewer, an image, text, a page."""
    media_type = document["media_type"]
    if document["kind"] == "page" or media_type == "text/markdown":
        return "markdown"
    if media_type == "application/pdf":
        return "pdf"
    if media_type in IMAGES:
        return "image"
    if media_type in TEXTS:
        return "text"
    extraction = document.get("extraction") or {}
    return "extracted" if extraction.get("status") == "done" else "none"


async def _text(request: Request, user: User, document: dict[str, Any]) -> str:
    path = f"/api/documents/{document['id']}/content"
    answer = await ask(
        request, user, "knowledge", "GET", path, headers={"Range": f"bytes=0-{PREVIEW_TEXT - 1}"}
    )
    return answer.content.decode("utf-8", errors="replace") if answer.is_success else ""


async def _extracted(request: Request, user: User, document: dict[str, Any]) -> str:
    """The text read out of a file the browser cannot show (DOCX, ODT, XLSX), for its preview."""
    path = f"/api/documents/{document['id']}/text"
    answer = await ask(request, user, "knowledge", "GET", path, params={"limit": PREVIEW_TEXT})
    return answer.text if answer.is_success else ""


@router.get("/knowledge/documents/{document_id}")
async def document_page(
    request: Request, user: PageUser, document_id: UUID, sessions: Sessions
) -> Response:
    path = f"/api/documents/{document_id}"
    document = await read(request, user, "knowledge", path)
    versions = await read(request, user, "knowledge", f"{path}/versions")
    preview = preview_of(document)
    text = ""
    if preview in ("markdown", "text"):
        text = await _text(request, user, document)
    elif preview == "extracted":
        text = await _extracted(request, user, document)
    confirmations = None
    if document["may_edit"] and document["must_read"]:
        confirmations = (
            await part(read(request, user, "knowledge", f"{path}/acknowledgements"), None)
        ).value
    choices = await principal_choices(sessions, people=False) if document["may_edit"] else []
    folder = None
    if document["folder_id"]:
        folder = (
            await part(
                read(request, user, "knowledge", f"/api/folders/{document['folder_id']}"), None
            )
        ).value
    context = {
        "document": document,
        "versions": versions,
        "preview": preview,
        "html": render_markdown(text) if preview == "markdown" else "",
        "text": text,
        "confirmations": confirmations,
        "choices": [c for c in choices if c.value != "everyone"],
        "names": labels(choices),
        "folder": folder,
    }
    return render(request, "knowledge/document.html", user, **context)


async def _act(
    request: Request, user: User, method: str, path: str, back: str, **kwargs: Any
) -> Response:
    answer = await ask(request, user, "knowledge", method, path, **kwargs)
    if answer.is_success:
        return redirect(request, back)
    message = " ".join(reasons(answer))
    return Response(status_code=answer.status_code, headers=complaint(message))


@router.post("/knowledge/documents/{document_id}/acknowledge")
async def acknowledge(request: Request, user: PageUser, document_id: UUID) -> Response:
    """ "I have read it"."""
    path = f"/api/documents/{document_id}/acknowledge"
    return await _act(request, user, "POST", path, f"/knowledge/documents/{document_id}")


@router.post("/knowledge/documents/{document_id}/versions/{number}/restore")
async def restore(request: Request, user: PageUser, document_id: UUID, number: int) -> Response:
    path = f"/api/documents/{document_id}/versions/{number}/restore"
    return await _act(request, user, "POST", path, f"/knowledge/documents/{document_id}")


@router.post("/knowledge/documents/{document_id}/must-read")
async def must_read(request: Request, user: PageUser, document_id: UUID) -> Response:
    form = await request.form()
    body = {"audience": [str(value) for value in form.getlist("audience")]}
    path = f"/api/documents/{document_id}/must-read"
    return await _act(request, user, "PUT", path, f"/knowledge/documents/{document_id}", json=body)


@router.post("/knowledge/documents/{document_id}/archive")
async def archive(request: Request, user: PageUser, document_id: UUID) -> Response:
    return await _act(request, user, "DELETE", f"/api/documents/{document_id}", "/knowledge")


@router.get("/knowledge/documents/{document_id}/edit")
async def edit_document(request: Request, user: PageUser, document_id: UUID) -> Response:
    """Change the title, description, tags, validity and folder; a page's text too."""
    document = await read(request, user, "knowledge", f"/api/documents/{document_id}")
    if document["archived_at"] or not document["may_edit"]:
        reason = (
            _("This document is archived.")
            if document["archived_at"]
            else _("Only its folder's editors change a document.")
        )
        raise Refused("knowledge", status.HTTP_403_FORBIDDEN, {"form": reason})
    text = await _text(request, user, document) if document["kind"] == "page" else ""
    return await _edit_form(request, user, document, _details(document), {"text": text})


def _details(document: dict[str, Any]) -> dict[str, str]:
    """The details form filled in as the document is."""
    return {
        "title": document["title"],
        "description": document["description"],
        "tags": ", ".join(document["tags"]),
        "valid_until": document["valid_until"] or "",
        "folder_id": document["folder_id"] or "",
    }


@router.post("/knowledge/documents/{document_id}/edit")
async def save_details(request: Request, user: PageUser, document_id: UUID) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    tags = dict.fromkeys(tag.strip() for tag in form.get("tags", "").split(","))
    body = {
        "title": form.get("title", "").strip(),
        "description": form.get("description", "").strip(),
        "tags": [tag for tag in tags if tag],
        "valid_until": form.get("valid_until") or None,
        "folder_id": form.get("folder_id") or None,
    }
    path = f"/api/documents/{document_id}"
    answer = await ask(request, user, "knowledge", "PATCH", path, json=body)
    if answer.is_success:
        return redirect(request, f"/knowledge/documents/{document_id}")
    document = await read(request, user, "knowledge", path)
    text = await _text(request, user, document) if document["kind"] == "page" else ""
    return await _edit_form(
        request, user, document, form, {"text": text}, problems(answer), answer.status_code
    )


@router.post("/knowledge/documents/{document_id}/text")
async def save_text(request: Request, user: PageUser, document_id: UUID) -> Response:
    """A page's new text, as its new version."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    data = {"text": form.get("text", ""), "note": form.get("note", "")}
    path = f"/api/documents/{document_id}"
    answer = await ask(request, user, "knowledge", "POST", f"{path}/versions", data=data)
    if answer.is_success:
        return redirect(request, f"/knowledge/documents/{document_id}")
    document = await read(request, user, "knowledge", path)
    return await _edit_form(
        request, user, document, _details(document), form, problems(answer), answer.status_code
    )


async def _edit_form(
    request: Request,
    user: User,
    document: dict[str, Any],
    details: dict[str, Any],
    page: dict[str, str],
    found: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    folders = await read(request, user, "knowledge", "/api/folders")
    return render(
        request,
        "knowledge/document_form.html",
        user,
        status_code=status_code,
        document=document,
        details=details,
        page=page,
        folders=[
            (folder, depth)
            for folder, depth in tree(folders)
            if folder["may_edit"] or folder["id"] == document["folder_id"]
        ],
        problems=found or {},
    )
