"""The desk: the page a user starts the day on."""

from fastapi import APIRouter, Request, Response

from services.gateway.web.common import PageUser
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def desk(request: Request, user: PageUser) -> Response:
    return render(request, "desk/desk.html", user)
