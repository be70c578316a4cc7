"""`/api/calendar`: the calendar view, iCalendar feeds, `.ics` import, outcome types, defaults."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Concatenate, ParamSpec
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response, UploadFile, status
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.calendar.api.activities import policy_of
from services.calendar.domain.kinds import KINDS
from services.calendar.schemas import (
    FeedAddress,
    FeedInfo,
    FeedRequest,
    ImportResult,
    Occurrence,
    OutcomeTypeIn,
    OutcomeTypeOut,
    OutcomeTypeRename,
    ReminderDefaults,
)
from services.calendar.tables import Activity, ReminderDefault
from services.calendar.usecases import activities as usecases
from services.calendar.usecases import feeds, outcomes
from services.calendar.usecases.imports import import_calendar
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Forbidden, Invalid
from shared.reads import json_answer
from shared.schemas import Moment
from shared.text import N_

router = APIRouter(prefix="/api/calendar", tags=["calendar"])

MAX_RANGE = timedelta(days=100)
SERIES_LOOKBACK = timedelta(days=14)  # occurrences of a series await an outcome this long
MAX_AWAITING = 500
MAX_OCCURRENCES = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
SERIES_INLINE = 8  # series expanded without a worker thread
P = ParamSpec("P")
CALENDAR_TYPE = "text/calendar; charset=utf-8"


@router.get("/occurrences", response_model=list[Occurrence])
async def occurrences(
    sessions: Sessions,
    identity: CurrentIdentity,
    start: Moment,
    end: Moment,
    owner_id: UUID | None = None,
    include_cancelled: bool = False,
) -> Response:
    """Every occurrence in [start, end) of the activities the caller sees, recurrences expanded.

    A head sees the group's calendars overlaid; `owner_id` narrows to one person.
    """
    if end <= start or end - start > MAX_RANGE:
        raise Invalid({"end": N_("the range must be positive and at most 100 days")}, where="query")
    query = select(Activity).where(usecases.visible(identity), usecases.in_range(start, end))
    if owner_id is not None:
        query = query.where(Activity.owner_id == owner_id)
    if not include_cancelled:
        query = query.where(Activity.status != "cancelled")
    async with sessions() as session:
        rows = (await session.scalars(query.order_by(Activity.starts_at))).all()
    found = await _expanded(_occurrences, rows, start, end, datetime.now(start.tzinfo))
    return json_answer(found)


def _occurrences(
    rows: Sequence[Activity], start: datetime, end: datetime, now: datetime
) -> list[Occurrence]:
    found: list[Occurrence] = []
    for activity in rows:
        length = activity.ends_at - activity.starts_at
        for moment in usecases.starts_between(activity, start - length, end):
            ends = moment + length
            recent = not activity.rrule or ends >= now - SERIES_LOOKBACK
            ended = ends < now and activity.status == "scheduled" and recent
            found.append(_occurrence(activity, moment, awaiting=ended))
        if len(found) > MAX_OCCURRENCES:
            raise Invalid(
                {"end": N_("too many occurrences; choose a shorter range")}, where="query"
            )
    return found


@router.get("/awaiting", response_model=list[Occurrence])
async def awaiting(
    sessions: Sessions, identity: CurrentIdentity, owner_id: UUID | None = None
) -> Response:
    """What ended and awaits its outcome, oldest first: single activities, and the occurrences
    of series from the last two weeks (each is reported on separately)."""
    now = datetime.now(UTC)
    single = select(Activity).where(usecases.visible(identity), usecases.awaiting_outcome(func.now))
    series = select(Activity).where(
        usecases.visible(identity),
        Activity.status == "scheduled",
        Activity.rrule.is_not(None),
        Activity.starts_at < now,
        usecases.in_range(now - SERIES_LOOKBACK, now),
    )
    if owner_id is not None:
        single = single.where(Activity.owner_id == owner_id)
        series = series.where(Activity.owner_id == owner_id)
    async with sessions() as session:
        found = [
            _occurrence(activity, activity.starts_at, awaiting=True)
            for activity in await session.scalars(
                single.order_by(Activity.ends_at).limit(MAX_AWAITING)
            )
        ]
        recurring = (await session.scalars(series)).all()
    found += await _expanded(_awaiting_occurrences, recurring, now)
    found.sort(key=lambda occurrence: occurrence.end)
    return json_answer(found[:MAX_AWAITING])


async def _expanded(
    expand: Callable[Concatenate[Sequence[Activity], P], list[Occurrence]],
    rows: Sequence[Activity],
    *args: P.args,
    **kwargs: P.kwargs,
) -> list[Occurrence]:
    """`expand(rows, *args)`: in a worker thread when `rows` hold many series, so that
    expanding them lets other requests go on; right here when they hold few (a thread costs
    more than that)."""
    if sum(1 for row in rows if row.rrule) > SERIES_INLINE:
        return await asyncio.to_thread(expand, rows, *args, **kwargs)
    return expand(rows, *args, **kwargs)


def _span(activity: Activity, start: datetime) -> tuple[datetime, datetime]:
    """An occurrence's start and end; all-day ones, single or in a series, as midnights of the
    activity's time zone with its offset (the end the midnight after the last day)."""
    if not activity.all_day:
        return start, start + (activity.ends_at - activity.starts_at)
    zone = ZoneInfo(activity.time_zone)
    first, last = (
        moment.astimezone(zone).date() for moment in (activity.starts_at, activity.ends_at)
    )
    day = start.astimezone(zone).date()
    return (
        datetime.combine(day, time(), zone),
        datetime.combine(day + (last - first), time(), zone),
    )


def _awaiting_occurrences(series: Sequence[Activity], now: datetime) -> list[Occurrence]:
    found = []
    for activity in series:
        length = activity.ends_at - activity.starts_at
        starts = usecases.starts_between(activity, now - SERIES_LOOKBACK - length, now - length)
        found += [_occurrence(activity, start, awaiting=True) for start in starts]
    return found


def _occurrence(activity: Activity, start: datetime, *, awaiting: bool) -> Occurrence:
    start, end = _span(activity, start)
    return Occurrence(
        activity_id=activity.id,
        kind=activity.kind,
        title=activity.title,
        owner_id=activity.owner_id,
        start=start,
        end=end,
        all_day=activity.all_day,
        status=activity.status,
        recurring=activity.rrule is not None,
        awaiting_outcome=awaiting,
    )


def base_url(request: Request) -> str:
    configured = request.app.state.public_url
    if configured:
        return str(configured).rstrip("/")
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    host = request.headers.get("x-forwarded-host", request.url.netloc)
    return f"{proto}://{host}"


@router.post("/feed", status_code=status.HTTP_201_CREATED)
async def create_feed(
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    body: FeedRequest | None = None,
) -> FeedAddress:
    """A new secret feed address; the one before it (same scope) stops answering."""
    token = await feeds.create_feed(sessions, identity, body.team_id if body else None)
    url = f"{base_url(request)}/api/calendar/feeds/{token}.ics"
    return FeedAddress(url=url, webcal="webcal://" + url.split("://", 1)[1])


@router.get("/feed")
async def list_feeds(sessions: Sessions, identity: CurrentIdentity) -> list[FeedInfo]:
    """The caller's live feeds (their addresses are not kept and cannot be shown again)."""
    return [
        FeedInfo(team_id=feed.team_id, created_at=feed.created_at)
        for feed in await feeds.live_feeds(sessions, identity)
    ]


@router.delete("/feed", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_feed(
    sessions: Sessions, identity: CurrentIdentity, team_id: UUID | None = None
) -> Response:
    await feeds.revoke_feed(sessions, identity, team_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/feeds/{token}.ics", response_class=Response)
async def feed(
    token: Annotated[str, Field(max_length=100)],
    request: Request,
    sessions: Sessions,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The iCalendar feed (no sign-in: the address is the secret). 304 when unchanged; HEAD
    answers with the same headers."""
    content = await feeds.render_feed(
        sessions,
        token,
        link=f"{base_url(request)}/calendar?activity={{id}}",
        if_none_match=if_none_match,
        name="Contentum CRM",
    )
    headers = {"ETag": content.etag, "Cache-Control": "private, no-cache"}
    if content.body is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(content.body.encode()))
        return Response(media_type=CALENDAR_TYPE, headers=headers)
    return Response(content.body, media_type=CALENDAR_TYPE, headers=headers)


router.add_api_route(
    "/feeds/{token}.ics", feed, methods=["HEAD"], response_class=Response, include_in_schema=False
)


@router.post("/import")
async def import_ics(
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    file: UploadFile,
    time_zone: Annotated[str | None, Query(max_length=64)] = None,
) -> ImportResult:
    """Import an `.ics` file into the caller's calendar: all of it, or (on any error) nothing."""
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid({"file": N_("the file is larger than 2 MB")})
    if not data.strip():
        raise Invalid({"file": N_("the file is empty")})
    if time_zone is not None and time_zone not in usecases.zones():
        raise Invalid({"time_zone": N_("unknown time zone")}, where="query")
    result = await import_calendar(sessions, identity, policy_of(request), data, time_zone)
    return ImportResult(**asdict(result))


@router.get("/outcome-types")
async def list_outcome_types(sessions: Sessions, _: CurrentIdentity) -> list[OutcomeTypeOut]:
    """The built-in types (`label` null: the UI names them, unless the administrator renamed
    them) and the administrator's own."""
    async with sessions() as session:
        return await outcomes.offered(session)


@router.post("/outcome-types", status_code=status.HTTP_201_CREATED)
async def add_outcome_type(
    body: OutcomeTypeIn, sessions: Sessions, identity: CurrentIdentity
) -> OutcomeTypeOut:
    if identity.role != "admin":
        raise Forbidden("only the admin defines outcome types")
    return await outcomes.add(sessions, code=body.code, label=body.label)


@router.patch("/outcome-types/{code}")
async def rename_outcome_type(
    code: str, body: OutcomeTypeRename, sessions: Sessions, identity: CurrentIdentity
) -> OutcomeTypeOut:
    """Another name for a type, built-in ones included."""
    if identity.role != "admin":
        raise Forbidden("only the admin defines outcome types")
    return await outcomes.rename(sessions, code=code, label=body.label)


@router.delete("/outcome-types/{code}", status_code=status.HTTP_204_NO_CONTENT)
async def retire_outcome_type(code: str, sessions: Sessions, identity: CurrentIdentity) -> Response:
    """Offered no more; reports that used it keep it."""
    if identity.role != "admin":
        raise Forbidden("only the admin defines outcome types")
    await outcomes.retire(sessions, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/reminder-defaults")
async def reminder_defaults(sessions: Sessions, identity: CurrentIdentity) -> ReminderDefaults:
    """The caller's default reminders per kind (minutes before the start)."""
    async with sessions() as session:
        return ReminderDefaults(
            **{
                kind: await usecases.default_reminders(session, UUID(identity.user_id), kind)
                for kind in KINDS
            }
        )


@router.put("/reminder-defaults")
async def set_reminder_defaults(
    body: ReminderDefaults, sessions: Sessions, identity: CurrentIdentity
) -> ReminderDefaults:
    user_id = UUID(identity.user_id)
    async with sessions() as session, session.begin():
        for kind, minutes in body.model_dump().items():
            minutes = sorted(set(minutes))
            await session.execute(
                insert(ReminderDefault)
                .values(user_id=user_id, kind=kind, minutes=minutes)
                .on_conflict_do_update(
                    index_elements=[ReminderDefault.user_id, ReminderDefault.kind],
                    set_={"minutes": minutes},
                )
            )
    return body
