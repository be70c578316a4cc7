"""Must-read documents: the caller's list, the owner's view of confirmations, "I have read it"."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from sqlalchemy import select

from services.knowledge.api.documents import document_answer
from services.knowledge.schemas import (
    ConfirmationPublic,
    Confirmations,
    DocumentPublic,
    MustRead,
    MustReadItem,
)
from services.knowledge.tables import Acknowledgement, Document
from services.knowledge.usecases import acknowledgements as usecases
from services.knowledge.usecases.access import find_document, reader_of
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Forbidden

router = APIRouter(prefix="/api/documents", tags=["must-read"])


@router.get("/must-read")
async def my_must_reads(
    sessions: Sessions, identity: CurrentIdentity, pending: bool = False
) -> list[MustReadItem]:
    """The caller's must-read documents (current versions), those waiting first."""
    query = (
        select(Acknowledgement, Document.title)
        .join(Document, Document.id == Acknowledgement.document_id)
        .where(
            Acknowledgement.user_id == UUID(identity.user_id),
            Acknowledgement.version == Document.version,
            Document.archived_at.is_(None),
        )
        .order_by(
            Acknowledgement.acknowledged_at.desc().nulls_first(),
            Acknowledgement.requested_at.desc(),
        )
        .limit(500)
    )
    if pending:
        query = query.where(Acknowledgement.acknowledged_at.is_(None))
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        MustReadItem(
            document_id=row.document_id,
            title=title,
            version=row.version,
            requested_at=row.requested_at,
            acknowledged_at=row.acknowledged_at,
        )
        for row, title in rows
    ]


@router.put("/{document_id}/must-read")
async def set_must_read(
    document_id: UUID, body: MustRead, sessions: Sessions, identity: CurrentIdentity
) -> DocumentPublic:
    """Who must confirm every version; those named and not asked yet are asked now."""
    await usecases.set_must_read(
        sessions,
        identity=identity,
        document_id=document_id,
        audience=body.audience,
        now=datetime.now(UTC),
    )
    return await document_answer(sessions, identity, document_id)


@router.post("/{document_id}/acknowledge")
async def acknowledge(
    document_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> MustReadItem:
    """ "I have read it": confirm the current version (again: nothing changes)."""
    asked = await usecases.acknowledge(
        sessions, identity=identity, document_id=document_id, now=datetime.now(UTC)
    )
    async with sessions() as session:
        title = await session.scalar(select(Document.title).where(Document.id == document_id))
    return MustReadItem(
        document_id=document_id,
        title=title or "",
        version=asked.version,
        requested_at=asked.requested_at,
        acknowledged_at=asked.acknowledged_at,
    )


@router.get("/{document_id}/acknowledgements")
async def confirmations(
    document_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> Confirmations:
    """For the owner and editors: who has confirmed the current version and who has not."""
    async with sessions() as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id)
        if not reader.may_edit(document):
            raise Forbidden("only the owner and the folder's editors see who has confirmed")
        people = await usecases.confirmations(session, document)
    confirmed = sum(1 for p in people if p.acknowledged_at is not None)
    return Confirmations(
        version=document.version,
        confirmed=confirmed,
        waiting=len(people) - confirmed,
        people=[ConfirmationPublic.of(p) for p in people],
    )
