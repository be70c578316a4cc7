"""`crm`: run the whole CRM in one process, serve one service, migrate, print the event catalogue.

The services' apps are imported by the commands that need them, when they run: `crm run` listens
first and loads them (and starts its PostgreSQL) while `/healthz` already answers
(`services.starting`); `crm serve` builds its app before it listens.
"""

import asyncio
import copy
import gc
import importlib
import json
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import uvicorn
import uvicorn.config
from pydantic import ValidationError

from services.deals import import_cli
from services.starting import Loading
from shared.postgres import async_url, ensure_database, start_embedded_server
from shared.settings import env_name, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from services.catalog import Entry
    from services.gateway.usecases.people import FirstAdministrator

app = typer.Typer(help="Contentum CRM", no_args_is_help=True, add_completion=False)
# On SIGTERM, requests under way get this long to finish (an open notification stream never
# does); then the apps stop: within Kubernetes' 30 s with the relay's 2 s and Kafka's 5 s.
GRACE_SECONDS = 15


class HideFeedTokens(logging.Filter):
    """Access logs show feed addresses without their secret token."""

    PATTERN = re.compile(r"/feeds/[^/?\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PATTERN.sub("/feeds/<token>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def _uvicorn_logging() -> dict[str, Any]:
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["feed_tokens"] = {"()": HideFeedTokens}
    config["handlers"]["access"]["filters"] = ["feed_tokens"]
    return config


def settle_garbage_collector() -> None:
    """Move everything loaded at start-up out of the collector's sight, and collect less often.

    A service holds a large, long-lived object graph (SQLAlchemy, pydantic, FastStream); full
    collections walking it pause the event loop for milliseconds, which shows as event latency.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _configure_logging(default: str = "INFO") -> str:
    level = (os.environ.get("CRM_LOG_LEVEL") or default).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per proxied call is noise
    return level


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says one line (from `announce`, if any) once it listens, and tells
    the app (`served()`, once there is one) when it begins to stop."""

    def __init__(
        self,
        config: uvicorn.Config,
        announce: Callable[[], str | None],
        served: "Callable[[], FastAPI | None]",
    ) -> None:
        super().__init__(config)
        self._announce = announce
        self._served = served

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            _say(self._announce())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Before the wait for requests under way: what would never end by itself (an open
        # page's notification stream) ends now, instead of being cut after the grace period.
        served = self._served()
        for stopping in getattr(served.state, "when_stopping", []) if served else []:
            stopping()
        await super().shutdown(sockets)


def _server(
    asgi: "ASGIApp",
    *,
    served: "Callable[[], FastAPI | None]",
    host: str,
    port: int,
    level: str,
    access_log: bool,
    announce: Callable[[], str | None] = lambda: None,
) -> AnnouncingServer:
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_level=level.lower(),
        log_config=_uvicorn_logging(),
        access_log=access_log,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    return AnnouncingServer(config, announce, served)


def _say(line: str | None) -> None:
    if line:
        typer.echo(line, err=True)


def _first_administrator(served: "FastAPI") -> "FirstAdministrator | None":
    """Who the gateway's first start created (None elsewhere, and on later starts)."""
    created: FirstAdministrator | None = getattr(served.state, "first_administrator", None)
    return created


@app.command()
def run(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="embedded PostgreSQL data")] = Path("var/pg"),
    access_log: Annotated[bool, typer.Option(help="log every request")] = False,
) -> None:
    """Run the whole CRM in one process (embedded PostgreSQL unless DATABASE_URL is set)."""
    level = _configure_logging(default="WARNING")  # one line on a good start, then quiet

    def load() -> "FastAPI":
        import shared.contracts  # noqa: F401  (registers every event contract)

        with ThreadPoolExecutor(1, thread_name_prefix="postgres") as starter:
            # PostgreSQL starts in its own process while the services are imported here.
            server = os.environ.get("DATABASE_URL") or starter.submit(
                start_embedded_server, data_dir
            )
            from services.embedded import create_embedded_app, prepare_databases

            server_url = server if isinstance(server, str) else server.result()
        database_urls = asyncio.run(prepare_databases(server_url))
        gateway = create_embedded_app(
            database_urls, identity_secret=os.environ.get("CRM_IDENTITY_SECRET")
        )
        settle_garbage_collector()
        return gateway

    # SIGTERM (docker stop, a supervisor) ends it as Ctrl+C does, through the exit handlers
    # that stop the embedded PostgreSQL; uvicorn hands the signal on once it has shut down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    def announce(served: "FastAPI") -> None:
        line = f"Contentum CRM is running on http://{host}:{port}"
        if created := _first_administrator(served):
            line += f"; first administrator: {created.email}"
            if created.generated_password:
                line += f" / password: {created.generated_password} (shown only this once)"
        _say(line)

    def stop_serving() -> None:
        listening.should_exit = True

    # It listens at once and loads meanwhile: /healthz answers while it starts (services.starting).
    loading = Loading(load, on_ready=announce, on_failure=stop_serving)
    listening = _server(
        loading,
        served=lambda: loading.app,
        host=host,
        port=port,
        level=level,
        access_log=access_log,
    )
    listening.run()
    if loading.failed:
        raise SystemExit(1)


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
    settings = load_settings(entry.settings)
    if not settings.kafka_bootstrap_servers:
        _fail("crm: KAFKA_BOOTSTRAP_SERVERS is missing")
    level = _configure_logging()

    import shared.contracts  # noqa: F401  (registers every event contract)

    service_app = entry.create_app(settings)

    def announce() -> str | None:
        created = _first_administrator(service_app)
        if created is None or created.generated_password is None:
            return None
        return f"First administrator: {created.email} / password: {created.generated_password}"

    # Built before it listens: a Kubernetes start-up probe on /healthz waits for its migrations.
    settle_garbage_collector()
    _server(
        service_app,
        served=lambda: service_app,
        host=host,
        port=port,
        level=level,
        access_log=True,
        announce=announce,
    ).run()


@app.command()
def migrate(
    service: Annotated[str | None, typer.Argument(help="one service; all when omitted")] = None,
) -> None:
    """Apply the database migrations of one service, or of all, from their *_DATABASE_URL."""
    from services.catalog import SERVICES
    from shared.migrations import upgrade

    names = [service] if service else list(SERVICES)
    for name in names:
        entry = _entry(name)
        variable = env_name(entry.settings, "database_url")
        url = os.environ.get(variable) or _fail(f"crm: {variable} is missing")
        upgrade(entry.spec.migrations, async_url(url))
        typer.echo(f"{name}: migrated", err=True)


app.add_typer(import_cli.app)

users = typer.Typer(help="Manage users from scripts.", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="sign-in e-mail")],
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[str, typer.Option(help="admin | head | manager | staff")] = "manager",
    team_id: Annotated[str | None, typer.Option(help="sales group id (head, manager)")] = None,
    department_id: Annotated[str | None, typer.Option(help="department id (staff)")] = None,
    locale: Annotated[str, typer.Option(help="pl | en")] = "pl",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="CRM_USER_PASSWORD")
    ] = "",
    data_dir: Annotated[Path, typer.Option(help="embedded PostgreSQL data")] = Path("var/pg"),
) -> None:
    """Add a user to the gateway's database (GATEWAY_DATABASE_URL, else the embedded one)."""
    from services.catalog import SERVICES
    from services.gateway.schemas import UserCreate
    from services.gateway.usecases.people import create_user as create
    from shared.db import new_engine, new_session_factory
    from shared.errors import Invalid
    from shared.migrations import upgrade_async

    try:
        fields = {"email": email, "name": name, "password": password, "role": role}
        places = {"team_id": team_id, "department_id": department_id, "locale": locale}
        body = UserCreate.model_validate({**fields, **places})
    except ValidationError as error:
        _fail("\n".join(f"crm: {e['loc'][0]}: {e['msg']}" for e in error.errors()))
    url = os.environ.get("GATEWAY_DATABASE_URL") or asyncio.run(
        prepare_gateway_database(start_embedded_server(data_dir))
    )

    async def run_use_case() -> str:
        await upgrade_async(SERVICES["gateway"].spec.migrations, async_url(url))
        engine = new_engine(async_url(url))
        try:
            user = await create(new_session_factory(engine), **body.model_dump())
            return str(user.id)
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(run_use_case()))
    except Invalid as invalid:
        _fail("\n".join(f"crm: {field}: {msg}" for field, msg in invalid.problems.items()))


async def prepare_gateway_database(server_url: str) -> str:
    from services.embedded import DATABASE_PREFIX

    return await ensure_database(server_url, DATABASE_PREFIX + "gateway")


events_app = typer.Typer(help="The events the services publish.")
app.add_typer(events_app, name="events")


@events_app.callback(invoke_without_command=True)
def events(context: typer.Context) -> None:
    """Print the AsyncAPI document of every event the services publish."""
    import shared.contracts  # noqa: F401  (registers every event contract)

    if context.invoked_subcommand is None:
        from shared.asyncapi import asyncapi_document

        typer.echo(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False))


@events_app.command("schemas")
def event_schemas() -> None:
    """Write the JSON Schema of every event version to shared/contracts/schemas/; refuse a
    change a published version's readers would not survive (it needs a new version)."""
    from shared import contract_schemas

    try:
        written = contract_schemas.write()
    except ValueError as incompatible:
        _fail(f"crm: incompatible with the committed schemas:\n{incompatible}")
    typer.echo(f"{len(written)} schemas written", err=True)


# Per service, the module whose AGGREGATES say how its snapshot topics are made again.
REPUBLISHERS = {
    service: f"services.{service}.usecases.republish"
    for service in ("deals", "calendar", "planning", "knowledge", "gateway")
}


@events_app.command("republish")
def republish(
    service: Annotated[
        str, typer.Argument(help="the producing service: " + ", ".join(REPUBLISHERS))
    ],
    aggregate: Annotated[
        str,
        typer.Argument(
            help="deals: company | contact | deal; calendar: activity; planning: line; "
            "knowledge: document | service | request | post; gateway: user | team | department"
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="only records changed since (ISO 8601; UTC if no offset)")
    ] = None,
) -> None:
    """Publish the current state of every record of an aggregate (changed since `--since`) from
    the service's database to its snapshot topic; archived ones as tombstones. Reads the
    service's settings (its *_DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, ...)."""
    from shared.db import new_engine, new_session_factory
    from shared.republish import snapshots
    from shared.service import new_bus

    if service not in REPUBLISHERS:
        _fail(
            f"crm: {service!r} has no snapshot topics to republish; one of: "
            + ", ".join(REPUBLISHERS)
        )
    aggregates = importlib.import_module(REPUBLISHERS[service]).AGGREGATES
    if aggregate not in aggregates:
        _fail(f"crm: unknown aggregate {aggregate!r}; one of: {', '.join(aggregates)}")
    settings = load_settings(_entry(service).settings)
    if not settings.kafka_bootstrap_servers:
        _fail("crm: KAFKA_BOOTSTRAP_SERVERS is missing")
    try:
        given = datetime.fromisoformat(since) if since else None
    except ValueError:
        _fail(f"crm: --since {since!r} is not an ISO 8601 time")
    moment = given.replace(tzinfo=given.tzinfo or UTC) if given else None

    async def run_it() -> int:
        engine = new_engine(settings.async_database_url)
        bus = new_bus(settings, f"{service}-republish")
        await bus.start()
        sent = 0
        try:
            async for batch in snapshots(
                new_session_factory(engine), aggregates[aggregate], since=moment
            ):
                await bus.publish(batch)
                sent += len(batch)
        finally:
            await bus.stop()
            await engine.dispose()
        return sent

    typer.echo(f"{service} {aggregate}: {asyncio.run(run_it())} snapshots published")


topics_app = typer.Typer(help="Kafka topics as declared in shared/topics.py.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
STRIMZI_TOPICS = Path("deploy/k8s/strimzi/kafka-topics.yaml")


@topics_app.command("apply")
def apply_topics(
    bootstrap_servers: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")],
    replication_factor: Annotated[
        int, typer.Option(envvar="KAFKA_REPLICATION_FACTOR", help="the most copies a topic gets")
    ] = 3,
    namespace: Annotated[str, typer.Option(envvar="KAFKA_NAMESPACE")] = "",
    dry_run: Annotated[bool, typer.Option(help="only say what differs")] = False,
) -> None:
    """Create the missing topics and bring the others to their declared partitions and settings;
    report drift that needs an operator (fewer partitions, another replication factor).
    Exits 1 when something differs and was not (or could not be) changed."""
    from shared.kafka_security import KafkaSecurity
    from shared.topic_admin import apply_topics as apply

    prefix = f"{namespace}." if namespace else ""
    try:
        security = KafkaSecurity.from_environment()  # KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, ...
    except ValueError as missing:
        _fail(f"crm: {missing}")
    changes = asyncio.run(
        apply(
            bootstrap_servers,
            replicas=replication_factor,
            prefix=prefix,
            dry_run=dry_run,
            security=security,
        )
    )
    for change in changes:
        typer.echo(str(change))
    if not changes:
        typer.echo("every topic is as declared")
    if any(change.action == "drift" for change in changes) or (dry_run and changes):
        raise SystemExit(1)


@topics_app.command("strimzi")
def strimzi_topics(
    output: Annotated[Path, typer.Option(help="where to write them")] = STRIMZI_TOPICS,
    cluster: Annotated[str, typer.Option(help="the Strimzi Kafka cluster's name")] = "crm",
) -> None:
    """Write the declared topics as Strimzi KafkaTopic resources."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(strimzi_yaml(cluster))
    typer.echo(f"{output}: written", err=True)


def strimzi_yaml(cluster: str = "crm") -> str:
    import yaml

    from shared.topics import strimzi_resources

    header = (
        "# Generated by `crm topics strimzi` from shared/topics.py: edit the declaration there.\n"
    )
    return header + yaml.safe_dump_all(strimzi_resources(cluster), sort_keys=False)


def _entry(service: str) -> "Entry":
    from services.catalog import SERVICES

    if service not in SERVICES:
        _fail(f"crm: unknown service {service!r}; one of: {', '.join(SERVICES)}")
    return SERVICES[service]


def _fail(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
