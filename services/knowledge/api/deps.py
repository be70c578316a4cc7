"""What the knowledge routers take from the running app: the content store, limits, the worker."""

from typing import Annotated

from fastapi import Depends, Request

from services.knowledge.storage import ContentStore
from shared.db import SessionFactory
from shared.reads import ReadPool


async def content_store(request: Request) -> ContentStore:
    store: ContentStore = request.app.state.store
    return store


Store = Annotated[ContentStore, Depends(content_store)]


async def upload_limit(request: Request) -> int:
    return int(request.app.state.max_upload_bytes)


async def wake_extractor(request: Request) -> None:
    """New content waits for its text: tell this replica's worker at once."""
    request.app.state.extractor.wake()


async def search_sessions(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.search_sessions
    return sessions


SearchSessions = Annotated[SessionFactory, Depends(search_sessions)]


async def search_reads(request: Request) -> ReadPool:
    reads: ReadPool = request.app.state.search_reads
    return reads


SearchReads = Annotated[ReadPool, Depends(search_reads)]
