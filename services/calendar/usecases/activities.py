"""Activities: planned, moved, cancelled, and closed only with an outcome report."""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain import recurrence
from services.calendar.domain.kinds import TIMED
from services.calendar.tables import (
    Activity,
    CustomerAccess,
    LinkedRecord,
    Member,
    OutcomeType,
    ReminderDefault,
)
from services.calendar.usecases import tombstones
from services.calendar.usecases.alarms import drop_pending, plan_alarms
from shared.auth import Identity
from shared.contracts.calendar import (
    ActivityCancelled,
    ActivityCompleted,
    ActivityRescheduled,
    ActivityScheduled,
)
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import new_event
from shared.links import check_may_link
from shared.outbox import add_event
from shared.text import N_
from shared.visibility import visible_by_owner

BUILTIN_OUTCOMES = ("completed", "no_answer", "rescheduled", "cancelled")
DEFAULT_REMINDERS = {"call": [10], "meeting": [30], "letter": [0], "task": [0]}
# An all-day activity starts at midnight: its default reminder is at 9:00 the day before.
ALL_DAY_REMINDERS = [15 * 60]
# Changing any of these moves the activity: a `rescheduled` event and new reminders.
WHEN = ("starts_at", "ends_at", "all_day", "time_zone", "rrule", "exdates", "rdates")


@dataclass(frozen=True)
class Policy:
    """What the calendar does by company setting."""

    time_zone: str = "Europe/Warsaw"
    escalation_hours: float | None = None


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


def visible(identity: Identity) -> ColumnElement[bool]:
    """Own activities, the group's for a head, everything for the admin, and any one joined."""
    return or_(
        visible_by_owner(identity, Activity.owner_id, _people_in),
        Activity.participant_ids.contains([UUID(identity.user_id)]),
    )


async def may_manage(session: AsyncSession, identity: Identity, owner_id: UUID) -> bool:
    """The owner, the head of the owner's group, the admin."""
    if identity.role == "admin" or str(owner_id) == identity.user_id:
        return True
    if identity.role != "head":
        return False
    member = await session.get(Member, owner_id)
    return member is not None and str(member.team_id) in identity.team_ids


async def find(session: AsyncSession, identity: Identity, activity_id: UUID) -> Activity:
    found = await session.scalar(
        select(Activity).where(Activity.id == activity_id, visible(identity))
    )
    if found is None:
        raise NotFound("activity")
    return found


async def _managed(session: AsyncSession, identity: Identity, activity_id: UUID) -> Activity:
    activity = await find(session, identity, activity_id)
    await session.refresh(activity, with_for_update=True)
    await check_manages(session, identity, activity)
    return activity


async def check_manages(session: AsyncSession, identity: Identity, activity: Activity) -> None:
    """`Forbidden` unless the caller may change the activity."""
    if not await may_manage(session, identity, activity.owner_id):
        raise Forbidden("only the owner, the head of the owner's group or the admin may do this")


def snapshot(activity: Activity) -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "kind": activity.kind,
        "title": activity.title,
        "owner_id": activity.owner_id,
        "participant_ids": list(activity.participant_ids),
        "company_id": activity.company_id,
        "contact_id": activity.contact_id,
        "deal_id": activity.deal_id,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "all_day": activity.all_day,
        "rrule": activity.rrule,
        "status": activity.status,
        "sequence": activity.sequence,
    }


LINKS = ("company_id", "contact_id", "deal_id")
NOT_YOUR_PEOPLE = N_("only people of your group or department may be invited")


async def _check_people(
    session: AsyncSession,
    identity: Identity,
    owner_id: UUID,
    participant_ids: list[UUID],
    invited_before: Collection[UUID] = (),
) -> None:
    """The owner is the caller or someone they plan for; newly invited participants are active
    people the caller sees: their group's (a head's: the subtree's), their department's, anyone
    for the administrator (reminders go to all of them)."""
    if str(owner_id) != identity.user_id:
        owner = await session.get(Member, owner_id)
        if owner is None or not owner.active:
            raise Invalid({"owner_id": N_("no such active user")})
        if not await may_manage(session, identity, owner_id):
            raise Forbidden("only a head (within the group) or the admin plans for others")
    invited = set(participant_ids) - set(invited_before)
    if invited:
        people = list(
            await session.scalars(select(Member).where(Member.id.in_(invited), Member.active))
        )
        if invited - {person.id for person in people}:
            raise Invalid({"participant_ids": N_("no such active user")})
        if not all(_sees(identity, person) for person in people):
            raise Invalid({"participant_ids": NOT_YOUR_PEOPLE})


def _sees(identity: Identity, person: Member) -> bool:
    if identity.role == "admin" or str(person.id) == identity.user_id:
        return True
    if person.team_id is not None and str(person.team_id) in identity.team_ids:
        return True
    department = identity.department_id
    return department is not None and str(person.department_id) == department


async def _check_links(
    session: AsyncSession,
    identity: Identity,
    values: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
) -> None:
    """A deal, company or contact an activity newly names is one the caller may see (a link
    kept from before is not asked about again)."""
    made = {
        name.removesuffix("_id"): values.get(name)
        for name in LINKS
        if values.get(name) is not None and (before is None or before.get(name) != values[name])
    }
    await check_may_link(
        session,
        identity,
        made,  # type: ignore[arg-type]
        records=LinkedRecord,
        access=CustomerAccess,
        members=Member,
    )


@cache
def zones() -> frozenset[str]:
    """The time zones an activity may be in: IANA names, not the host's own or placeholders."""
    return frozenset((available_timezones() | {"UTC"}) - {"localtime", "Factory", "posixrules"})


def _midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(moment.astimezone(zone).date(), time(), zone)


def _whole_days(
    starts_at: datetime, ends_at: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """An all-day span: local midnights, at least one day, counted in calendar days (so a day
    with a clock change stays one day)."""
    start = _midnight(starts_at, zone)
    end_local = ends_at.astimezone(zone)
    days = (end_local.date() - start.date()).days + (end_local.time() != time())
    end_day = start.date() + timedelta(days=max(1, days))
    return start, datetime.combine(end_day, time(), zone)


def check_times(values: dict[str, Any]) -> None:
    """The start, end and recurrence agree with the kind; fills `recurs_until`."""
    if values.get("time_zone") not in zones():
        raise Invalid({"time_zone": N_("unknown time zone")})
    zone = ZoneInfo(values["time_zone"])
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    if values["all_day"]:
        starts_at, ends_at = _whole_days(starts_at, ends_at, zone)
        for dates in ("exdates", "rdates"):
            values[dates] = sorted({_midnight(day, zone) for day in values.get(dates) or []})
    elif values["kind"] not in TIMED:
        ends_at = starts_at
    if values["kind"] in TIMED and ends_at <= starts_at:
        raise Invalid({"end": N_("the end must be after the start")})
    values["starts_at"], values["ends_at"] = starts_at, ends_at
    values["recurs_until"] = None
    if values.get("rrule"):
        try:
            values["rrule"] = rule = recurrence.normalise(values["rrule"], zone)
            values["recurs_until"] = recurrence.last_end(
                starts_at, ends_at - starts_at, rule, zone, values.get("rdates") or ()
            )
        except recurrence.BadRule as bad:
            raise Invalid({"rrule": str(bad)}) from None
    elif values.get("exdates"):
        raise Invalid({"exdates": N_("exceptions need a recurrence rule")})
    elif values.get("rdates"):
        raise Invalid({"rdates": N_("extra dates need a recurrence rule")})


async def default_reminders(session: AsyncSession, user_id: UUID, kind: str) -> list[int]:
    own = await session.get(ReminderDefault, (user_id, kind))
    return list(own.minutes) if own else DEFAULT_REMINDERS[kind]


async def _reminders_for(session: AsyncSession, values: dict[str, Any]) -> list[int]:
    """The owner's defaults for the kind; for an all-day activity, a time of the day before."""
    if values.get("all_day"):
        return list(ALL_DAY_REMINDERS)
    return await default_reminders(session, values["owner_id"], values["kind"])


async def _zone_of(session: AsyncSession, user_id: UUID, policy: Policy) -> str:
    member = await session.get(Member, user_id)
    return member.time_zone if member else policy.time_zone


async def add_activity(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    values: dict[str, Any],
    *,
    now: datetime,
    copied_from: Activity | None = None,
) -> Activity:
    """Validate and add one activity in the caller's transaction, with its alarms and event.

    `copied_from`: the activity it continues (an occurrence reported on, the next step after a
    report), whose links and participants are not asked about again.
    """
    values = dict(values)
    if values.get("owner_id") is None:
        values["owner_id"] = UUID(identity.user_id)
    values["participant_ids"] = list(dict.fromkeys(values.get("participant_ids") or []))
    before = (
        {name: getattr(copied_from, name) for name in (*LINKS, "participant_ids")}
        if (copied_from is not None)
        else None
    )
    invited_before = before["participant_ids"] if before else ()
    await _check_people(
        session, identity, values["owner_id"], values["participant_ids"], invited_before
    )
    await _check_links(session, identity, values, before)
    if not values.get("time_zone"):
        values["time_zone"] = await _zone_of(session, values["owner_id"], policy)
    check_times(values)
    if values.get("reminders") is None:
        values["reminders"] = await _reminders_for(session, values)
    activity_id = values.pop("id", None) or uuid4()
    values.setdefault("uid", f"{activity_id}@contentum-crm")
    activity = Activity(id=activity_id, created_by=UUID(identity.user_id), updated_at=now, **values)
    session.add(activity)
    await session.flush()
    await plan_alarms(session, activity, now=now, escalation_hours=policy.escalation_hours)
    await add_event(
        session, new_event(ActivityScheduled(**snapshot(activity)), subject=activity.id)
    )
    return activity


async def create_activity(
    sessions: SessionFactory, identity: Identity, policy: Policy, values: dict[str, Any]
) -> Activity:
    async with unit_of_work(sessions) as session:
        activity = await add_activity(session, identity, policy, values, now=datetime.now(UTC))
    return activity


async def change(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    activity: Activity,
    changes: dict[str, Any],
    *,
    now: datetime,
) -> Activity:
    """Apply `changes` to an activity the caller manages: a new SEQUENCE, events, alarms."""
    if activity.status != "scheduled":
        raise Invalid({"status": N_("a completed or cancelled activity cannot be changed")})
    current = {column: getattr(activity, column) for column in _COLUMNS}
    values = {**current, **changes}
    if "owner_id" in changes or "participant_ids" in changes:
        values["participant_ids"] = list(dict.fromkeys(values["participant_ids"]))
        await _check_people(
            session,
            identity,
            values["owner_id"],
            values["participant_ids"],
            current["participant_ids"],
        )
    await _check_links(session, identity, values, current)
    new_defaults = {"kind", "all_day"} & {k for k in changes if changes[k] != current.get(k)}
    if new_defaults and "reminders" not in changes:
        values["reminders"] = await _reminders_for(session, values)
    if "rrule" in changes and changes["rrule"] is None:  # no series: nothing to except or add
        values.update({dates: [] for dates in ("exdates", "rdates") if dates not in changes})
    if activity.rrule and "starts_at" in changes:
        for dates in ("exdates", "rdates"):
            if dates not in changes:
                values[dates] = _moved_with_the_series(activity, getattr(activity, dates), values)
    check_times(values)
    changed = {name for name, value in values.items() if current.get(name) != value}
    if not changed:
        return activity
    previous = (activity.starts_at, activity.ends_at)
    before = tombstones.people_of(activity)
    old_owner = activity.owner_id
    for name in changed:
        setattr(activity, name, values[name])
    activity.sequence += 1
    activity.updated_at = now
    moved_owner = old_owner if activity.owner_id != old_owner else None
    tombstones.leave(
        session, activity, people=before - tombstones.people_of(activity), owner_id=moved_owner
    )
    await session.flush()
    if changed & {*WHEN, "reminders", "owner_id"}:
        await plan_alarms(session, activity, now=now, escalation_hours=policy.escalation_hours)
    if changed & set(WHEN):
        moved = ActivityRescheduled(
            **snapshot(activity), previous_starts_at=previous[0], previous_ends_at=previous[1]
        )
        await add_event(session, new_event(moved, subject=activity.id))
    return activity


def _moved_with_the_series(
    series: Activity, dates: list[datetime], values: dict[str, Any]
) -> list[datetime]:
    """The exceptions (or extra dates) of a series whose start moves, moved by as much on the
    wall clock, so the occurrences skipped stay skipped and the extra ones stay extra."""
    zone = ZoneInfo(series.time_zone)
    shift = values["starts_at"].astimezone(zone).replace(tzinfo=None) - series.starts_at.astimezone(
        zone
    ).replace(tzinfo=None)
    return [
        (day.astimezone(zone).replace(tzinfo=None) + shift).replace(tzinfo=zone) for day in dates
    ]


_COLUMNS = (
    "kind",
    "title",
    "note",
    "owner_id",
    "participant_ids",
    "company_id",
    "contact_id",
    "deal_id",
    "starts_at",
    "ends_at",
    "all_day",
    "time_zone",
    "place",
    "phone",
    "rrule",
    "exdates",
    "rdates",
    "reminders",
    "recurs_until",
    "dav_extra",
)


async def update_activity(
    sessions: SessionFactory,
    identity: Identity,
    policy: Policy,
    activity_id: UUID,
    changes: dict[str, Any],
) -> Activity:
    async with unit_of_work(sessions) as session:
        activity = await _managed(session, identity, activity_id)
        await change(session, identity, policy, activity, changes, now=datetime.now(UTC))
    return activity


async def cancel(session: AsyncSession, activity: Activity, *, now: datetime) -> None:
    """It will not take place: kept (feeds show it as cancelled, CalDAV collections drop it),
    reminders dropped."""
    tombstones.leave(
        session, activity, people=tombstones.people_of(activity), owner_id=activity.owner_id
    )
    activity.status = "cancelled"
    activity.sequence += 1
    activity.updated_at = now
    await drop_pending(session, activity.id)
    await session.flush()
    await add_event(
        session, new_event(ActivityCancelled(**snapshot(activity)), subject=activity.id)
    )


async def cancel_activity(sessions: SessionFactory, identity: Identity, activity_id: UUID) -> None:
    async with unit_of_work(sessions) as session:
        activity = await _managed(session, identity, activity_id)
        if activity.status == "cancelled":
            return
        if activity.status == "done":
            raise Invalid({"status": N_("a completed or cancelled activity cannot be changed")})
        await cancel(session, activity, now=datetime.now(UTC))


async def outcome_types(session: AsyncSession) -> list[str]:
    custom = await session.scalars(select(OutcomeType.code).where(OutcomeType.active))
    return [*BUILTIN_OUTCOMES, *custom]


async def report_outcome(
    sessions: SessionFactory,
    identity: Identity,
    policy: Policy,
    activity_id: UUID,
    *,
    result: str,
    note: str,
    next_values: dict[str, Any] | None,
    occurrence: datetime | None = None,
) -> tuple[Activity, Activity | None]:
    """Close an activity with what came of it; optionally plan the next one in the same step.

    For a series, `occurrence` names the one reported on: it leaves the series (an exception)
    and becomes an activity of its own that carries the outcome.
    """
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        activity = await _managed(session, identity, activity_id)
        if activity.status != "scheduled":
            raise Conflict({"status": N_("this activity already has an outcome or is cancelled")})
        if result not in await outcome_types(session):
            raise Invalid({"result": N_("unknown outcome type")})
        if activity.rrule:
            activity = await _detach(session, identity, policy, activity, occurrence, now=now)
        if result == "cancelled":
            tombstones.leave(
                session,
                activity,
                people=tombstones.people_of(activity),
                owner_id=activity.owner_id,
            )
        activity.status = "cancelled" if result == "cancelled" else "done"
        activity.outcome, activity.outcome_note, activity.completed_at = result, note, now
        activity.sequence += 1
        activity.updated_at = now
        await drop_pending(session, activity.id)
        report = ActivityCompleted(
            **{k: v for k, v in snapshot(activity).items() if k in ActivityCompleted.model_fields},
            result=result,
            note=note,
            completed_at=now,
        )
        await add_event(session, new_event(report, subject=activity.id))
        following = None
        if next_values is not None:
            links = {
                name: getattr(activity, name)
                for name in ("company_id", "contact_id", "deal_id", "owner_id")
            }
            values = {**links, **{k: v for k, v in next_values.items() if v is not None}}
            following = await add_activity(
                session, identity, policy, values, now=now, copied_from=activity
            )
    return activity, following


async def _detach(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    series: Activity,
    occurrence: datetime | None,
    *,
    now: datetime,
) -> Activity:
    """One occurrence of a series as an activity of its own; the series skips it from now on."""
    if occurrence is None:
        raise Invalid({"occurrence": N_("name the occurrence of the series you report on")})
    found = starts_between(
        series, occurrence - timedelta(seconds=1), occurrence + timedelta(seconds=1)
    )
    if occurrence not in found:
        raise Invalid({"occurrence": N_("the series has no such occurrence")})
    await change(
        session, identity, policy, series, {"exdates": [*series.exdates, occurrence]}, now=now
    )
    copied = {column: getattr(series, column) for column in _COLUMNS}
    copied.update(
        starts_at=occurrence,
        ends_at=occurrence + (series.ends_at - series.starts_at),
        rrule=None,
        exdates=[],
        rdates=[],
        reminders=[],
    )
    return await add_occurrence(session, identity, policy, series, occurrence, copied, now=now)


async def add_occurrence(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    series: Activity,
    occurrence: datetime,
    values: dict[str, Any],
    *,
    now: datetime,
) -> Activity:
    """An occurrence of a series as an activity of its own (reported on, or moved elsewhere)."""
    values = {
        **values,
        "uid": f"{series.uid}/{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        "series_id": series.id,
        "recurrence_id": occurrence,
    }
    return await add_activity(session, identity, policy, values, now=now, copied_from=series)


def starts_between(activity: Activity, after: datetime, before: datetime) -> list[datetime]:
    """The starts in [after, before) of an activity's occurrences: its own, or its series'."""
    if not activity.rrule:
        return [activity.starts_at] if after <= activity.starts_at < before else []
    zone = ZoneInfo(activity.time_zone)
    return recurrence.starts_between(
        activity.starts_at, activity.rrule, activity.exdates, zone, after, before, activity.rdates
    )


def awaiting_outcome(now: Callable[[], Any]) -> ColumnElement[bool]:
    """Single activities whose end (or due time) has passed and that have no outcome yet."""
    return and_(Activity.status == "scheduled", Activity.rrule.is_(None), Activity.ends_at < now())


def in_range(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    """Activities with an occurrence overlapping [start, end)."""
    conditions: list[ColumnElement[bool]] = []
    if end is not None:
        conditions.append(Activity.starts_at < end)
    if start is not None:
        conditions.append(
            or_(
                Activity.ends_at > start,
                Activity.starts_at >= start,  # a due time exactly at the start
                and_(
                    Activity.rrule.is_not(None),
                    or_(Activity.recurs_until.is_(None), Activity.recurs_until >= start),
                ),
            )
        )
    return and_(true(), *conditions)
