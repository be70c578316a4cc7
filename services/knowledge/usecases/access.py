"""What the caller may read and edit: their principals against the folders' readers and editors."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import principals_of
from services.knowledge.tables import Document, Member, Team
from shared.auth import Identity
from shared.errors import Forbidden, NotFound
from shared.visibility import visible_by_owner


@dataclass(frozen=True)
class Reader:
    """The caller, with the folders they may read and those they may edit."""

    identity: Identity
    readable: frozenset[UUID]
    editable: frozenset[UUID]

    @property
    def admin(self) -> bool:
        return self.identity.role == "admin"

    @property
    def user_id(self) -> UUID:
        return UUID(self.identity.user_id)

    def may_read_folder(self, folder_id: UUID | None) -> bool:
        return folder_id is None or self.admin or folder_id in self.readable

    def may_edit_folder(self, folder_id: UUID) -> bool:
        return self.admin or folder_id in self.editable

    def may_edit(self, document: Document) -> bool:
        if self.admin or document.owner_id == self.user_id:
            return True
        return document.folder_id is not None and document.folder_id in self.editable


async def team_parents(session: AsyncSession) -> dict[str, str | None]:
    rows = await session.execute(select(Team.id, Team.parent_id))
    return {str(id_): str(parent) if parent else None for id_, parent in rows}


# The caller's groups and every group above them, from the replica of the tree; then the
# folders any of the caller's principals may read or edit. One round trip.
_RIGHTS = text(
    """
    WITH RECURSIVE up(id) AS (
        SELECT unnest(CAST(:teams AS uuid[]))
        UNION
        SELECT team.parent_id FROM team JOIN up ON team.id = up.id
        WHERE team.parent_id IS NOT NULL
    )
    SELECT folder_id, bool_or(may_edit) AS may_edit FROM folder_access
    WHERE principal = ANY(CAST(:mine AS text[]) || ARRAY(SELECT 'team:' || id FROM up))
    GROUP BY folder_id
    """
)


async def reader_of(session: AsyncSession, identity: Identity) -> Reader:
    """The caller's rights, from the folders' access lists and the replica of the group tree."""
    mine = principals_of(user_id=identity.user_id, groups=(), department_id=identity.department_id)
    rows = await session.execute(_RIGHTS, {"teams": identity.team_ids, "mine": mine})
    readable, editable = set(), set()
    for folder_id, may_edit in rows:
        readable.add(folder_id)
        if may_edit:
            editable.add(folder_id)
    return Reader(identity, frozenset(readable), frozenset(editable))


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


def readable_documents(reader: Reader) -> ColumnElement[bool]:
    """Documents in folders the caller reads, and unfiled ones the caller may see by owner
    (own; a head's group's; all for the administrator)."""
    if reader.admin:
        return true()
    return or_(
        Document.folder_id.in_(reader.readable),
        and_(
            Document.folder_id.is_(None),
            visible_by_owner(reader.identity, Document.owner_id, _people_in),
        ),
    )


async def find_document(
    session: AsyncSession,
    reader: Reader,
    document_id: UUID,
    *,
    edit: bool = False,
    lock: bool = False,
) -> Document:
    """A document the caller may read (404 otherwise, the same as a missing one); with `edit`,
    one they may also change (403)."""
    query = select(Document).where(Document.id == document_id, readable_documents(reader))
    document = await session.scalar(query.with_for_update() if lock else query)
    if document is None:
        raise NotFound("document")
    if edit and not reader.may_edit(document):
        raise Forbidden("only the owner and the folder's editors may change this document")
    return document
