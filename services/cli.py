"""`crm`: run the whole CRM in one process, serve one service, migrate, print the event catalogue."""

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

import shared.contracts  # noqa: F401  (registers every event contract)
from services.catalog import SERVICES, Entry
from shared.asyncapi import asyncapi_document
from shared.migrations import upgrade
from shared.postgres import async_url, start_embedded_server
from shared.settings import env_name, load_settings

app = typer.Typer(help="Contentum CRM", no_args_is_help=True, add_completion=False)


def _configure_logging() -> None:
    level = os.environ.get("CRM_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per proxied call is noise


@app.command()
def run(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="embedded PostgreSQL data")] = Path("var/pg"),
) -> None:
    """Run the whole CRM in one process (embedded PostgreSQL unless DATABASE_URL is set)."""
    from services.embedded import create_embedded_app, prepare_databases

    _configure_logging()
    server_url = os.environ.get("DATABASE_URL") or start_embedded_server(data_dir)
    database_urls = asyncio.run(prepare_databases(server_url))
    gateway = create_embedded_app(
        database_urls, identity_secret=os.environ.get("CRM_IDENTITY_SECRET")
    )
    typer.echo(f"Contentum CRM is starting on http://{host}:{port}", err=True)
    uvicorn.run(gateway, host=host, port=port, log_level="info")


@app.command()
def serve(
    service: Annotated[
        str, typer.Argument(help="deals | calendar | planning | knowledge | gateway")
    ],
    host: Annotated[str, typer.Option(help="address to listen on")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Serve one service with distributed settings (its database, Kafka, for the gateway the URLs)."""
    entry = _entry(service)
    _configure_logging()
    settings = load_settings(entry.settings)
    if not settings.kafka_bootstrap_servers:
        _fail("crm: KAFKA_BOOTSTRAP_SERVERS is missing")
    uvicorn.run(entry.create_app(settings), host=host, port=port, log_level="info")


@app.command()
def migrate(
    service: Annotated[str | None, typer.Argument(help="one service; all when omitted")] = None,
) -> None:
    """Apply the database migrations of one service, or of all, from their *_DATABASE_URL."""
    names = [service] if service else list(SERVICES)
    for name in names:
        entry = _entry(name)
        variable = env_name(entry.settings, "database_url")
        url = os.environ.get(variable) or _fail(f"crm: {variable} is missing")
        upgrade(entry.spec.migrations, async_url(url))
        typer.echo(f"{name}: migrated", err=True)


@app.command()
def events() -> None:
    """Print the AsyncAPI document of every event the services publish."""
    typer.echo(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False))


def _entry(service: str) -> Entry:
    if service not in SERVICES:
        _fail(f"crm: unknown service {service!r}; one of: {', '.join(SERVICES)}")
    return SERVICES[service]


def _fail(message: str) -> str:
    print(message, file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
