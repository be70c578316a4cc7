"""The reader's must-read list: documents to confirm, and those confirmed."""

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import read
from services.gateway.web.common import PageUser
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/knowledge/must-read")
async def must_read_page(request: Request, user: PageUser) -> Response:
    items = await read(request, user, "knowledge", "/api/documents/must-read")
    waiting = [item for item in items if item["acknowledged_at"] is None]
    done = [item for item in items if item["acknowledged_at"] is not None]
    return render(request, "knowledge/must_read.html", user, waiting=waiting, done=done)
