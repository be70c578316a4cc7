"""`/api/requests`: requests to departments, their steps, comments and files; the queue and the
department's load."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import ColumnElement, func, literal, select

from services.knowledge.api.content import content_response
from services.knowledge.api.deps import Store, upload_limit, wake_extractor
from services.knowledge.api.forms import openapi_body, read_upload
from services.knowledge.api.request_views import department_names, requests_public
from services.knowledge.domain.lifecycle import RUNNING, Status
from services.knowledge.service_schemas import (
    BulkAccept,
    CommentCreate,
    DepartmentLoad,
    LoadRow,
    RequestAccept,
    RequestCancel,
    RequestCreate,
    RequestDeliver,
    RequestPublic,
    RequestReject,
    RequestResubmit,
    RequestReturn,
    StepPublic,
    UploadedFile,
)
from services.knowledge.service_tables import RequestFile, ServiceRequest
from services.knowledge.tables import Document, Member
from services.knowledge.uploads import ContentInfo
from services.knowledge.usecases import requests as usecases
from services.knowledge.usecases.documents import create_document
from services.knowledge.usecases.request_access import find_request, in_department, visible_requests
from services.knowledge.usecases.requests import Origin
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions
from shared.errors import Forbidden, Invalid, NotFound
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    UpdatedSince,
    changes,
    changes_page,
    keyset,
    page_of,
)
from shared.reads import json_answer
from shared.text import N_

router = APIRouter(prefix="/api/requests", tags=["requests"])
UploadLimit = Annotated[int, Depends(upload_limit)]
# Requests that are not running sort after every running one in the queue.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


async def _answer(sessions: Sessions, identity: Identity, request_id: UUID) -> RequestPublic:
    async with sessions() as session:
        request = await find_request(session, identity, request_id)
        [public] = await requests_public(session, identity, [request], with_steps=True)
    return public


@router.post(
    "/files",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(wake_extractor)],
    openapi_extra=openapi_body(["file"]),
)
async def upload_file(
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    limit: UploadLimit,
) -> UploadedFile:
    """A file (multipart `file`) to give as an input, an output or with a comment: kept as a
    document of the uploader's, readable through every request it is given with."""
    received = await read_upload(request, limit=limit)
    content = received.content
    if content is None or received.page:
        raise Invalid({"file": N_("send a file")})
    try:
        document = await create_document(
            sessions,
            store,
            identity=identity,
            folder_id=None,
            kind="file",
            details=received.form.details(content.file_name),
            content=content,
            note="",
            target=None,
            now=_now(),
        )
    finally:
        content.file.close()
    return UploadedFile(
        document_id=document.id,
        file_name=document.file_name,
        size=document.size,
        media_type=document.media_type,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def submit_request(
    body: RequestCreate, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    """Raise a request; it is refused, naming each field, unless every required input is given."""
    request = await usecases.submit_request(
        sessions,
        identity=identity,
        service_id=body.service_id,
        inputs=body.inputs,
        origin=Origin(body.deal_id, body.company_id, body.contact_id),
        comment=body.comment,
        now=_now(),
    )
    return await _answer(sessions, identity, request.id)


@router.get("", response_model=Page[RequestPublic])
async def list_requests(
    sessions: Sessions,
    identity: CurrentIdentity,
    mine: bool = Query(default=False, description="only those the caller raised"),
    department: UUID | None = Query(default=None, description="only this department's"),
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    deal_id: UUID | None = None,
    company_id: UUID | None = None,
    service_id: UUID | None = None,
    assignee: str | None = Query(default=None, description="`me`, `none` or a user's id"),
    sort: Literal["-submitted_at", "due_at"] = Query(
        default="-submitted_at", description="newest first, or the SLA's end first (a queue)"
    ),
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The requests the caller may see: their own, their group's for a head, their
    department's for its staff, all for the administrator. With `updated_since`, those changed
    since (closed ones too), in order of change."""
    query = select(ServiceRequest).where(visible_requests(identity))
    if mine:
        query = query.where(ServiceRequest.requester_id == UUID(identity.user_id))
    for column, value in (
        (ServiceRequest.department_id, department),
        (ServiceRequest.deal_id, deal_id),
        (ServiceRequest.company_id, company_id),
        (ServiceRequest.service_id, service_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if status_:
        query = query.where(ServiceRequest.status.in_(status_))
    if assignee is not None:
        query = query.where(_assigned(identity, assignee))
    if updated_since is not None:
        query = changes(
            query,
            ServiceRequest.updated_at,
            ServiceRequest.id,
            since=updated_since,
            cursor=cursor,
            limit=limit,
        )
    elif sort == "due_at":
        due = func.coalesce(ServiceRequest.due_at, literal(NEVER))
        query = keyset(
            query,
            (due, ServiceRequest.id),
            cursor=cursor,
            types=(datetime.fromisoformat, UUID),
            limit=limit,
            named="due_at",
        )
    else:
        query = keyset(
            query,
            (ServiceRequest.submitted_at, ServiceRequest.id),
            cursor=cursor,
            types=(datetime.fromisoformat, UUID),
            limit=limit,
            descending=True,
        )
    async with sessions() as session:
        items = await requests_public(session, identity, list(await session.scalars(query)))
    # Each answer written once, not validated again on the way out.
    if updated_since is not None:
        return json_answer(changes_page(items, limit))
    if sort == "due_at":
        return json_answer(
            page_of(
                items, limit, key=lambda r: ((r.due_at or NEVER).isoformat(), r.id), named="due_at"
            )
        )
    return json_answer(page_of(items, limit, key=lambda r: (r.submitted_at.isoformat(), r.id)))


def _assigned(identity: Identity, assignee: str) -> ColumnElement[bool]:
    if assignee == "none":
        return ServiceRequest.assignee_id.is_(None)
    try:
        who = UUID(identity.user_id) if assignee == "me" else UUID(assignee)
    except ValueError:
        raise Invalid({"assignee": N_("`me`, `none` or a user's id")}, where="query") from None
    return ServiceRequest.assignee_id == who


@router.get("/load")
async def department_load(
    sessions: Sessions, identity: CurrentIdentity, department_id: UUID | None = None
) -> DepartmentLoad:
    """Open requests of a department by who took them (none: waiting), with those close to or
    past their SLA: for the department's staff and head, and the administrator."""
    department_id = department_id or (
        UUID(identity.department_id) if identity.department_id else None
    )
    if department_id is None:
        raise Invalid({"department_id": N_("name the department")}, where="query")
    if identity.role != "admin" and not in_department(identity, department_id):
        raise Forbidden(N_("only the department's staff see its load"))
    now = _now()
    running = ServiceRequest.status.in_(RUNNING)
    query = (
        select(
            ServiceRequest.assignee_id,
            func.count(),
            func.count().filter(
                running, ServiceRequest.warn_at <= now, ServiceRequest.due_at > now
            ),
            func.count().filter(running, ServiceRequest.due_at <= now),
        )
        .where(
            ServiceRequest.department_id == department_id,
            ServiceRequest.status.in_(("submitted", "accepted", "returned")),
        )
        .group_by(ServiceRequest.assignee_id)
    )
    async with sessions() as session:
        counts = (await session.execute(query)).all()
        people = {
            id_: name
            for id_, name in await session.execute(
                select(Member.id, Member.name).where(
                    Member.id.in_([row[0] for row in counts if row[0]])
                )
            )
        }
        name = (await department_names(session, [department_id])).get(department_id, "")
    rows = [
        LoadRow(
            assignee_id=assignee,
            assignee_name=people.get(assignee) if assignee else None,
            open=open_,
            due_soon=soon,
            overdue=late,
        )
        for assignee, open_, soon, late in counts
    ]
    rows.sort(key=lambda row: (row.assignee_id is not None, -row.open))
    return DepartmentLoad(department_id=department_id, department_name=name, rows=rows)


@router.post("/accept")
async def accept_many(
    body: BulkAccept, sessions: Sessions, identity: CurrentIdentity
) -> list[RequestPublic]:
    """Take several requests from the queue at once: all of them, or none (409 naming each)."""
    accepted = await usecases.accept_requests(
        sessions, identity=identity, request_ids=body.request_ids, assignee_id=None, now=_now()
    )
    async with sessions() as session:
        return await requests_public(session, identity, accepted)


@router.get("/{request_id}")
async def get_request(
    request_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    """One request with its steps and comments (404 for one the caller may not see)."""
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/accept")
async def accept_request(
    request_id: UUID,
    sessions: Sessions,
    identity: CurrentIdentity,
    body: RequestAccept | None = None,
) -> RequestPublic:
    """Take the request (the department's staff); the head may give it to a colleague."""
    await usecases.accept_requests(
        sessions,
        identity=identity,
        request_ids=[request_id],
        assignee_id=body.assignee_id if body else None,
        now=_now(),
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/return")
async def return_request(
    request_id: UUID, body: RequestReturn, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    """Ask the requester for information; the SLA clock stops until they resubmit."""
    await usecases.return_request(
        sessions, identity=identity, request_id=request_id, comment=body.comment, now=_now()
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/resubmit")
async def resubmit_request(
    request_id: UUID, body: RequestResubmit, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    """The requester amends the inputs given and sends the request back."""
    await usecases.resubmit_request(
        sessions,
        identity=identity,
        request_id=request_id,
        inputs=body.inputs,
        comment=body.comment,
        now=_now(),
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/deliver")
async def deliver_request(
    request_id: UUID, body: RequestDeliver, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    """Deliver the outputs; refused, naming each field, unless every required one is given."""
    await usecases.deliver_request(
        sessions,
        identity=identity,
        request_id=request_id,
        outputs=body.outputs,
        comment=body.comment,
        now=_now(),
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/reject")
async def reject_request(
    request_id: UUID, body: RequestReject, sessions: Sessions, identity: CurrentIdentity
) -> RequestPublic:
    await usecases.reject_request(
        sessions, identity=identity, request_id=request_id, reason=body.reason, now=_now()
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/cancel")
async def cancel_request(
    request_id: UUID,
    sessions: Sessions,
    identity: CurrentIdentity,
    body: RequestCancel | None = None,
) -> RequestPublic:
    await usecases.cancel_request(
        sessions,
        identity=identity,
        request_id=request_id,
        reason=body.reason if body else "",
        now=_now(),
    )
    return await _answer(sessions, identity, request_id)


@router.post("/{request_id}/comments", status_code=status.HTTP_201_CREATED)
async def comment_on(
    request_id: UUID, body: CommentCreate, sessions: Sessions, identity: CurrentIdentity
) -> StepPublic:
    """A comment, with uploaded files perhaps; the other side is told."""
    step = await usecases.comment_on(
        sessions,
        identity=identity,
        request_id=request_id,
        body=body.body,
        files=body.files,
        now=_now(),
    )
    answer = await _answer(sessions, identity, request_id)
    return next(s for s in answer.steps or [] if s.id == step.id)


@router.get("/{request_id}/comments")
async def list_comments(
    request_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> list[StepPublic]:
    """Every step and comment of the request, the oldest first."""
    return (await _answer(sessions, identity, request_id)).steps or []


@router.get("/{request_id}/files/{document_id}", response_class=Response)
async def file_content(
    request_id: UUID,
    document_id: UUID,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    inline: bool = False,
) -> Response:
    """A file given with the request, for whoever may see the request."""
    async with sessions() as session:
        await find_request(session, identity, request_id)
        document = await session.scalar(
            select(Document)
            .join(RequestFile, RequestFile.document_id == Document.id)
            .where(RequestFile.request_id == request_id, Document.id == document_id)
        )
    if document is None:
        raise NotFound("file")
    content = ContentInfo(document.file_name, document.size, document.sha256, document.media_type)
    return content_response(request, store, content, inline=inline)
