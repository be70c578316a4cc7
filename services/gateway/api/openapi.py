"""`/openapi.json` and `/docs`: the public API described whole, the services' parts included."""

import asyncio
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from services.gateway.backends import Backends, ServiceUnavailable
from services.gateway.domain.openapi import Document, merged_document
from services.gateway.settings import BACKENDS

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    """Built once all services answered; until then built again on each request, without the
    parts of those that did not."""
    app: FastAPI = request.app
    document: Document | None = getattr(app.state, "openapi", None)
    if document is None:
        described, unavailable = await _service_documents(app.state.backends)
        own = get_openapi(title=app.title, version=app.version, routes=app.routes)
        document = merged_document(own, described, unavailable=unavailable)
        if not unavailable:
            app.state.openapi = document
    return JSONResponse(document)


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} – API")


async def _service_documents(backends: Backends) -> tuple[dict[str, Document], dict[str, str]]:
    answers = await asyncio.gather(*(_document_of(backends, name) for name in BACKENDS))
    described = {
        name: doc for name, doc in zip(BACKENDS, answers, strict=True) if isinstance(doc, dict)
    }
    unavailable = {
        name: why for name, why in zip(BACKENDS, answers, strict=True) if isinstance(why, str)
    }
    return described, unavailable


async def _document_of(backends: Backends, service: str) -> Document | str:
    """A service's own document, or why there is none."""
    try:
        answer = await backends.request(service, "GET", "/openapi.json", identity=None)
    except ServiceUnavailable as down:
        return down.reason
    if answer.status_code != 200:
        return f"it answered {answer.status_code}"
    document: Any = answer.json()
    return document if isinstance(document, dict) else "it answered no document"
