"""Database plumbing shared by the services: metadata conventions, engines, sessions, kernel tables."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, func, literal_column, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared import idempotency
from shared.text import PLAIN, POLISH, fold

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

log = logging.getLogger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]


def new_metadata() -> MetaData:
    """A service's metadata with the naming convention (kernel tables come from `migration_ops`)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_engine(
    url: str, *, pool_size: int = 10, pre_ping: bool = True, wait_seconds: float = 30.0
) -> AsyncEngine:
    """An asyncpg engine of at most `pool_size` connections that checks them before use (a
    restarted database is survived); a request waits `wait_seconds` for a free one.

    `pre_ping=False` saves a round trip per unit of work, for work that retries by itself when
    a connection turns out dead (the outbox relay, event consumers).
    """
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=wait_seconds,
        pool_pre_ping=pre_ping,
    )


SERVICE_CONNECTIONS = 20  # a service's process on its own, unless CRM_DATABASE_CONNECTIONS says
EVENT_CONNECTIONS = 2  # the outbox relay's unit of work and the consumer's


@dataclass(frozen=True)
class ConnectionBudget:
    """How one app spends its share of PostgreSQL connections, so that the pools and listeners
    of every process together never pass what the server allows (`max_connections`).

    `listeners` are held by LISTEN (the relay's wake-up, the gateway's notifications), two go to
    the events (relay and consumer), and the rest is split between the sessions (writes), the
    read pool and the pools a service opens itself (`own`, each of that size).
    """

    total: int
    listeners: int
    sessions: int
    reads: int
    own: int
    events: int = EVENT_CONNECTIONS

    @classmethod
    def split(cls, total: int, *, listeners: int, own_pools: int = 0) -> "ConnectionBudget":
        rest = total - listeners - EVENT_CONNECTIONS
        shares = 2 + own_pools
        if rest < shares:
            least = listeners + EVENT_CONNECTIONS + shares
            raise ValueError(f"{total} connections are too few for this service: it needs {least}")
        each = rest // shares
        own = each if own_pools else 0
        return cls(total, listeners, sessions=rest - each * (1 + own_pools), reads=each, own=own)


def new_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessions: SessionFactory, *, claims_key: bool = True
) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends normally, rolled back otherwise.

    Actions registered with `after_commit` run once the commit succeeded (never on rollback).
    In a keyed write (`idempotency.py`), the request's first unit of work records its key as
    its first statement, or raises what a repeat of the key is answered; a unit of housekeeping
    done before the write itself (`claims_key=False`) leaves the key to the write.
    """
    keyed = idempotency.armed() if claims_key else None
    async with sessions() as session:
        try:
            async with session.begin():
                if keyed is not None:
                    await idempotency.claim(keyed, session)
                yield session
        except BaseException:
            if keyed is not None:
                keyed.claimed = False  # rolled back with the write: not recorded
            raise
        if keyed is not None:
            keyed.committed = keyed.claimed
        for action in session.info.pop(_AFTER_COMMIT, []):
            try:
                await action()
            except Exception:  # the transaction stands; an afterthought must not undo it
                log.exception("an action after a commit failed")


_AFTER_COMMIT = "crm_after_commit"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[object]]) -> None:
    """Run `action` when the unit of work around `session` has committed (e.g. send an e-mail)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def folded(expression: Any) -> Any:
    """`text.fold` in SQL: needs no extension (the embedded PostgreSQL has no `unaccent`), and
    plain ASCII `lower` keeps it the same under any database locale."""
    return func.lower(func.translate(expression, POLISH, PLAIN))


def word_vector(expression: Any) -> Any:
    """The words of `expression`, folded, as a `tsvector` (simple configuration) written with
    its constants in place, so that a GIN index on `word_vector_sql(column)` serves it."""
    return func.to_tsvector(
        literal_column("'simple'::regconfig"),
        func.lower(
            func.translate(expression, literal_column(f"'{POLISH}'"), literal_column(f"'{PLAIN}'"))
        ),
    )


def word_vector_sql(column: str) -> str:
    """`word_vector` of a column as SQL, for the migration that indexes it."""
    return f"to_tsvector('simple'::regconfig, lower(translate({column}, '{POLISH}', '{PLAIN}')))"


def matches_words(expression: Any, query: str) -> Any:
    """`expression`'s words match `query` (a `tsquery` from `text.prefix_query`)."""
    return word_vector(expression).op("@@")(
        func.to_tsquery(literal_column("'simple'::regconfig"), query)
    )


def contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, folded, with LIKE's wildcards taken literally."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Write `rows` into `table` with one `COPY`, on the session's connection and in its transaction.

    Values go as asyncpg encodes them (binary); JSON columns take JSON text. Columns not named
    get their server defaults. Nothing is sent for no rows.
    """
    if not rows:
        return
    connection = await (await session.connection()).get_raw_connection()
    driver: Any = connection.driver_connection  # asyncpg's own connection
    if not driver.is_in_transaction():
        # SQLAlchemy sends BEGIN with the session's first statement; a COPY sent before it
        # would commit on its own, whatever became of the transaction.
        await session.execute(text("SELECT 1"))
    await driver.copy_records_to_table(table, records=rows, columns=list(columns))
