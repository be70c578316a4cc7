"""iCalendar feeds: a personal one per user, a group one per head; addressed by a secret token.

The token (256 random bits) is shown once; only its SHA-256 is kept, so a database leak reveals
no feed. A feed shows what its owner may see at the time it is fetched: a head who no longer
heads the group, or a deactivated user, gets 404 like a revoked feed.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain import ical
from services.calendar.tables import Activity, Feed, Member, Team
from shared.auth import Identity
from shared.conditional import none_match_hits
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, NotFound

FORMAT = "3"  # raise when the rendering changes, so cached copies are refetched
HISTORY = timedelta(days=180)  # how far back a feed reaches; the future is always there
FEED_COLUMNS: tuple[Any, ...] = (
    Activity.id,
    Activity.uid,
    Activity.kind,
    Activity.owner_id,
    Activity.title,
    Activity.note,
    Activity.place,
    Activity.phone,
    Activity.status,
    Activity.starts_at,
    Activity.ends_at,
    Activity.all_day,
    Activity.time_zone,
    Activity.rrule,
    Activity.exdates,
    Activity.rdates,
    Activity.recurs_until,
    Activity.reminders,
    Activity.sequence,
    Activity.created_at,
    Activity.updated_at,
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live(owner_id: UUID, team_id: UUID | None) -> ColumnElement[bool]:
    team = Feed.team_id.is_(None) if team_id is None else Feed.team_id == team_id
    return and_(Feed.owner_id == owner_id, team, Feed.revoked_at.is_(None))


async def create_feed(sessions: SessionFactory, identity: Identity, team_id: UUID | None) -> str:
    """A new feed (the previous one of the same scope stops answering); returns its token.

    A group feed is for the group's head (or the head of a group above it) and the admin: the
    same rule the feed applies each time it is fetched.
    """
    token = secrets.token_urlsafe(32)
    owner_id = UUID(identity.user_id)
    async with unit_of_work(sessions) as session:
        if team_id is not None and not (
            identity.role == "admin" or await _heads(session, team_id, owner_id)
        ):
            raise Forbidden("only the group's head subscribes to a group's calendar")
        await session.execute(
            update(Feed).where(_live(owner_id, team_id)).values(revoked_at=func.now())
        )
        session.add(Feed(owner_id=owner_id, team_id=team_id, token_hash=_hash(token)))
    return token


async def revoke_feed(sessions: SessionFactory, identity: Identity, team_id: UUID | None) -> None:
    async with unit_of_work(sessions) as session:
        revoked = await session.execute(
            update(Feed)
            .where(_live(UUID(identity.user_id), team_id))
            .values(revoked_at=func.now())
            .returning(Feed.id)
        )
        if revoked.first() is None:
            raise NotFound("feed")


async def end_feeds(session: AsyncSession, owner_id: UUID, *, at: datetime) -> None:
    """Revoke the feeds `owner_id` made until `at` (a deactivation): a feed made after it, once
    reactivated, is left alone however late the news of the deactivation comes."""
    await session.execute(
        update(Feed)
        .where(Feed.owner_id == owner_id, Feed.revoked_at.is_(None), Feed.created_at <= at)
        .values(revoked_at=at)
    )


async def live_feeds(sessions: SessionFactory, identity: Identity) -> list[Feed]:
    async with sessions() as session:
        found = await session.scalars(
            select(Feed)
            .where(Feed.owner_id == UUID(identity.user_id), Feed.revoked_at.is_(None))
            .order_by(Feed.created_at)
        )
        return list(found)


def subtree(team_id: UUID) -> Any:
    tree = select(Team.id).where(Team.id == team_id).cte("subtree", recursive=True)
    return tree.union_all(select(Team.id).where(Team.parent_id == tree.c.id))


async def _scope(session: AsyncSession, feed: Feed) -> ColumnElement[bool] | None:
    """Which activities the feed holds now; None when its owner may no longer see them."""
    owner = await session.get(Member, feed.owner_id)
    if owner is not None and not owner.active:
        return None
    if feed.team_id is None:
        return or_(
            Activity.owner_id == feed.owner_id,
            Activity.participant_ids.contains([feed.owner_id]),
        )
    admin = owner is not None and owner.role == "admin"
    if not (admin or await _heads(session, feed.team_id, feed.owner_id)):
        return None
    tree = subtree(feed.team_id)
    members = select(Member.id).where(Member.team_id.in_(select(tree.c.id)))
    return Activity.owner_id.in_(members)


async def _heads(session: AsyncSession, team_id: UUID, user_id: UUID) -> bool:
    """True when `user_id` heads the group or a group above it (in the calendar's replica)."""
    seen: set[UUID] = set()
    current: UUID | None = team_id
    while current is not None and current not in seen:
        seen.add(current)
        team = await session.get(Team, current)
        if team is None:
            return False
        if team.head_id == user_id:
            return True
        current = team.parent_id
    return False


@dataclass(frozen=True)
class FeedContent:
    etag: str
    body: str | None  # None when the caller's copy is current


def feed_query(scope: ColumnElement[bool], now: datetime) -> Select[Any]:
    since = now - HISTORY
    recent = or_(
        Activity.ends_at >= since,
        and_(
            Activity.rrule.is_not(None),
            or_(Activity.recurs_until.is_(None), Activity.recurs_until >= since),
        ),
    )
    return select(*FEED_COLUMNS).where(scope, recent)


async def render_feed(
    sessions: SessionFactory,
    token: str,
    *,
    link: str,
    if_none_match: str | None,
    name: str,
) -> FeedContent:
    """The feed behind `token`, or only its ETag when `if_none_match` still matches."""
    now = datetime.now(UTC)
    async with sessions() as session:
        feed = await session.scalar(
            select(Feed).where(Feed.token_hash == _hash(token), Feed.revoked_at.is_(None))
        )
        scope = await _scope(session, feed) if feed is not None else None
        if feed is None or scope is None:
            raise NotFound("feed")
        query = feed_query(scope, now).subquery()
        listed = func.string_agg(
            func.concat(query.c.id, ":", query.c.sequence),
            aggregate_order_by(literal(","), query.c.id),
        )
        version = await session.scalar(
            select(func.md5(func.concat(FORMAT, link, "|", func.coalesce(listed, ""))))
        )
        etag = f'"{version}"'
        if none_match_hits(if_none_match, etag):
            return FeedContent(etag, None)
        rows = (await session.execute(feed_query(scope, now).order_by(Activity.starts_at))).all()
        named = await organizers(session, {row.owner_id for row in rows})
        if feed.team_id is not None:  # told apart from the personal one in a calendar program
            team = await session.scalar(select(Team.name).where(Team.id == feed.team_id))
            name = f"{name}: {team}" if team else name
    body = ical.render(
        rows, name=name, link=link, now=now, organizers=named, alarms_for=feed.owner_id
    )
    return FeedContent(etag, body)


async def organizers(session: AsyncSession, owners: set[UUID]) -> dict[UUID, ical.Organizer]:
    """The owners ORGANIZER names, those whose e-mail the calendar knows."""
    found = await session.execute(
        select(Member.id, Member.name, Member.email).where(
            Member.id.in_(owners), Member.email.is_not(None)
        )
    )
    return {row.id: ical.Organizer(row.name, row.email) for row in found}
