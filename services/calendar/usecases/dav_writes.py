"""What CalDAV clients write: an event put into one's calendar becomes (or changes) an activity,
a deleted one is cancelled. The CRM's rules hold as for any other change: a client's copy older
than the CRM's is refused (412), nothing is closed without an outcome report."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain import dav, parsing
from services.calendar.tables import WRITTEN_IN, Activity, Member
from services.calendar.usecases import activities
from services.calendar.usecases import dav as calendars
from services.calendar.usecases.activities import Policy
from services.calendar.usecases.dav import Collection, find, render
from services.calendar.usecases.objects import save_event
from services.calendar.usecases.tombstones import resource_name
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid

CALDAV_VALID = dav.tag(dav.CALDAV, "valid-calendar-object-resource")


@dataclass(frozen=True)
class Conditions:
    """The request's If-Match and If-None-Match headers."""

    if_match: str | None = None
    if_none_match: str | None = None


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _check(conditions: Conditions, etag: str | None) -> None:
    """412 unless the client's copy is the current one (or, with `*`, whether one exists)."""
    if conditions.if_none_match is not None:
        tags = _tags(conditions.if_none_match)
        if etag is not None and ("*" in tags or etag in tags):
            raise dav.Refused(412, None, "the calendar already holds this resource")
    if conditions.if_match is not None:
        tags = _tags(conditions.if_match)
        if etag is None or not ("*" in tags or etag in tags):
            raise dav.Refused(412, None, "the CRM holds a newer version; fetch it first")


async def _current(
    session: AsyncSession, found: Collection, name: str, link: str
) -> tuple[Activity | None, str | None]:
    activity = await find(session, found, name, lock=True)
    if activity is None:
        return None, None
    [rendered] = await render(session, [activity], link)
    return activity, rendered.etag


def _writable(found: Collection) -> None:
    if not found.writable:
        raise dav.Refused(
            403, dav.tag(dav.DAV, "need-privileges"), "a group's calendar is read-only"
        )


async def _zone(session: AsyncSession, identity: Identity, policy: Policy) -> str:
    member = await session.get(Member, UUID(identity.user_id))
    return member.time_zone if member else policy.time_zone


def _read(data: bytes, zone: str) -> parsing.ImportedEvent:
    try:
        return parsing.read_object(data, zone)
    except parsing.Unsupported as unsupported:
        condition = dav.tag(dav.CALDAV, "supported-calendar-component")
        raise dav.Refused(403, condition, str(unsupported)) from None
    except parsing.BadCalendar as bad:
        raise dav.Refused(403, dav.tag(dav.CALDAV, "valid-calendar-data"), str(bad)) from None


async def put(
    sessions: SessionFactory,
    identity: Identity,
    policy: Policy,
    *,
    found: Collection,
    name: str,
    data: bytes,
    conditions: Conditions,
    link: str,
    now: datetime,
) -> tuple[bool, str | None]:
    """Store an event under `name`: whether it was created, and the ETag of the body as put
    when the calendar serves it so (not when the event cancelled its activity)."""
    _writable(found)
    async with unit_of_work(sessions) as session:
        event = _read(data, await _zone(session, identity, policy))
        existing, etag = await _current(session, found, name, link)
        _check(conditions, etag)
        if existing is None:
            await _uid_free(session, found.owner_id, event.uid)
        elif existing.uid != event.uid:
            raise dav.Refused(403, CALDAV_VALID, "a resource keeps its UID")
        await _may_change(session, identity, existing)
        kept = {"dav_extra": event.extra} | ({} if existing else {"dav_name": name})
        try:
            saved = await save_event(
                session, identity, policy, event, existing=existing, now=now, kept=kept
            )
        except Invalid as invalid:
            problems = "; ".join(f"{k}: {v}" for k, v in invalid.problems.items())
            raise dav.Refused(403, CALDAV_VALID, problems) from None
        if saved.activity.status == "cancelled":
            return existing is None, None
        body = data.decode()
        saved.activity.dav_body, saved.activity.dav_body_revision = body, WRITTEN_IN  # type: ignore[assignment]
        await session.flush()
    return existing is None, calendars.etag(body)


async def _uid_free(session: AsyncSession, owner_id: UUID, uid: str) -> None:
    taken = await session.scalar(
        select(Activity).where(Activity.owner_id == owner_id, Activity.uid == uid)
    )
    if taken is not None:
        condition = dav.tag(dav.CALDAV, "no-uid-conflict")
        raise dav.Refused(403, condition, f"the UID is taken by {resource_name(taken)}")


async def _may_change(session: AsyncSession, identity: Identity, activity: Activity | None) -> None:
    if activity is None:
        return
    if activity.status != "scheduled":
        raise dav.Refused(403, CALDAV_VALID, "a completed activity cannot be changed")
    try:
        await activities.check_manages(session, identity, activity)
    except Forbidden as refused:
        raise dav.Refused(403, dav.tag(dav.DAV, "need-privileges"), str(refused)) from None


async def delete(
    sessions: SessionFactory,
    identity: Identity,
    *,
    found: Collection,
    name: str,
    conditions: Conditions,
    link: str,
    now: datetime,
) -> bool:
    """Cancel the activity behind `name` (it leaves the calendars); False when there is none."""
    _writable(found)
    async with unit_of_work(sessions) as session:
        existing, etag = await _current(session, found, name, link)
        _check(conditions, etag)
        if existing is None:
            return False
        await _may_change(session, identity, existing)
        await activities.cancel(session, existing, now=now)
    return True
