"""The administrator's switches of automatic posts: a deal won, a plan approved, a request
delivered, a new document in a followed folder."""

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import ask, read, reasons
from services.gateway.web.common import PageAdmin
from services.gateway.web.feed.shown import kind_label
from services.gateway.web.rendering import complaint, render

router = APIRouter(include_in_schema=False)
KINDS = ("deal_won", "plan_approved", "request_delivered", "document_added")


def _page(request: Request, user: PageAdmin, switches: dict[str, bool], saved: bool) -> Response:
    kinds = [(kind, kind_label(kind)) for kind in KINDS]
    return render(request, "feed/settings.html", user, kinds=kinds, switches=switches, saved=saved)


@router.get("/feed/settings")
async def settings_page(request: Request, user: PageAdmin) -> Response:
    switches = await read(request, user, "knowledge", "/api/feed/settings")
    return _page(request, user, switches, saved=False)


@router.post("/feed/settings")
async def save_settings(request: Request, user: PageAdmin) -> Response:
    form = await request.form()
    body = {kind: form.get(kind) == "on" for kind in KINDS}
    answer = await ask(request, user, "knowledge", "PUT", "/api/feed/settings", json=body)
    if not answer.is_success:
        return Response(
            status_code=answer.status_code, headers=complaint(" ".join(reasons(answer)))
        )
    return _page(request, user, answer.json(), saved=True)
