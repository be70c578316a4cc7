"""Must-read documents: chosen groups or departments confirm each version ("I have read it")."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import among, groups_of, principals_of, team_ids_of
from services.knowledge.tables import Acknowledgement, Document, FolderAccess, Member
from services.knowledge.usecases.access import find_document, reader_of, team_parents
from shared.auth import Identity
from shared.contracts.knowledge import DocumentAcknowledged, DocumentAcknowledgementRequested
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


async def _recipients(session: AsyncSession, document: Document) -> list[UUID]:
    """Active people the must-read names who may read the document."""
    parents = await team_parents(session)
    readers: set[str] = set()
    if document.folder_id is not None:
        readers = set(
            await session.scalars(
                select(FolderAccess.principal).where(FolderAccess.folder_id == document.folder_id)
            )
        )
    owner = await session.get(Member, document.owner_id)
    found = []
    for member in await session.scalars(select(Member).where(Member.active)):
        team = str(member.team_id) if member.team_id else None
        teams = team_ids_of(member.role, team, parents)
        mine = principals_of(
            user_id=str(member.id),
            groups=groups_of(teams, parents),
            department_id=str(member.department_id) if member.department_id else None,
        )
        if not among(mine, document.must_read):
            continue
        if document.folder_id is None:
            may_read = member.id == document.owner_id or (
                owner is not None and owner.team_id is not None and str(owner.team_id) in teams
            )
        else:
            may_read = among(mine, readers)
        if member.role == "admin" or may_read:
            found.append(member.id)
    return found


async def ask_to_confirm(
    session: AsyncSession, document: Document, *, requested_by: UUID, now: datetime
) -> list[UUID]:
    """Ask the must-read's people not asked yet to confirm the current version; who was asked."""
    if not document.must_read or document.archived_at is not None:
        return []
    wanted = await _recipients(session, document)
    if not wanted:
        return []
    asked = await session.scalars(
        insert(Acknowledgement)
        .values(
            [
                {
                    "document_id": document.id,
                    "version": document.version,
                    "user_id": user,
                    "requested_at": now,
                }
                for user in wanted
            ]
        )
        .on_conflict_do_nothing()
        .returning(Acknowledgement.user_id)
    )
    recipients = list(asked)
    if recipients:
        event = DocumentAcknowledgementRequested(
            document_id=document.id,
            title=document.title,
            version=document.version,
            recipient_ids=recipients,
            requested_by=requested_by,
        )
        await add_event(session, new_event(event, subject=document.id))
    return recipients


async def set_must_read(
    sessions: SessionFactory,
    *,
    identity: Identity,
    document_id: UUID,
    audience: list[str],
    now: datetime,
) -> Document:
    """Name the groups and departments who must confirm; those not asked yet are asked now."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id, edit=True, lock=True)
        document.must_read = sorted(set(audience))
        await ask_to_confirm(session, document, requested_by=reader.user_id, now=now)
    return document


async def acknowledge(
    sessions: SessionFactory, *, identity: Identity, document_id: UUID, now: datetime
) -> Acknowledgement:
    """ "I have read it": the caller confirms the current version they were asked to read."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id)
        asked = await session.get(
            Acknowledgement, (document.id, document.version, reader.user_id), with_for_update=True
        )
        if asked is None:
            raise Conflict({"document": N_("nobody asked you to confirm this document")})
        if asked.acknowledged_at is None:
            asked.acknowledged_at = now
            event = DocumentAcknowledged(
                document_id=document.id,
                version=document.version,
                user_id=reader.user_id,
                acknowledged_at=now,
            )
            await add_event(session, new_event(event, subject=document.id))
        return asked


@dataclass(frozen=True)
class Confirmation:
    user_id: UUID
    name: str | None
    requested_at: datetime
    acknowledged_at: datetime | None


async def confirmations(session: AsyncSession, document: Document) -> list[Confirmation]:
    """Who was asked to confirm the current version, those who have not yet first."""
    rows = await session.execute(
        select(Acknowledgement, Member.name)
        .outerjoin(Member, Member.id == Acknowledgement.user_id)
        .where(
            Acknowledgement.document_id == document.id,
            Acknowledgement.version == document.version,
        )
        .order_by(Acknowledgement.acknowledged_at.desc().nulls_first(), Member.name)
    )
    return [
        Confirmation(row.user_id, name, row.requested_at, row.acknowledged_at) for row, name in rows
    ]
