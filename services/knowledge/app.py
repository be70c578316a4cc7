"""The knowledge service application: the API, the content store, the text extractor and the
scheduler watching requests' SLA."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.knowledge.api import ROUTERS
from services.knowledge.consumers import HANDLERS
from services.knowledge.feed_consumers import feed_handlers
from services.knowledge.settings import KnowledgeSettings
from services.knowledge.storage import ContentStore
from services.knowledge.storage.postgres import PostgresStore
from services.knowledge.storage.s3 import S3Store
from services.knowledge.usecases.extraction import Extractor
from services.knowledge.usecases.sla import Scheduler
from shared.bus import Bus
from shared.consumer import combined
from shared.db import SessionFactory, new_session_factory
from shared.reads import ReadPool
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="knowledge",
    title="Contentum CRM — knowledge",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
    own_pools=2,  # the searches: posts and requests (SQLAlchemy), documents (a read pool)
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


SEARCH_SETTINGS = {"enable_seqscan": "off"}  # see `search_engine`
# The document search's statements have one good plan whatever the words (`usecases.search`):
# each connection keeps it per shape instead of planning every search again (0.6-0.8 ms).
DOCUMENT_SEARCH_SETTINGS = {**SEARCH_SETTINGS, "plan_cache_mode": "force_generic_plan"}


def search_engine(settings: KnowledgeSettings, size: int) -> AsyncEngine:
    """Connections for searches only: each statement on its own (no BEGIN and COMMIT round
    trips), and the planner told to ask the full-text index, never to test every document:
    it does not count what `@@` costs on a large vector and may pick a scan 40 x slower.
    No ping on checkout: a search is one read, simply asked again after a database restart."""
    return create_async_engine(
        settings.async_database_url,
        pool_size=size,
        max_overflow=0,
        pool_timeout=settings.database_wait_seconds,
        isolation_level="AUTOCOMMIT",
        connect_args={"server_settings": SEARCH_SETTINGS},
    )


def create_app(settings: KnowledgeSettings, bus: Bus | None = None) -> FastAPI:
    @asynccontextmanager
    async def working(app: FastAPI) -> AsyncIterator[None]:
        searching = search_engine(settings, app.state.budget.own)
        app.state.search_sessions = new_session_factory(searching)
        # The document search's own read pool.
        app.state.search_reads = ReadPool(
            settings.async_database_url,
            size=app.state.budget.own,
            wait_seconds=settings.database_wait_seconds,
            server_settings=DOCUMENT_SEARCH_SETTINGS,
        )
        store = new_store(settings, app.state.sessions)
        await store.start()
        extractor = Extractor(app.state.sessions, store, settings.extraction_interval)
        app.state.store, app.state.extractor = store, extractor
        task = asyncio.create_task(extractor.run(), name="knowledge-extractor")
        scheduler = Scheduler(app.state.sessions, settings.sla_interval)
        watching = asyncio.create_task(scheduler.run(), name="knowledge-sla")
        try:
            yield
        finally:
            extractor.stop()
            scheduler.stop()
            await task
            await watching
            await store.close()
            await searching.dispose()
            await app.state.search_reads.close()

    # The feed writes its automatic posts in the company's language.
    handlers = combined(SPEC.handlers, feed_handlers(settings.admin_locale))
    spec = dataclasses.replace(SPEC, handlers=handlers)
    app = create_service_app(spec, settings, bus, running=working)
    app.state.max_upload_bytes = settings.max_upload_bytes
    return app
