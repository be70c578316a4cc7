"""What the caller may read and edit: their principals against the folders' readers and editors."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import principals_of
from services.knowledge.tables import Document, FolderAccess, Member, Team
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


def _rights() -> Select[UUID, bool]:
    groups = bindparam("groups", type_=ARRAY(Uuid()))
    up = select(func.unnest(groups).label("id")).cte("up", recursive=True)
    up = up.union(
        select(Team.parent_id).join(up, Team.id == up.c.id).where(Team.parent_id.is_not(None))
    )
    principals = bindparam("principals", type_=ARRAY(Text))
    return (
        select(FolderAccess.folder_id, func.bool_or(FolderAccess.may_edit))
        .where(
            or_(
                FolderAccess.principal == func.any(principals),
                FolderAccess.principal.in_(select(literal("team:") + cast(up.c.id, Text))),
            )
        )
        .group_by(FolderAccess.folder_id)
    )


# The folders the caller may read, each with whether they may also edit it: their principals
# (themselves, everyone, their department, their groups and every group above them, from the
# replica of the tree) against the folders' access lists. One statement, the caller's values
# as parameters (`rights_of`), to run alone or inside another (its parts share one CTE).
RIGHTS = _rights()


def rights_of(identity: Identity) -> dict[str, Any]:
    """`RIGHTS`' parameters for the caller."""
    return {
        "principals": principals_of(
            user_id=identity.user_id, groups=(), department_id=identity.department_id
        ),
        "groups": [UUID(team) for team in identity.team_ids],
    }


async def reader_of(session: AsyncSession, identity: Identity) -> Reader:
    """The caller's rights, from the folders' access lists and the replica of the group tree."""
    readable, editable = set(), set()
    for folder_id, may_edit in await session.execute(RIGHTS, rights_of(identity)):
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
    return _readable(reader.identity, Document.folder_id.in_(reader.readable))


def _readable(identity: Identity, in_folders: ColumnElement[bool]) -> ColumnElement[bool]:
    by_owner = lambda owner: visible_by_owner(identity, owner, _people_in)  # noqa: E731
    return filed_or_owned(Document, in_folders, by_owner)


def filed_or_owned(
    row: Any, in_folders: ColumnElement[bool], by_owner: Callable[[Any], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """The rule for a row of a document (its own, or its search row): in a folder the caller
    reads (`in_folders`), or unfiled and seen by its owner (`by_owner` of the owner's id)."""
    return or_(in_folders, and_(row.folder_id.is_(None), by_owner(row.owner_id)))


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
