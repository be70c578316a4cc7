"""What a form's pickers offer from the deals service: companies by name, and a company's deals.
Each reads what the user may see, and offers nothing when deals does not answer."""

from typing import Any

from fastapi import Request

from services.gateway.tables import User
from services.gateway.web.backend import part, read


async def company_choices(request: Request, user: User, q: str = "") -> list[dict[str, Any]]:
    """The first companies by name matching `q`."""
    typed = {"q": q.strip()[:100]} if q.strip() else {}
    reading = read(request, user, "deals", "/api/companies", **typed, limit=20)
    return (await part(reading, {"items": []})).value["items"]  # type: ignore[no-any-return]


async def deal_choices(request: Request, user: User, company_id: str) -> list[dict[str, Any]]:
    """The company's deals, the newest first."""
    reading = read(request, user, "deals", "/api/deals", company_id=company_id, limit=100)
    return (await part(reading, {"items": []})).value["items"]  # type: ignore[no-any-return]
