"""Alembic migrations, one history per service, applied on start or by `crm migrate`."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

# Replicas of one service starting together take turns: the first migrates, the rest find it done.
_MIGRATION_LOCK = 0x63726D  # "crm"


def _config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["url"] = url
    return config


KERNEL_TABLES = frozenset({"outbox", "inbox", "idempotency_key"})


def _not_kernel_table(name: str | None, type_: str, _: object) -> bool:
    """Autogenerate compares service tables only; the kernel's come from `migration_ops`."""
    return not (type_ == "table" and name in KERNEL_TABLES)


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    """Bring the database at `url` to the newest revision, or to `revision` (blocking; run it in
    a thread)."""
    command.upgrade(_config(script_location, url), revision)


async def upgrade_async(script_location: Path, url: str) -> None:
    """`upgrade` without blocking the event loop (Alembic runs its own loop in the thread)."""
    await asyncio.to_thread(upgrade, script_location, url)


def run_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    url = context.config.attributes["url"]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
    try:
        context.configure(
            connection=connection, target_metadata=metadata, include_name=_not_kernel_table
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
