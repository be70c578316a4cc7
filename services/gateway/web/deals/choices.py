"""What a form's pickers offer from the deals service: companies by name, and a company's deals.
Each reads what the user may see, and offers nothing when deals does not answer."""

from typing import Any

from fastapi import Request

from services.gateway.tables import User
from services.gateway.web.backend import part, read


async def company_choices(
    request: Request, user: User, q: str = "", *, chosen: str = ""
) -> list[dict[str, Any]]:
    """The first companies by name matching `q`, with `chosen` among them even if it is not on
    the first page (a form shown again keeps its choice)."""
    typed = {"q": q.strip()[:100]} if q.strip() else {}
    reading = read(request, user, "deals", "/api/companies", **typed, limit=20)
    choices: list[dict[str, Any]] = (await part(reading, {"items": []})).value["items"]
    if not chosen or any(company["id"] == chosen for company in choices):
        return choices
    company = await part(read(request, user, "deals", f"/api/companies/{chosen}"), None)
    return ([company.value] if company.value else []) + choices


async def deal_choices(request: Request, user: User, company_id: str) -> list[dict[str, Any]]:
    """The company's deals, the newest first."""
    reading = read(request, user, "deals", "/api/deals", company_id=company_id, limit=100)
    return (await part(reading, {"items": []})).value["items"]  # type: ignore[no-any-return]
