"""CalDAV collections: a calendar of one's own activities, and a read-only one per group a head
leads; their resources, ETags and sync tokens.

A sync token is a position among transactions: every activity and tombstone row records the
transaction that wrote it (`revision`). The token handed out is the oldest transaction still
running when the answer was read (or one past the newest change, when that is older), so a change
committed after a later one is never skipped; at worst a change is reported twice. A group's
token also names its members: when they change, the client is told to sync again from scratch.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain import dav, ical
from services.calendar.tables import Activity, DavTombstone, Member, Team
from services.calendar.usecases import activities, feeds
from services.calendar.usecases.tombstones import resource_name
from shared.auth import Identity

TOKEN_PREFIX = "urn:contentum-crm:sync:"
FAR = timedelta(days=366 * 20)


@dataclass(frozen=True)
class Collection:
    """A calendar in a user's home: their own (writable) or a group's (read-only)."""

    owner_id: UUID
    slug: str
    name: str
    team_id: UUID | None = None

    @property
    def writable(self) -> bool:
        return self.team_id is None


PERSONAL = "activities"


async def collections(session: AsyncSession, identity: Identity) -> list[Collection]:
    """The caller's calendar, and one for each group they head."""
    me = UUID(identity.user_id)
    member = await session.get(Member, me)
    own = Collection(me, PERSONAL, member.name if member else "Contentum CRM")
    teams = await session.scalars(select(Team).where(Team.head_id == me).order_by(Team.name))
    return [own, *(Collection(me, f"team-{team.id}", team.name, team.id) for team in teams)]


async def collection(session: AsyncSession, identity: Identity, slug: str) -> Collection | None:
    return next((c for c in await collections(session, identity) if c.slug == slug), None)


def _members(team_id: UUID) -> Any:
    tree = feeds.subtree(team_id)
    return select(Member.id).where(Member.team_id.in_(select(tree.c.id)))


def _people(found: Collection) -> ColumnElement[bool]:
    """Activities whose owner (or participant) the collection is about, whatever their state."""
    if found.team_id is not None:
        return Activity.owner_id.in_(_members(found.team_id))
    return or_(
        Activity.owner_id == found.owner_id, Activity.participant_ids.contains([found.owner_id])
    )


def held(found: Collection) -> ColumnElement[bool]:
    """The activities that are resources of the collection: series and single ones not
    cancelled (an occurrence of a series is written inside its series)."""
    return and_(_people(found), Activity.series_id.is_(None), Activity.status != "cancelled")


def _gone(found: Collection) -> ColumnElement[bool]:
    if found.team_id is not None:
        return DavTombstone.owner_id.in_(_members(found.team_id))
    return DavTombstone.people.contains([found.owner_id])


@dataclass(frozen=True)
class Rendered:
    activity: Activity
    name: str
    body: str
    etag: str


async def render(session: AsyncSession, rows: Sequence[Activity], link: str) -> list[Rendered]:
    """The calendar objects of `rows`, each with its moved occurrences and its ETag."""
    children: dict[UUID, list[Activity]] = {}
    if any(row.rrule for row in rows):
        found = await session.scalars(
            select(Activity)
            .where(Activity.series_id.in_([row.id for row in rows if row.rrule]))
            .order_by(Activity.recurrence_id)
        )
        for child in found:
            assert child.series_id is not None
            children.setdefault(child.series_id, []).append(child)
    named = await feeds.organizers(session, {row.owner_id for row in rows})
    made = []
    for row in rows:
        occurrences = children.get(row.id, [])
        body = _as_put(row, occurrences)
        if body is None:
            overrides = [
                (c.recurrence_id, c)
                for c in occurrences
                if c.recurrence_id and c.status != "cancelled"
            ]
            body = ical.calendar_object(
                row, overrides, link=link, organizer=named.get(row.owner_id), extra=row.dav_extra
            )
        made.append(Rendered(row, resource_name(row), body, etag(body)))
    return made


def etag(body: str) -> str:
    return '"' + hashlib.md5(body.encode(), usedforsecurity=False).hexdigest() + '"'


def _as_put(series: Activity, occurrences: list[Activity]) -> str | None:
    """What a client put, while neither the activity nor its moved occurrences changed since
    (the client then keeps its copy byte for byte, and PUT could answer with its ETag)."""
    put_in = series.dav_body_revision
    if series.dav_body is None or put_in != series.revision:
        return None
    if any(child.revision > put_in for child in occurrences):
        return None
    return series.dav_body


def _named(name: str) -> ColumnElement[bool]:
    by_id = and_(Activity.dav_name.is_(None), cast(Activity.id, Text) == name.removesuffix(".ics"))
    return or_(Activity.dav_name == name, by_id)


async def find(
    session: AsyncSession, found: Collection, name: str, *, lock: bool = False
) -> Activity | None:
    """The resource `name` of the collection (the owner's own first, names being theirs)."""
    query = (
        select(Activity)
        .where(held(found), _named(name))
        .order_by((Activity.owner_id == found.owner_id).desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update(of=Activity)
    return await session.scalar(query)


async def listing(session: AsyncSession, found: Collection) -> list[Activity]:
    return list(await session.scalars(select(Activity).where(held(found)).order_by(Activity.id)))


async def many(session: AsyncSession, found: Collection, names: Sequence[str]) -> list[Activity]:
    if not names:
        return []
    return list(
        await session.scalars(select(Activity).where(held(found), or_(*map(_named, names))))
    )


async def _members_mark(session: AsyncSession, found: Collection) -> str:
    if found.team_id is None:
        return ""
    ids = await session.scalars(_members(found.team_id).order_by(Member.id))
    digest = hashlib.md5(",".join(map(str, ids)).encode(), usedforsecurity=False)
    return ":" + digest.hexdigest()[:12]


async def position(session: AsyncSession, found: Collection) -> str:
    """The collection's sync token (and CTag) now."""
    oldest = await session.scalar(
        select(text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    )
    assert oldest is not None
    newest = max(
        await session.scalar(select(func.max(Activity.revision)).where(_people(found))) or 0,
        await session.scalar(select(func.max(DavTombstone.revision)).where(_gone(found))) or 0,
    )
    mark = await _members_mark(session, found)
    return f"{TOKEN_PREFIX}{min(int(oldest), newest + 1)}{mark}"


async def _since(session: AsyncSession, found: Collection, token: str) -> int:
    """The position a client's token names; a foreign or stale one is refused (RFC 6578 §3.2)."""
    number, _, mark = token.removeprefix(TOKEN_PREFIX).partition(":")
    valid = token.startswith(TOKEN_PREFIX) and number.isdigit()
    if not valid or (":" + mark if mark else "") != await _members_mark(session, found):
        raise dav.Refused(403, dav.tag(dav.DAV, "valid-sync-token"), "sync again from the start")
    return int(number)


@dataclass(frozen=True)
class Changes:
    token: str
    changed: list[Activity]
    removed: list[str]


async def changes(session: AsyncSession, found: Collection, token: str | None) -> Changes:
    """What changed in the collection since `token` (everything when there is none)."""
    now = await position(session, found)  # first: what is read next is at least this new
    if token is None:
        return Changes(now, await listing(session, found), [])
    since = await _since(session, found, token)
    touched = select(Activity.series_id).where(
        Activity.series_id.is_not(None), Activity.revision >= since
    )
    changed = list(
        await session.scalars(
            select(Activity).where(
                held(found), or_(Activity.revision >= since, Activity.id.in_(touched))
            )
        )
    )
    present = {resource_name(activity) for activity in changed}
    gone = await session.scalars(
        select(DavTombstone.name).where(_gone(found), DavTombstone.revision >= since).distinct()
    )
    removed = [name for name in gone if name not in present]
    if removed:  # a name that left and came back (an owner moved back) is still there
        still = {resource_name(a) for a in await many(session, found, removed)}
        removed = [name for name in removed if name not in still]
    return Changes(now, changed, removed)


def _text_of(activity: Activity, name: str) -> str | None:
    values = {
        "UID": activity.uid,
        "SUMMARY": activity.title,
        "DESCRIPTION": activity.note or None,
        "LOCATION": activity.place or activity.phone,
        "CATEGORIES": activity.kind.upper(),
    }
    return values.get(name)


def _passes(activity: Activity, query: dav.Query) -> bool:
    if query.component not in (None, "VEVENT"):
        return False
    for condition in query.filters:
        value = _text_of(activity, condition.name)
        if condition.undefined:
            if value is not None:
                return False
            continue
        if value is None:
            return False
        if condition.text is not None:
            found = condition.text.casefold() in value.casefold()
            if found == condition.negate:
                return False
    if not query.timed:
        return True
    start, end = query.start or datetime.min.replace(tzinfo=activity.starts_at.tzinfo), query.end
    end = end or activity.starts_at + FAR
    length = activity.ends_at - activity.starts_at
    if not activity.rrule:
        return activity.starts_at < end and (
            activity.ends_at > start or activity.starts_at >= start
        )
    return bool(activities.starts_between(activity, start - length, end))


async def search(session: AsyncSession, found: Collection, query: dav.Query) -> list[Activity]:
    """calendar-query: the events in the time range that pass the property filters."""
    where = [held(found)]
    if query.timed:
        where.append(activities.in_range(query.start, query.end))
    rows = await session.scalars(select(Activity).where(*where).order_by(Activity.starts_at))
    return [row for row in rows if _passes(row, query)]
