"""The administrator's users: the list, a new user, a user's own page to change them."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.gateway.identity import presented_token
from services.gateway.notifications import notify
from services.gateway.schemas import UserCreate, UserUpdate
from services.gateway.tables import User
from services.gateway.usecases import people as usecases
from services.gateway.web.admin.forms import (
    People,
    blank_is_none,
    field_problems,
    people,
    translated,
    user_choices,
)
from services.gateway.web.backend import Refused, ask, part, problems
from services.gateway.web.common import PageAdmin, form_fields, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.i18n import speaking_to
from services.gateway.web.rendering import complaint, fragment, render
from shared.deps import Sessions
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)

# What the page about a user shows and changes; the password and activity are set elsewhere.
EDITED = ("name", "email", "role", "team_id", "department_id", "locale", "time_zone")


def _table(found: People) -> dict[str, Any]:
    return {
        "users": found.users,
        "team_names": found.team_names(),
        "department_names": {d.id: d.name for d in found.departments},
    }


@router.get("/admin/users")
async def users_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    found = await people(sessions)
    context = {**_table(found), **user_choices(found), "errors": {}, "form": {}, "created": None}
    return render(request, "admin/users.html", user, **context)


@router.post("/admin/users")
async def add_user(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    errors, created = {}, None
    try:
        new_user = await usecases.create_user(
            sessions, **UserCreate.model_validate(form).model_dump()
        )
        form, created = {}, new_user.name
    except ValidationError as invalid:
        errors = field_problems(invalid)
    except Invalid as invalid:
        errors = translated(invalid)
    found = await people(sessions)
    context = {**_table(found), **user_choices(found), "errors": errors, "form": form}
    form_html = fragment(request, "admin/_user_form.html", user, created=created, **context)
    table = fragment(request, "admin/_user_table.html", user, **context)
    swap = f'<section id="user-table" hx-swap-oob="innerHTML">{table}</section>'
    return HTMLResponse(form_html + swap, status.HTTP_422_UNPROCESSABLE_CONTENT if errors else 200)


@router.post("/admin/users/{user_id}/active")
async def set_active(
    request: Request,
    user_id: UUID,
    user: PageAdmin,
    sessions: Sessions,
    active: Annotated[bool, Form()],
) -> Response:
    headers = {}
    try:
        await usecases.update_user(sessions, user_id, {"active": active})
    except Invalid as invalid:
        headers.update(complaint("; ".join(translated(invalid).values())))
    table = render(request, "admin/_user_table.html", user, **_table(await people(sessions)))
    table.headers.update(headers)
    return table


def _heirs(found: People, person: User) -> list[tuple[Any, str]]:
    """Who may take a person's deals and customers: the other active salespeople and
    administrators, with their group."""
    groups = found.team_names()
    return [
        (u.id, f"{u.name} ({groups[u.team_id]})" if u.team_id in groups else u.name)
        for u in found.users
        if u.active and u.role != "staff" and u.id != person.id
    ]


async def _user_page(
    request: Request,
    user: User,
    sessions: Sessions,
    person: User,
    form: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    found = await people(sessions)
    context = {**user_choices(found), "person": person, "form": form}
    context.update(heirs=_heirs(found, person), handing={}, chosen=None, done=None)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin/user.html", user, status_code=code, errors=errors, **context)


async def _person(sessions: Sessions, user_id: UUID) -> User:
    async with sessions() as session:
        person = await session.get(User, user_id)
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return person


@router.get("/admin/users/{user_id}")
async def user_page(
    request: Request, user_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    person = await _person(sessions, user_id)
    form = {name: getattr(person, name) for name in EDITED}
    return await _user_page(request, user, sessions, person, form, {})


@router.post("/admin/users/{user_id}")
async def change_user(
    request: Request, user_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    """Save what the administrator changed; the list again, or the form with what is wrong."""
    person = await _person(sessions, user_id)
    submitted = await form_fields(request)
    form = blank_is_none(
        {k: v for k, v in submitted.items() if k in EDITED}, "team_id", "department_id"
    )
    if submitted.get("password"):  # the administrator sets a forgotten password anew
        form["password"] = submitted["password"]
    try:
        changes = UserUpdate.model_validate(form).model_dump(exclude_unset=True)
        keep = presented_token(request) if user_id == user.id else None
        await usecases.update_user(sessions, user_id, changes, keep_token=keep)
    except ValidationError as invalid:
        return await _user_page(request, user, sessions, person, form, field_problems(invalid))
    except Invalid as invalid:
        return await _user_page(request, user, sessions, person, form, translated(invalid))
    return redirect(request, "/admin/users")


async def _activities_handed(request: Request, user: User, body: dict[str, Any]) -> int:
    answer = await ask(request, user, "calendar", "POST", "/api/activities/hand-over", json=body)
    if not answer.is_success:
        raise Refused("calendar", answer.status_code, problems(answer))
    return int(answer.json()["activities"])


async def _tell_the_heir(
    sessions: Sessions, heir: User, person: User, handed: dict[str, Any]
) -> None:
    """The colleague hears, in their language, what they were given and where to find it."""
    with speaking_to(heir):
        title = _("%(name)s's work is now yours") % {"name": person.name}
        body = (
            _(
                "Deals %(deals)s, companies %(companies)s, contacts %(contacts)s,"
                " activities %(activities)s."
            )
            % handed
        )
    await notify(sessions, user_id=heir.id, kind="hand_over", title=title, body=body, link="/deals")


@router.post("/admin/users/{user_id}/hand-over")
async def hand_over(
    request: Request, user_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    """Give the person's open deals (and, if ticked, their customers and their scheduled
    activities) to a colleague. Deals first: if the calendar then fails, what was handed is
    said, and handing over again moves what is left."""
    person = await _person(sessions, user_id)
    form = await form_fields(request)
    heir = form.get("to_owner_id", "")
    whose = {"from_owner_id": str(person.id), "to_owner_id": heir}
    found = await people(sessions)
    heirs = _heirs(found, person)
    context: dict[str, Any] = {"person": person, "heirs": heirs, "chosen": heir}
    answer = None
    if heir:
        body = {**whose, "customers": "customers" in form}
        answer = await ask(request, user, "deals", "POST", "/api/deals/hand-over", json=body)
    if answer is None or not answer.is_success:
        handing = problems(answer) if answer else {"to_owner_id": _("Choose who takes them.")}
        return render(
            request,
            "admin/_hand_over.html",
            user,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            handing=handing,
            **context,
        )
    handed = {**answer.json(), "activities": 0}
    handing = {}
    if "activities" in form:
        moved = await part(_activities_handed(request, user, whose), 0)
        handed["activities"] = moved.value
        if moved.missing:
            handing["form"] = f"{moved.missing} {_('Hand over again to move what is left.')}"
    taker = next((u for u in found.users if str(u.id) == heir), None)
    if taker is not None:
        await _tell_the_heir(sessions, taker, person, handed)
    name = next((name for id_, name in heirs if str(id_) == heir), "")
    done = _(
        "Handed over to %(name)s: deals %(deals)s, companies %(companies)s, contacts"
        " %(contacts)s, activities %(activities)s."
    ) % {"name": name, **handed}
    return render(request, "admin/_hand_over.html", user, handing=handing, done=done, **context)
