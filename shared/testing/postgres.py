"""A PostgreSQL server for tests: `DATABASE_URL` when set, else the embedded server in a temp dir."""

import os
import uuid
from pathlib import Path

from shared.postgres import ensure_database, start_embedded_server


def postgres_server_url(scratch: Path) -> str:
    """The URL of a server the tests may create databases on."""
    return os.environ.get("DATABASE_URL") or start_embedded_server(scratch / "pg")


async def fresh_database(server_url: str, label: str) -> str:
    """A new, empty database with a unique name; its URL."""
    name = f"test_{label}_{uuid.uuid4().hex[:8]}"
    return await ensure_database(server_url, name, fresh=True)
