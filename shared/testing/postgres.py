"""A PostgreSQL server for tests: `DATABASE_URL` when set, else the embedded server in a temp dir."""

import asyncio
import hashlib
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg

import shared.migrations
from shared.migrations import upgrade_async
from shared.postgres import (
    async_url,
    asyncpg_dsn,
    database_url,
    ensure_database,
    start_embedded_server,
    stop_embedded_server,
)

_templates: set[tuple[str, str]] = set()
_building = asyncio.Lock()


def postgres_server_url(scratch: Path) -> str:
    """The URL of a server the tests may create databases on (an embedded one stops at exit)."""
    return os.environ.get("DATABASE_URL") or start_embedded_server(scratch / "pg")


@contextmanager
def postgres_server(scratch: Path) -> Iterator[str]:
    """The URL of a server the tests may create databases on; an embedded one stops on exit.

    The embedded one keeps nothing beyond the session, so it does not wait for the disk either:
    without fsync a commit, or a dropped database, no longer waits for data to reach it.
    """
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    url = start_embedded_server(scratch / "pg")
    try:
        with ThreadPoolExecutor(1) as pool:  # a loop of its own, whoever's loop is running here
            pool.submit(asyncio.run, _without_durability(url)).result()
        yield url
    finally:
        stop_embedded_server(scratch / "pg")


async def _without_durability(server_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await connection.execute(f"ALTER SYSTEM SET {setting} = off")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


async def fresh_database(server_url: str, label: str) -> str:
    """A new, empty database with a unique name; its URL."""
    name = f"test_{label}_{uuid.uuid4().hex[:8]}"
    return await ensure_database(server_url, name, fresh=True)


async def migrated_database(server_url: str, label: str, migrations: Path) -> str:
    """A new database with `migrations` applied, copied from a template migrated only once.

    A copy takes a fraction of running the migrations again, and a service starting on it finds
    nothing to migrate. The template's name carries a digest of the migrations (and of the
    kernel's migration code), so a changed migration is never served from an old template.
    """
    template = await _template(server_url, label, migrations)
    name = f"test_{label}_{uuid.uuid4().hex[:8]}"
    await _execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(server_url, name)


async def _template(server_url: str, label: str, migrations: Path) -> str:
    name = f"template_{label}_{_digest(migrations)}"
    async with _building:
        if (server_url, name) not in _templates:
            if not await _exists(server_url, name):
                await _build(server_url, name, migrations)
            _templates.add((server_url, name))
    return name


async def _build(server_url: str, name: str, migrations: Path) -> None:
    # Migrated under a name of its own, then renamed: another test session sharing the server
    # (DATABASE_URL) never copies a half-migrated template.
    building = f"building_{name}_{uuid.uuid4().hex[:8]}"
    await upgrade_async(migrations, async_url(await ensure_database(server_url, building)))
    try:
        await _execute(server_url, f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except asyncpg.DuplicateDatabaseError:  # another session built it first
        await _execute(server_url, f'DROP DATABASE "{building}"')


def _digest(migrations: Path) -> str:
    digest = hashlib.sha256(Path(shared.migrations.__file__).read_bytes())
    for path in sorted(migrations.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(migrations)}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:12]


async def _exists(server_url: str, name: str) -> bool:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


async def _execute(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
