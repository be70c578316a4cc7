"""PostgreSQL LISTEN: call back on every NOTIFY of a channel, reconnecting when the link drops."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)


async def listen(
    dsn: str,
    channel: str,
    on_notify: Callable[[str], None],
    *,
    on_connect: Callable[[], None] = lambda: None,
    retry_seconds: float = 2.0,
) -> None:
    """Run until cancelled. `on_connect` runs after each (re)connection: catch up on what was missed."""
    while True:
        connection: asyncpg.Connection | None = None
        closed = asyncio.Event()
        try:
            connection = await asyncpg.connect(dsn)
            connection.add_termination_listener(lambda _, ended=closed: ended.set())
            await connection.add_listener(channel, lambda *args: on_notify(str(args[-1])))
            on_connect()
            await closed.wait()
        except (OSError, asyncpg.PostgresError) as error:
            log.debug("listening on %s: %s", channel, error)
            await asyncio.sleep(retry_seconds)
        finally:
            if connection is not None and not connection.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 1)
