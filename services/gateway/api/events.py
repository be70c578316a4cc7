"""`/api/events/asyncapi.json`: the event stream described for other systems (AsyncAPI 3.0)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.asyncapi import asyncapi_document

router = APIRouter(include_in_schema=False)


@router.get("/api/events/asyncapi.json")
async def asyncapi(request: Request) -> JSONResponse:
    """Made from the contracts once per process; public, as `/openapi.json` is."""
    document = getattr(request.app.state, "asyncapi", None)
    if document is None:
        document = request.app.state.asyncapi = asyncapi_document()
    return JSONResponse(document)
