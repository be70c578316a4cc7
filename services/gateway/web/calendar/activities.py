"""The calendar pages: month/week/day/list views, activity dialogs, outcome reports, feeds, import."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.calendar.recurrence import rule_in_words
from services.gateway.web.common import PageSeller, form_fields, in_its_page
from services.gateway.web.deals.choices import company_choices, deal_choices
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, render
from shared.deps import Sessions
from shared.text import N_

router = APIRouter(include_in_schema=False)

KINDS = {
    "call": (N_("Call"), "#1f6feb"),
    "meeting": (N_("Meeting"), "#8250df"),
    "letter": (N_("Letter"), "#bf8700"),
    "task": (N_("Task"), "#067647"),
}
OUTCOMES = {
    "completed": N_("Completed"),
    "no_answer": N_("No answer"),
    "rescheduled": N_("Rescheduled"),
    "cancelled": N_("Cancelled"),
}
REPEATS = {
    "": N_("Does not repeat"),
    "DAILY": N_("Daily"),
    "WEEKLY": N_("Weekly"),
    "MONTHLY": N_("Monthly"),
    "YEARLY": N_("Yearly"),
}
TIMED = ("call", "meeting")


def _zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.time_zone)


def _local_input(value: str | None, user: User) -> str:
    """An API time as a `datetime-local` input value in the user's zone."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(_zone(user)).strftime("%Y-%m-%dT%H:%M")


def _moment(value: str, user: User) -> datetime | None:
    """A `datetime-local` (or date) input as a time in the user's zone; None when blank or bad."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone(user))


def _aware(value: str, user: User) -> str | None:
    """The same as an ISO time, as the API takes it."""
    return _iso(_moment(value, user))


def parse_minutes(text: str) -> list[int] | None:
    """`"10, 60"` -> [10, 60]; blank -> None (the owner's defaults); raises on anything else."""
    if not text.strip():
        return None
    return sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()})


def _payload(form: dict[str, str], user: User) -> tuple[dict[str, Any], dict[str, str]]:
    """The activity as the API takes it, and the problems found before asking it."""
    kind = form.get("kind", "call")
    all_day = form.get("all_day") == "on"
    start = _aware(form.get("start", ""), user)
    end = _aware(form.get("end", ""), user)
    problems: dict[str, str] = {}
    body: dict[str, Any] = {
        "kind": kind,
        "title": form.get("title", ""),
        "note": form.get("note", ""),
        "place": form.get("place") or None,
        "phone": form.get("phone") or None,
        "all_day": all_day,
    }
    if kind in TIMED:
        if all_day and start and not end:
            end = (datetime.fromisoformat(start) + timedelta(days=1)).isoformat()
        body.update(start=start, end=end)
    else:
        body["due"] = start
    if start is None:
        problems["start"] = _("Give a date and time.")
    try:
        reminders = parse_minutes(form.get("reminders", ""))
    except ValueError:
        problems["reminders"] = _("Minutes before the start, separated by commas.")
        reminders = None
    if reminders is not None:
        body["reminders"] = reminders
    repeat = form.get("repeat", "")
    if repeat in REPEATS and repeat:
        rule = f"FREQ={repeat}"
        if form.get("until"):
            rule += f";UNTIL={form['until'].replace('-', '')}"
        body["rrule"] = rule
    for link in ("deal_id", "company_id", "contact_id"):
        if form.get(link):
            body[link] = form[link]
    return body, problems


def _repeat_fields(rule: str | None, user: User) -> dict[str, str]:
    """What the form shows of a rule: its frequency, and its last day (UNTIL) in the user's zone."""
    parts = dict(part.partition("=")[::2] for part in (rule or "").split(";") if part)
    until = ""
    if parts.get("UNTIL"):
        moment = datetime.strptime(parts["UNTIL"].rstrip("Z")[:15].ljust(15, "0"), "%Y%m%dT%H%M%S")
        until = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(_zone(user)).date().isoformat()
    return {"repeat": parts.get("FREQ", ""), "until": until}


# Where the activity dialog shows what the calendar refused, when the input is named otherwise.
RENAMED = {"due": "start", "rrule": "repeat", "exdates": "repeat", "next": "next_start"}


def _problems(answer: httpx.Response) -> dict[str, str]:
    return problems(answer, RENAMED)


async def _names(sessions: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        return {str(row.id): row.name for row in rows}


@router.get("/calendar")
async def calendar_page(
    request: Request, user: PageSeller, activity: UUID | None = None, group: bool = False
) -> Response:
    awaiting = await read(
        request, user, "calendar", "/api/calendar/awaiting", owner_id=str(user.id)
    )
    context: dict[str, Any] = {
        "open_activity": activity,
        "group": group and user.role in ("head", "admin"),
        "awaiting": len(awaiting),
        "kinds": KINDS,
    }
    return render(request, "calendar/calendar.html", user, **context)


@router.get("/calendar/events")
async def calendar_events(
    request: Request,
    user: PageSeller,
    sessions: Sessions,
    start: str,
    end: str,
    group: bool = False,
) -> Response:
    """The occurrences FullCalendar shows in the visible range."""
    params: dict[str, Any] = {"start": start, "end": end}
    if not (group and user.role in ("head", "admin")):
        params["owner_id"] = str(user.id)
    answer = await ask(request, user, "calendar", "GET", "/api/calendar/occurrences", params=params)
    if answer.status_code != 200:
        return JSONResponse([], status_code=answer.status_code)
    occurrences = answer.json()
    names = await _names(sessions, {o["owner_id"] for o in occurrences} - {str(user.id)})
    events = []
    for occurrence in occurrences:
        others = names.get(occurrence["owner_id"])
        title = f"{others}: {occurrence['title']}" if others else occurrence["title"]
        start_value, end_value = occurrence["start"], occurrence["end"]
        if occurrence["all_day"]:
            start_value = _local_day(start_value, user)
            end_value = _local_day(end_value, user)
        events.append(
            {
                "id": f"{occurrence['activity_id']}/{occurrence['start']}",
                "title": ("⚠ " if occurrence["awaiting_outcome"] else "") + title,
                "start": start_value,
                "end": end_value if end_value != start_value else None,
                "allDay": occurrence["all_day"],
                "color": KINDS[occurrence["kind"]][1],
                "editable": not occurrence["recurring"]
                and occurrence["status"] == "scheduled"
                and not others,
                "extendedProps": {
                    "activity": occurrence["activity_id"],
                    "occurrence": occurrence["start"] if occurrence["recurring"] else "",
                },
            }
        )
    return JSONResponse(events)


def _local_day(value: str, user: User) -> str:
    return datetime.fromisoformat(value).astimezone(_zone(user)).date().isoformat()


def _blank(user: User, start: str | None, end: str | None, all_day: bool) -> dict[str, str]:
    next_hour = datetime.now(_zone(user)) + timedelta(hours=1)
    moment = _moment(start or "", user) or next_hour.replace(minute=0, second=0, microsecond=0)
    finish = _moment(end or "", user) or moment + timedelta(minutes=30)
    if all_day:
        finish = moment
    return {
        "kind": "call",
        "start": moment.astimezone(_zone(user)).strftime("%Y-%m-%dT%H:%M"),
        "end": finish.astimezone(_zone(user)).strftime("%Y-%m-%dT%H:%M"),
        "all_day": "on" if all_day else "",
    }


def _form_context(form: dict[str, str], problems: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"form": form, "problems": problems, "kinds": KINDS, "repeats": REPEATS, **more}


@router.get("/calendar/activities/new")
async def new_activity(
    request: Request,
    user: PageSeller,
    start: str | None = None,
    end: str | None = None,
    all_day: bool = False,
    deal_id: UUID | None = None,
    company_id: UUID | None = None,
) -> Response:
    if elsewhere := in_its_page(request, "/calendar"):
        return elsewhere
    form = _blank(user, start, end, all_day)
    if deal_id:
        form["deal_id"] = str(deal_id)
    if company_id:
        form["company_id"] = str(company_id)
    picking = not (deal_id or company_id)  # planned in the calendar: the customer is chosen here
    more = await _record_choices(request, user, form) if picking else {}
    return render(request, "calendar/_activity_form.html", user, **_form_context(form, {}, **more))


async def _record_choices(request: Request, user: User, form: dict[str, str]) -> dict[str, Any]:
    """The dialog's own choice of a company and one of its deals (the chosen ones kept)."""
    chosen = form.get("company_id", "")
    choices = await company_choices(request, user, chosen=chosen)
    deals = await deal_choices(request, user, chosen) if chosen else []
    return {"picking": True, "choices": choices, "deals": deals}


@router.post("/calendar/activities")
async def create_activity(request: Request, user: PageSeller) -> Response:
    form = await form_fields(request)
    body, problems = _payload(form, user)
    if not problems:
        answer = await ask(request, user, "calendar", "POST", "/api/activities", json=body)
        if answer.status_code == 201:
            return _changed()
        problems = _problems(answer)
    more = await _record_choices(request, user, form) if form.get("pick") else {}
    context = _form_context(form, problems, **more)
    return render(request, "calendar/_activity_form.html", user, status_code=422, **context)


def _changed() -> Response:
    return Response(
        status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Trigger": "crm:calendar-changed"}
    )


async def _activity(request: Request, user: User, activity_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = await read(request, user, "calendar", f"/api/activities/{activity_id}")
    return found


@router.get("/calendar/activities/{activity_id}")
async def show_activity(
    request: Request, user: PageSeller, activity_id: UUID, occurrence: str = ""
) -> Response:
    """An activity; for a series, `occurrence` is the one clicked (reported on separately)."""
    if elsewhere := in_its_page(request, "/calendar"):
        return elsewhere
    activity = await _activity(request, user, activity_id)
    types = await read(request, user, "calendar", "/api/calendar/outcome-types")
    rule = activity["rrule"]
    context: dict[str, Any] = {
        "activity": activity,
        "repeats": rule_in_words(rule, locale=user.locale, time_zone=user.time_zone)
        if rule
        else "",
        "kinds": KINDS,
        "outcome_label": outcome_labels(types),
        "mine": activity["owner_id"] == str(user.id) or user.role in ("head", "admin"),
        "occurrence": _occurrence(occurrence),
    }
    return render(request, "calendar/_activity.html", user, **context)


def _occurrence(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def outcome_labels(types: list[dict[str, Any]]) -> dict[str, str]:
    return {t["code"]: t["label"] or _(OUTCOMES.get(t["code"], t["code"])) for t in types}


@router.get("/calendar/activities/{activity_id}/edit")
async def edit_activity(request: Request, user: PageSeller, activity_id: UUID) -> Response:
    if elsewhere := in_its_page(request, "/calendar"):
        return elsewhere
    activity = await _activity(request, user, activity_id)
    form = {
        "kind": activity["kind"],
        "title": activity["title"],
        "note": activity["note"],
        "place": activity["place"] or "",
        "phone": activity["phone"] or "",
        "start": _local_input(activity["start"], user),
        "end": _local_input(activity["end"], user),
        "all_day": "on" if activity["all_day"] else "",
        "reminders": ", ".join(str(m) for m in activity["reminders"]),
        **_repeat_fields(activity["rrule"], user),
    }
    context = _form_context(form, {}, activity_id=activity_id)
    return render(request, "calendar/_activity_form.html", user, **context)


@router.post("/calendar/activities/{activity_id}")
async def update_activity(request: Request, user: PageSeller, activity_id: UUID) -> Response:
    form = await form_fields(request)
    body, problems = _payload(form, user)
    current = await _activity(request, user, activity_id)
    if current["rrule"] and _repeat_fields(current["rrule"], user) == {
        "repeat": form.get("repeat", ""),
        "until": form.get("until", ""),
    }:
        body.pop("rrule", None)  # unchanged: keep its BYDAY, COUNT and exceptions as they are
    elif current["rrule"] and not form.get("repeat"):
        body["rrule"] = None
    if not problems:
        path = f"/api/activities/{activity_id}"
        answer = await ask(request, user, "calendar", "PATCH", path, json=body)
        if answer.status_code == 200:
            return _changed()
        problems = _problems(answer)
    context = _form_context(form, problems, activity_id=activity_id)
    return render(request, "calendar/_activity_form.html", user, status_code=422, **context)


@router.post("/calendar/activities/{activity_id}/move")
async def move_activity(request: Request, user: PageSeller, activity_id: UUID) -> Response:
    """Drag or resize in the calendar; the server decides, the page reverts on refusal."""
    form = await form_fields(request)
    current = await _activity(request, user, activity_id)
    # FullCalendar sends days (`2026-12-01`) for all-day events and offsets for timed ones.
    start, end = _moment(form.get("start", ""), user), _moment(form.get("end", ""), user)
    if end is None and start is not None:  # a timed event dropped on a day keeps its length
        length = datetime.fromisoformat(current["end"]) - datetime.fromisoformat(current["start"])
        end = start + length
    changes: dict[str, Any] = {"all_day": form.get("all_day") == "true"}
    if current["kind"] in TIMED:
        changes.update(start=_iso(start), end=_iso(end))
    else:
        changes["due"] = _iso(start)
    path = f"/api/activities/{activity_id}"
    answer = await ask(request, user, "calendar", "PATCH", path, json=changes)
    if answer.status_code == 200:
        return JSONResponse({"ok": True})
    message = "; ".join(_problems(answer).values()) if answer.status_code == 422 else ""
    return JSONResponse(
        {"ok": False, "message": message or _("The activity could not be moved.")},
        status_code=answer.status_code,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@router.post("/calendar/activities/{activity_id}/cancel")
async def cancel_activity(request: Request, user: PageSeller, activity_id: UUID) -> Response:
    answer = await ask(request, user, "calendar", "DELETE", f"/api/activities/{activity_id}")
    if answer.status_code == 204:
        return _changed()
    return Response(status_code=204, headers=complaint(_("The activity could not be cancelled.")))


@router.get("/calendar/activities/{activity_id}/outcome")
async def outcome_form(
    request: Request, user: PageSeller, activity_id: UUID, occurrence: str = ""
) -> Response:
    if elsewhere := in_its_page(request, "/calendar"):
        return elsewhere
    activity = await _activity(request, user, activity_id)
    moment = _occurrence(occurrence)
    form = {"occurrence": moment.isoformat()} if moment else {}
    return await _outcome_dialog(request, user, activity, form, {})


async def _outcome_dialog(
    request: Request,
    user: User,
    activity: dict[str, Any],
    form: dict[str, str],
    problems: dict[str, str],
    status_code: int = 200,
) -> Response:
    types = await read(request, user, "calendar", "/api/calendar/outcome-types")
    next_start = datetime.now(_zone(user)).replace(minute=0, second=0, microsecond=0)
    context = {
        "activity": activity,
        "outcomes": outcome_labels(types),
        "form": {"next_start": (next_start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), **form},
        "problems": problems,
        "kinds": KINDS,
    }
    return render(request, "calendar/_outcome_form.html", user, status_code=status_code, **context)


@router.post("/calendar/activities/{activity_id}/outcome")
async def report_outcome(request: Request, user: PageSeller, activity_id: UUID) -> Response:
    form = await form_fields(request)
    body: dict[str, Any] = {"result": form.get("result", ""), "note": form.get("note", "")}
    if form.get("occurrence"):
        body["occurrence"] = form["occurrence"]
    problems: dict[str, str] = {}
    if form.get("next_title"):
        kind = form.get("next_kind", "call")
        start = _aware(form.get("next_start", ""), user)
        if start is None:
            problems["next_start"] = _("Give a date and time.")
        elif kind in TIMED:
            end = datetime.fromisoformat(start) + timedelta(minutes=30)
            body["next"] = {
                "kind": kind,
                "title": form["next_title"],
                "start": start,
                "end": end.isoformat(),
            }
        else:
            body["next"] = {"kind": kind, "title": form["next_title"], "due": start}
    if not problems:
        path = f"/api/activities/{activity_id}/outcome"
        answer = await ask(request, user, "calendar", "POST", path, json=body)
        if answer.status_code == 200:
            return _changed()
        problems = _problems(answer)
    activity = await _activity(request, user, activity_id)
    return await _outcome_dialog(request, user, activity, form, problems, status_code=422)
