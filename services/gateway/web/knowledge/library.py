"""The catalogue: the folder tree beside a folder's documents, uploads, new folders and access."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.knowledge.principals import labels, principal_choices
from services.gateway.web.rendering import render
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)


def tree(folders: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """The folders in tree order, each with its depth (a folder whose parent the user may not
    read stands at the top)."""
    known = {folder["id"] for folder in folders}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for folder in folders:
        parent = folder["parent_id"] if folder["parent_id"] in known else None
        children.setdefault(parent, []).append(folder)
    ordered: list[tuple[dict[str, Any], int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for folder in sorted(children.get(parent, []), key=lambda f: f["name"].lower()):
            ordered.append((folder, depth))
            walk(folder["id"], depth + 1)

    walk(None, 0)
    return ordered


async def _library(
    request: Request, user: User, folder: UUID | None, cursor: str | None
) -> dict[str, Any]:
    folders = await read(request, user, "knowledge", "/api/folders")
    params: dict[str, Any] = {"folder_id": str(folder)} if folder else {"unfiled": "true"}
    if cursor:
        params["cursor"] = cursor
    documents = await read(request, user, "knowledge", "/api/documents", **params)
    current = next((f for f in folders if f["id"] == str(folder)), None) if folder else None
    return {
        "folders": tree(folders),
        "current": current,
        "documents": documents,
        "may_upload": current is None or current["may_edit"],
        "may_add_folder": user.role == "admin" or (current is not None and current["may_edit"]),
        "problems": {},
    }


@router.get("/knowledge")
async def library(
    request: Request, user: PageUser, folder: UUID | None = None, cursor: str | None = None
) -> Response:
    """A folder's documents (without one: the user's own, outside the folders)."""
    context = await _library(request, user, folder, cursor)
    return render(request, "knowledge/library.html", user, **context)


@router.post("/knowledge/folders")
async def add_folder(request: Request, user: PageUser) -> Response:
    form = await request.form()
    body: dict[str, Any] = {"name": str(form.get("name", "")).strip()}
    if form.get("parent_id"):
        body["parent_id"] = str(form["parent_id"])
    answer = await ask(request, user, "knowledge", "POST", "/api/folders", json=body)
    if answer.status_code == 201:
        return redirect(request, f"/knowledge?folder={answer.json()['id']}")
    parent = UUID(body["parent_id"]) if "parent_id" in body else None
    context = await _library(request, user, parent, None)
    context["problems"] = problems(answer)
    return render(
        request, "knowledge/library.html", user, status_code=answer.status_code, **context
    )


@router.get("/knowledge/folders/{folder_id}/access")
async def folder_access(
    request: Request, user: PageUser, folder_id: UUID, sessions: Sessions
) -> Response:
    """Who reads the folder's documents and who adds and changes them."""
    folder = await read(request, user, "knowledge", f"/api/folders/{folder_id}")
    choices = await principal_choices(sessions)
    context = {"folder": folder, "choices": choices, "names": labels(choices), "problems": {}}
    return render(request, "knowledge/access.html", user, **context)


@router.post("/knowledge/folders/{folder_id}/access")
async def save_folder_access(
    request: Request, user: PageUser, folder_id: UUID, sessions: Sessions
) -> Response:
    form = await request.form()
    body = {
        "name": str(form.get("name", "")).strip() or None,
        "readers": [str(value) for value in form.getlist("readers")],
        "editors": [str(value) for value in form.getlist("editors")],
    }
    answer = await ask(request, user, "knowledge", "PATCH", f"/api/folders/{folder_id}", json=body)
    if answer.is_success:
        return redirect(request, f"/knowledge?folder={folder_id}")
    folder = await read(request, user, "knowledge", f"/api/folders/{folder_id}")
    choices = await principal_choices(sessions)
    context = {
        "folder": folder,
        "choices": choices,
        "names": labels(choices),
        "problems": problems(answer),
    }
    return render(request, "knowledge/access.html", user, status_code=answer.status_code, **context)
