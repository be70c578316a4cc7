"""The administrator's departments: the list, a new one, renaming one in place."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from services.gateway.schemas import DepartmentCreate, DepartmentUpdate
from services.gateway.tables import User
from services.gateway.usecases import people as usecases
from services.gateway.web.admin.forms import field_problems, people, translated
from services.gateway.web.common import PageAdmin, form_fields
from services.gateway.web.rendering import render
from shared.deps import Sessions
from shared.errors import Invalid

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
        await usecases.rename_department(sessions, department_id, name=name)
    except ValidationError as invalid:
        problems = field_problems(invalid)
    except Invalid as invalid:
        problems = translated(invalid)
    if not problems:
        return await _departments_page(request, user, sessions, {}, {})
    refused = {"id": department_id, "name": form.get("name", ""), "error": problems.get("name")}
    return await _departments_page(request, user, sessions, {}, {}, renamed=refused)
