"""The administrator's departments: the list, a new one, renaming one in place; a department's
page with its head and working hours."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import ValidationError
from sqlalchemy import select

from services.gateway.schemas import DepartmentCreate, DepartmentUpdate
from services.gateway.tables import Department, User
from services.gateway.usecases import people as usecases
from services.gateway.web.admin.forms import field_problems, people, translated
from services.gateway.web.common import PageAdmin, form_fields, redirect
from services.gateway.web.i18n import current_locale
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render
from shared import validation
from shared.deps import Sessions
from shared.errors import Invalid
from shared.text import N_

router = APIRouter(include_in_schema=False)


async def _departments_page(
    request: Request,
    user: User,
    sessions: Sessions,
    errors: dict[str, str],
    form: dict[str, str],
    renamed: dict[str, Any] | None = None,
) -> Response:
    """The list; `errors` and `form` are the new department's, `renamed` a refused rename's."""
    context = {
        "departments": (await people(sessions)).departments,
        "errors": errors,
        "form": form,
        "renamed": renamed or {},
    }
    failed = errors or (renamed or {}).get("error")
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return render(request, "admin/departments.html", user, status_code=code, **context)


@router.get("/admin/departments")
async def departments_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    return await _departments_page(request, user, sessions, {}, {})


@router.post("/admin/departments")
async def add_department(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    try:
        await usecases.create_department(sessions, name=DepartmentCreate.model_validate(form).name)
    except ValidationError as invalid:
        return await _departments_page(request, user, sessions, field_problems(invalid), form)
    except Invalid as invalid:
        return await _departments_page(request, user, sessions, translated(invalid), form)
    return await _departments_page(request, user, sessions, {}, {})


@router.post("/admin/departments/{department_id}")
async def rename_department(
    request: Request, department_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    form = await form_fields(request)
    problems: dict[str, str] = {}
    try:
        name = DepartmentUpdate.model_validate({"name": form.get("name", "")}).name
        await usecases.update_department(sessions, department_id, {"name": name})
    except ValidationError as invalid:
        problems = field_problems(invalid)
    except Invalid as invalid:
        problems = translated(invalid)
    if not problems:
        return await _departments_page(request, user, sessions, {}, {})
    refused = {"id": department_id, "name": form.get("name", ""), "error": problems.get("name")}
    return await _departments_page(request, user, sessions, {}, {}, renamed=refused)


# --- one department: name, head, working hours ---------------------------------------------------

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _department_form(department: Department) -> dict[str, str]:
    form = {"name": department.name, "head_id": str(department.head_id or "")}
    for day, hours in enumerate(department.working_hours):
        form[f"start_{day}"] = hours["start"] if hours else ""
        form[f"end_{day}"] = hours["end"] if hours else ""
    return form


def _hours(form: dict[str, str]) -> list[dict[str, str] | None]:
    """The week from the form: a day without a start and an end is a day off."""
    return [
        {"start": form.get(f"start_{day}", ""), "end": form.get(f"end_{day}", "")}
        if form.get(f"start_{day}") or form.get(f"end_{day}")
        else None
        for day in range(7)
    ]


async def _department_page(
    request: Request,
    user: User,
    sessions: Sessions,
    department: Department,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    async with sessions() as session:
        staff = list(
            await session.scalars(
                select(User).where(User.department_id == department.id).order_by(User.name)
            )
        )
        heads = [(person.id, person.name) for person in staff if person.active]
    context = {
        "department": department,
        "members": staff,
        "form": form,
        "errors": errors,
        "heads": heads,
        "weekdays": [_(day) for day in WEEKDAYS],
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin/department.html", user, status_code=code, **context)


async def _department(sessions: Sessions, department_id: UUID) -> Department:
    async with sessions() as session:
        department = await session.get(Department, department_id)
    if department is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return department


@router.get("/admin/departments/{department_id}")
async def department_page(
    request: Request, department_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    """A department's name, its head (told when a request's SLA runs out) and working hours."""
    department = await _department(sessions, department_id)
    return await _department_page(
        request, user, sessions, department, _department_form(department), {}
    )


@router.post("/admin/departments/{department_id}/settings")
async def save_department(
    request: Request, department_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    department = await _department(sessions, department_id)
    form = await form_fields(request)
    body = {
        "name": form.get("name", ""),
        "head_id": form.get("head_id") or None,
        "working_hours": _hours(form),
    }
    try:
        changes = DepartmentUpdate.model_validate(body).model_dump()
        await usecases.update_department(sessions, department_id, changes)
    except ValidationError as invalid:
        return await _department_page(
            request, user, sessions, department, form, _hour_problems(invalid)
        )
    except Invalid as invalid:
        return await _department_page(
            request, user, sessions, department, form, translated(invalid)
        )
    return redirect(request, "/admin/departments")


def _hour_problems(invalid: ValidationError) -> dict[str, str]:
    """What is wrong, by field; a wrong day (pydantic's `working_hours, <day>, ...`) beside
    that day's hours."""
    errors = [
        {**error, "loc": (f"day_{error['loc'][1]}",)}
        if error["loc"][0] == "working_hours" and len(error["loc"]) > 1
        else error
        for error in invalid.errors()
    ]
    return validation.by_field(errors, current_locale.get())
