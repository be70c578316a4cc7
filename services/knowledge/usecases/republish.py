"""Knowledge's snapshot topics made again from the database (`crm events republish knowledge
document|service|request|post`): each record's current state as the event that carries it
whole; an archived document and a deleted post as tombstones."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.knowledge.feed_tables import Post, PostAttachment
from services.knowledge.service_tables import RequestStep, Service, ServiceRequest, ServiceVersion
from services.knowledge.tables import Document, DocumentVersion
from services.knowledge.usecases.documents import snapshot as document_snapshot
from services.knowledge.usecases.posts import snapshot_of
from services.knowledge.usecases.request_events import request_state
from services.knowledge.usecases.services import published
from shared.bus import Message
from shared.contracts.knowledge import (
    DocumentVersioned,
    FormField,
    PostEdited,
    RequestAccepted,
    RequestCancelled,
    RequestDelivered,
    RequestRejected,
    RequestReturned,
    RequestSnapshot,
    RequestSubmitted,
)
from shared.republish import Aggregate, each, state


def _document(row: Any) -> Message:
    document, version = row
    data = DocumentVersioned(
        **document_snapshot(document),
        author_id=version.author_id,
        note=version.note,
        restored_from=version.restored_from,
    )
    return state(document.id, document.updated_at, data, ended=document.archived_at is not None)


def _service(row: Any) -> Message:
    service, version = row
    return state(service.id, service.updated_at, published(service, version))


# A request's state as the event of the step that brought it there; what that step said (the
# comment of a return, the reason of a refusal) from the step itself.
BY_STATUS: dict[str, tuple[type[RequestSnapshot], str | None]] = {
    "submitted": (RequestSubmitted, None),
    "accepted": (RequestAccepted, None),
    "returned": (RequestReturned, "comment"),
    "delivered": (RequestDelivered, None),
    "rejected": (RequestRejected, "reason"),
    "cancelled": (RequestCancelled, "reason"),
}


async def _requests(session: AsyncSession, rows: Sequence[Any]) -> list[Message]:
    ids = [request.id for request, _, _ in rows]
    last_steps = await session.execute(
        select(RequestStep.request_id, RequestStep.author_id, RequestStep.body)
        .where(RequestStep.request_id.in_(ids), RequestStep.kind != "comment")
        .order_by(RequestStep.request_id, RequestStep.at.desc(), RequestStep.id.desc())
        .ext(distinct_on(RequestStep.request_id))
    )
    last: dict[Any, tuple[UUID, str]] = {
        request_id: (author, body) for request_id, author, body in last_steps
    }
    messages = []
    for request, service_name, outputs in rows:
        contract, said = BY_STATUS[request.status]
        actor, body = last.get(request.id, (None, ""))
        extra: dict[str, Any] = {said: body} if said else {}
        if contract is RequestDelivered:
            extra["output_fields"] = [FormField(**one) for one in outputs]
        data = request_state(request, service_name, contract, actor_id=actor, **extra)
        messages.append(state(request.id, request.updated_at, data))
    return messages


async def _posts(session: AsyncSession, rows: Sequence[Any]) -> list[Message]:
    ids = [post.id for (post,) in rows]
    counted = await session.execute(
        select(PostAttachment.post_id, func.count())
        .where(PostAttachment.post_id.in_(ids))
        .group_by(PostAttachment.post_id)
    )
    attachments: dict[Any, int] = {post_id: count for post_id, count in counted}
    messages = []
    for (post,) in rows:
        data = PostEdited(
            **snapshot_of(post, attachments.get(post.id, 0)), edited_by=post.author_id
        )
        messages.append(state(post.id, post.updated_at, data, ended=post.deleted_at is not None))
    return messages


AGGREGATES: dict[str, Aggregate] = {
    "document": Aggregate(
        lambda: select(Document, DocumentVersion).join(
            DocumentVersion,
            and_(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.number == Document.version,
            ),
        ),
        Document,
        each(_document),
    ),
    "service": Aggregate(
        lambda: select(Service, ServiceVersion).join(
            ServiceVersion,
            and_(ServiceVersion.service_id == Service.id, ServiceVersion.number == Service.version),
        ),
        Service,
        each(_service),
    ),
    "request": Aggregate(
        lambda: (
            select(ServiceRequest, Service.name, ServiceVersion.outputs)
            .join(Service, Service.id == ServiceRequest.service_id)
            .join(
                ServiceVersion,
                and_(
                    ServiceVersion.service_id == ServiceRequest.service_id,
                    ServiceVersion.number == ServiceRequest.service_version,
                ),
            )
        ),
        ServiceRequest,
        _requests,
    ),
    "post": Aggregate(lambda: select(Post).options(defer(Post.search)), Post, _posts),
}
