"""Who reads a post: its audience (principals, as folders name their readers) and, for a post
on a deal, who may see that deal. One rule for the feed, a post, comments, search and mentions."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, and_, cast, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import (
    among,
    groups_of,
    principals_of,
    team_ids_of,
)
from services.knowledge.domain.posts import Viewer, sees_record
from services.knowledge.feed_tables import Post, Record
from services.knowledge.tables import Member
from services.knowledge.usecases.access import team_parents
from shared.auth import Identity
from shared.errors import Invalid, NotFound
from shared.text import N_
from shared.visibility import visible_by_owner


@dataclass(frozen=True)
class PostReader:
    """The caller, with every principal they stand for (themselves, their department, their
    groups and the groups above them, a head's whole subtree)."""

    identity: Identity
    principals: tuple[str, ...]

    @property
    def admin(self) -> bool:
        return self.identity.role == "admin"

    @property
    def user_id(self) -> UUID:
        return UUID(self.identity.user_id)

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.identity.user_id, self.identity.role, frozenset(self.identity.team_ids))


async def post_reader(session: AsyncSession, identity: Identity) -> PostReader:
    """The caller's principals, from the replica of the group tree (one query)."""
    groups = groups_of(identity.team_ids, await team_parents(session))
    mine = principals_of(
        user_id=identity.user_id, groups=groups, department_id=identity.department_id
    )
    return PostReader(identity, tuple(mine))


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


def readable_posts(reader: PostReader, *, deleted: bool = False) -> ColumnElement[bool]:
    """Posts not deleted (or, `deleted`, deleted ones too) that name the caller in their
    audience (or that they wrote) and, on a deal, whose deal they may see. The administrator
    reads every post; staff of other departments none on a sales record."""
    alive: ColumnElement[bool] = true() if deleted else Post.deleted_at.is_(None)
    if reader.admin:
        return alive
    heard = or_(
        Post.audience.op("&&")(cast(list(reader.principals), ARRAY(Text))),
        Post.author_id == reader.user_id,
    )
    if reader.identity.role == "staff":
        return and_(alive, heard, Post.record_id.is_(None))
    deals = select(Record.id).where(
        Record.kind == "deal", visible_by_owner(reader.identity, Record.owner_id, _people_in)
    )
    on_record = or_(Post.record_kind.is_distinct_from("deal"), Post.record_id.in_(deals))
    return and_(alive, heard, on_record)


async def find_post(
    session: AsyncSession, reader: PostReader, post_id: UUID, *, lock: bool = False
) -> Post:
    """A post the caller may read; 404 otherwise, the same as a missing one."""
    query = select(Post).where(Post.id == post_id, readable_posts(reader))
    post = await session.scalar(query.with_for_update(of=Post) if lock else query)
    if post is None:
        raise NotFound("post")
    return post


@dataclass(frozen=True)
class RecordRef:
    """The deal, company or contact a post is on."""

    kind: str
    id: UUID


async def checked_record(session: AsyncSession, reader: PostReader, ref: RecordRef) -> Record:
    """A record the caller may see and write on; 422 naming `record` otherwise (a record the
    replica has not heard of yet counts as missing)."""
    record = await session.get(Record, ref.id)
    if record is None or record.kind != ref.kind:
        raise Invalid({"record": N_("no such record")})
    owner_team = await _team_of(session, record.owner_id)
    if not sees_record(reader.viewer, record.kind, _str(record.owner_id), owner_team):
        raise Invalid({"record": N_("no such record")})
    if record.archived:
        raise Invalid({"record": N_("the record is archived")})
    return record


async def _team_of(session: AsyncSession, user_id: UUID | None) -> str | None:
    if user_id is None:
        return None
    team = await session.scalar(select(Member.team_id).where(Member.id == user_id))
    return str(team) if team else None


def _str(value: object) -> str | None:
    return str(value) if value is not None else None


async def audience_members(
    session: AsyncSession,
    *,
    audience: list[str],
    record: RecordRef | None,
    administrators: bool = False,
) -> list[Member]:
    """Active people the audience names who may also see the post's record; with
    `administrators`, the administrators as well (they read every post)."""
    parents = await team_parents(session)
    owner_id = owner_team = None
    if record is not None:
        found = await session.get(Record, record.id)
        owner_id = _str(found.owner_id) if found else None
        owner_team = await _team_of(session, found.owner_id) if found else None
    members = await session.scalars(select(Member).where(Member.active).order_by(Member.name))
    chosen = []
    for member in members:
        team = _str(member.team_id)
        teams = team_ids_of(member.role, team, parents)
        mine = principals_of(
            user_id=str(member.id),
            groups=groups_of(teams, parents),
            department_id=_str(member.department_id),
        )
        named = among(mine, audience) or (administrators and member.role == "admin")
        viewer = Viewer(str(member.id), member.role, frozenset(teams))
        if named and (record is None or sees_record(viewer, record.kind, owner_id, owner_team)):
            chosen.append(member)
    return chosen
