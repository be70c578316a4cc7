"""Must-read documents: the caller's list, the owner's view of confirmations, "I have read it"."""

from datetime import UTC, datetime
from functools import cache
from uuid import UUID

from fastapi import APIRouter, Response
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

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
from shared.reads import Reads, Statement, json_answer

router = APIRouter(prefix="/api/documents", tags=["must-read"])
MUST_READ_LISTED = 500


@cache
def _must_reads(pending: bool) -> Statement:
    """The caller's must-read list, built and compiled once per shape."""
    query = (
        select(
            Acknowledgement.document_id,
            Document.title,
            Acknowledgement.version,
            Acknowledgement.requested_at,
            Acknowledgement.acknowledged_at,
        )
        .join(Document, Document.id == Acknowledgement.document_id)
        .where(
            Acknowledgement.user_id == bindparam("user_id", type_=PG_UUID()),
            Acknowledgement.version == Document.version,
            Document.archived_at.is_(None),
        )
        .order_by(
            Acknowledgement.acknowledged_at.desc().nulls_first(),
            Acknowledgement.requested_at.desc(),
        )
        .limit(MUST_READ_LISTED)
    )
    if pending:
        query = query.where(Acknowledgement.acknowledged_at.is_(None))
    return Statement.of(query)


@router.get("/must-read", response_model=list[MustReadItem])
async def my_must_reads(reads: Reads, identity: CurrentIdentity, pending: bool = False) -> Response:
    """The caller's must-read documents (current versions), those waiting first."""
    rows = await reads.rows(_must_reads(pending), user_id=identity.user_id)
    return json_answer([dict(row) for row in rows])


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
