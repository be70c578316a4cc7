"""What people do with posts in the pages: write one (with files and mentions), comment,
react, confirm, pin, edit, delete, promote to a document. Each answers with the post's card (or
where the page goes next); a refusal is said in the open page, next to the form or as a message."""

from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read, reasons
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.feed.shown import LISTS, prepared, setting
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, fragment, render
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)


async def _card(request: Request, user: User, sessions: Sessions, post_id: str) -> Response:
    post = prepared(await read(request, user, "knowledge", f"/api/posts/{post_id}"))
    shown = await setting(sessions)
    return render(request, "feed/_post.html", user, post=post, **shown.context(request, user))


def _refused(answer: httpx.Response) -> Response:
    """The refusal as a message in the open page; the page stays as it is."""
    headers = {**complaint(" ".join(reasons(answer))), "HX-Reswap": "none"}
    return Response(status_code=answer.status_code, headers=headers)


async def _mentioned(sessions: Sessions, form: FormData, text: str) -> list[str]:
    """The people picked from the suggestions whose @name is still in the text."""
    picked: list[UUID] = []
    for value in form.getlist("mentions"):
        try:
            picked.append(UUID(str(value)))
        except ValueError:
            continue
    if not picked:
        return []
    async with sessions() as session:
        people = await session.execute(select(User.id, User.name).where(User.id.in_(picked)))
        return [str(id_) for id_, name in people if f"@{name}" in text]


async def _attach(request: Request, user: User, form: FormData) -> list[str] | httpx.Response:
    """Each chosen file sent to the knowledge service; their ids, or the first refusal."""
    ids = []
    for upload in form.getlist("files"):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        sent = {"file": (upload.filename, upload.file, upload.content_type)}
        answer = await ask(request, user, "knowledge", "POST", "/api/feed/attachments", files=sent)
        if answer.status_code != status.HTTP_201_CREATED:
            return answer
        ids.append(answer.json()["id"])
    return ids


def _composed(form: FormData, text: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": text,
        "audience": [str(value) for value in form.getlist("audience")] or ["everyone"],
        "important": form.get("important") == "on",
    }
    if form.get("record_kind") and form.get("record_id"):
        body["record"] = {"target": form["record_kind"], "target_id": form["record_id"]}
    return body


@router.post("/feed/posts")
async def write_post(request: Request, user: PageUser, sessions: Sessions) -> Response:
    """A new post from a composer: its card goes on top of the list it was written in."""
    form = await request.form()
    text = str(form.get("text", "")).strip()
    body = _composed(form, text)
    body["mentions"] = await _mentioned(sessions, form, text)
    attached = await _attach(request, user, form)
    if isinstance(attached, httpx.Response):
        return _problems(request, user, attached)
    body["attachment_ids"] = attached
    answer = await ask(request, user, "knowledge", "POST", "/api/posts", json=body)
    if answer.status_code != status.HTTP_201_CREATED:
        return _problems(request, user, answer)
    card = await _card(request, user, sessions, answer.json()["id"])
    into = str(form.get("into", ""))
    card.headers["HX-Retarget"] = into if into in LISTS else LISTS[0]
    card.headers["HX-Reswap"] = "afterbegin"
    card.headers["HX-Trigger"] = "crm:posted"
    return card


def _problems(request: Request, user: User, answer: httpx.Response) -> Response:
    found = problems(answer)
    if answer.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
        found = {"files": _("The file is larger than the limit.")}
    html = fragment(request, "feed/_problems.html", user, problems=found)
    return Response(html, status_code=answer.status_code, media_type="text/html")


@router.post("/feed/posts/{post_id}/comments")
async def comment(request: Request, user: PageUser, sessions: Sessions, post_id: UUID) -> Response:
    form = await request.form()
    text = str(form.get("text", "")).strip()
    body = {"text": text, "mentions": await _mentioned(sessions, form, text)}
    answer = await ask(
        request, user, "knowledge", "POST", f"/api/posts/{post_id}/comments", json=body
    )
    if answer.status_code != status.HTTP_201_CREATED:
        return _refused(answer)
    return await _card(request, user, sessions, str(post_id))


async def _then_card(
    request: Request,
    user: User,
    sessions: Sessions,
    post_id: UUID,
    method: str,
    path: str,
    **kwargs: Any,
) -> Response:
    answer = await ask(request, user, "knowledge", method, path, **kwargs)
    if not answer.is_success:
        return _refused(answer)
    return await _card(request, user, sessions, str(post_id))


@router.post("/feed/posts/{post_id}/reactions")
async def react(request: Request, user: PageUser, sessions: Sessions, post_id: UUID) -> Response:
    """A reaction added, or taken back when the reader had it (`on` = 0)."""
    form = await request.form()
    reaction = str(form.get("reaction", ""))
    path = f"/api/posts/{post_id}/reactions"
    if form.get("on") == "0":
        return await _then_card(request, user, sessions, post_id, "DELETE", f"{path}/{reaction}")
    return await _then_card(
        request, user, sessions, post_id, "POST", path, json={"reaction": reaction}
    )


@router.post("/feed/posts/{post_id}/acknowledge")
async def acknowledge(
    request: Request, user: PageUser, sessions: Sessions, post_id: UUID
) -> Response:
    """ "I have read it"."""
    path = f"/api/posts/{post_id}/acknowledge"
    return await _then_card(request, user, sessions, post_id, "POST", path)


@router.post("/feed/posts/{post_id}/pin")
async def pin(request: Request, user: PageUser, sessions: Sessions, post_id: UUID) -> Response:
    form = await request.form()
    body = {"pinned": form.get("pinned") == "1"}
    path = f"/api/posts/{post_id}"
    return await _then_card(request, user, sessions, post_id, "PATCH", path, json=body)


@router.post("/feed/posts/{post_id}/delete")
async def delete(request: Request, user: PageUser, post_id: UUID) -> Response:
    """The card goes from the page (the others' pages hear of it)."""
    answer = await ask(request, user, "knowledge", "DELETE", f"/api/posts/{post_id}")
    if not answer.is_success:
        return _refused(answer)
    return Response("", media_type="text/html")


@router.get("/feed/posts/{post_id}/edit")
async def edit_form(
    request: Request, user: PageUser, sessions: Sessions, post_id: UUID
) -> Response:
    post = await read(request, user, "knowledge", f"/api/posts/{post_id}")
    shown = await setting(sessions)
    context = {**shown.context(request, user), "post": post, "problems": {}}
    return render(request, "feed/_edit.html", user, **context)


@router.post("/feed/posts/{post_id}/edit")
async def edit(request: Request, user: PageUser, sessions: Sessions, post_id: UUID) -> Response:
    """The author's new text and audience; the old text stays in the post's history."""
    form = await request.form()
    text = str(form.get("text", "")).strip()
    body = {
        "text": text,
        "audience": [str(value) for value in form.getlist("audience")] or ["everyone"],
        "important": form.get("important") == "on",
        "mentions": await _mentioned(sessions, form, text),
    }
    answer = await ask(request, user, "knowledge", "PATCH", f"/api/posts/{post_id}", json=body)
    if answer.is_success:
        return await _card(request, user, sessions, str(post_id))
    post = {**await read(request, user, "knowledge", f"/api/posts/{post_id}"), "text": text}
    shown = await setting(sessions)
    context = {**shown.context(request, user), "post": post, "problems": problems(answer)}
    return render(request, "feed/_edit.html", user, status_code=answer.status_code, **context)


@router.post("/feed/posts/{post_id}/promote")
async def promote(request: Request, user: PageUser, post_id: UUID) -> Response:
    """The post becomes a document in the chosen folder; the document's page opens."""
    form = await request.form()
    body: dict[str, Any] = {"folder_id": str(form.get("folder_id", ""))}
    if str(form.get("title", "")).strip():
        body["title"] = str(form["title"]).strip()
    answer = await ask(
        request, user, "knowledge", "POST", f"/api/posts/{post_id}/promote", json=body
    )
    if answer.status_code != status.HTTP_201_CREATED:
        return _refused(answer)
    return redirect(request, answer.json()["url"])
