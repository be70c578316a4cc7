"""Both content stores keep and give back the same bytes, whole or by range, streamed."""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.knowledge.app import SPEC, new_store
from services.knowledge.settings import KnowledgeSettings
from services.knowledge.storage import ContentStore
from shared.db import new_engine, new_session_factory
from shared.migrations import upgrade_async
from tests.knowledge.conftest import S3Server


async def pieces(data: bytes, size: int = 300_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: ContentStore, sha: str, start: int, end: int) -> bytes:
    return b"".join([piece async for piece in store.read(sha, start, end)])


@pytest.fixture(params=["postgres", "s3"])
async def store(
    request: pytest.FixtureRequest, new_database: Any, settings_for: Any, s3_server: S3Server
) -> AsyncIterator[ContentStore]:
    url = await new_database("store")
    await upgrade_async(SPEC.migrations, KnowledgeSettings(**settings_for(url)).async_database_url)
    extra = s3_server.settings(f"b{uuid.uuid4().hex[:12]}") if request.param == "s3" else {}
    settings = KnowledgeSettings(**settings_for(url), **extra)
    engine = new_engine(settings.async_database_url)
    content_store = new_store(settings, new_session_factory(engine))
    await content_store.start()
    yield content_store
    await content_store.close()
    await engine.dispose()


async def test_content_comes_back_byte_for_byte_whole_and_by_range(store: ContentStore) -> None:
    data = os.urandom(9 * 1024 * 1024 + 123)  # more than one chunk and one S3 part
    sha = hashlib.sha256(data).hexdigest()

    assert not await store.has(sha)
    await store.put(sha, len(data), pieces(data))

    assert await store.has(sha)
    assert await read_all(store, sha, 0, len(data) - 1) == data
    assert await read_all(store, sha, 1024 * 1024 - 5, 1024 * 1024 + 5) == data[1048571:1048582]
    assert await read_all(store, sha, len(data) - 10, len(data) - 1) == data[-10:]


async def test_the_same_content_is_kept_once(store: ContentStore) -> None:
    data = "Cennik łódzki 2026".encode()
    sha = hashlib.sha256(data).hexdigest()

    await store.put(sha, len(data), pieces(data))
    await store.put(sha, len(data), pieces(b"never read: the hash is kept already"))

    assert await read_all(store, sha, 0, len(data) - 1) == data


async def test_missing_content_is_not_found(store: ContentStore) -> None:
    with pytest.raises(FileNotFoundError):
        await read_all(store, "0" * 64, 0, 10)
