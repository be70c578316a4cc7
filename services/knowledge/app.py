"""The knowledge service application: the API, the content store and the text extractor."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.knowledge.api import ROUTERS
from services.knowledge.consumers import HANDLERS
from services.knowledge.settings import KnowledgeSettings
from services.knowledge.storage import ContentStore
from services.knowledge.storage.postgres import PostgresStore
from services.knowledge.storage.s3 import S3Store
from services.knowledge.usecases.extraction import Extractor
from shared.bus import Bus
from shared.db import SessionFactory
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="knowledge",
    title="Contentum CRM — knowledge",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def new_store(settings: KnowledgeSettings, sessions: SessionFactory) -> ContentStore:
    """The content store the settings name: the database (default) or an S3 bucket."""
    if settings.storage == "s3":
        secret = settings.s3_secret_access_key
        return S3Store(
            bucket=settings.s3_bucket or "",
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return PostgresStore(sessions)


def create_app(settings: KnowledgeSettings, bus: Bus | None = None) -> FastAPI:
    @asynccontextmanager
    async def working(app: FastAPI) -> AsyncIterator[None]:
        store = new_store(settings, app.state.sessions)
        await store.start()
        extractor = Extractor(app.state.sessions, store, settings.extraction_interval)
        app.state.store, app.state.extractor = store, extractor
        task = asyncio.create_task(extractor.run(), name="knowledge-extractor")
        try:
            yield
        finally:
            extractor.stop()
            await task
            await store.close()

    app = create_service_app(SPEC, settings, bus, running=working)
    app.state.max_upload_bytes = settings.max_upload_bytes
    return app
