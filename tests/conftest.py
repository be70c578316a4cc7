"""Session fixtures: a real PostgreSQL, a real Kafka for event flows, the CRM as `crm run` serves it."""

import contextlib
import gc
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

import shared.contracts  # noqa: F401  (registers every event contract)
from services.catalog import SERVICES
from services.cli import settle_garbage_collector
from services.gateway import credentials
from shared.bus import InProcessBus, Message
from shared.postgres import stop_embedded_servers
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from shared.testing.kafka import STARTED_HOMES, KafkaBroker, KafkaUnavailable, start_kafka
from shared.testing.postgres import fresh_database, migrated_database, postgres_server
from shared.testing.processes import RunningCrm, crm_run, processes_mentioning
from shared.testing.records import Announce


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at the cost argon2-cffi keeps for tests (`profiles.CHEAPEST`) in this process.

    Hashing and signing in stay real, only not 100 ms of work each; `crm` processes started by
    tests keep the real cost.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
async def new_database(pg_server: str) -> Callable[[str], object]:
    """Call with a label to get the URL of a fresh, empty database."""

    async def make(label: str) -> str:
        return await fresh_database(pg_server, label)

    return make


@pytest.fixture(scope="session")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCrm]:
    """The whole CRM in one process, as `make run` starts it, on a fresh embedded database.

    One for the session: tests using it add their own data and never stop it. (Gateway tests
    have a `crm` of their own: the same CRM in their process.)
    """
    env = {
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_ADMIN_LOCALE": "en",
        "CALENDAR_SCHEDULER_INTERVAL": "0.5",
    }
    with crm_run(tmp_path_factory.mktemp("crm-run"), env) as running:
        yield running


@pytest.fixture
async def service_database(pg_server: str) -> Callable[[str], Awaitable[str]]:
    """Call with a service's name to get the URL of a fresh database with its migrations applied."""

    async def make(service: str) -> str:
        return await migrated_database(pg_server, service, SERVICES[service].spec.migrations)

    return make


KAFKA_STARTING = pytest.StashKey[Future[KafkaBroker]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the broker in the background as soon as a selected test needs it: a JVM takes a
    few seconds to start, which the tests before the first event flow can use."""
    if not session.config.option.collectonly and any(
        "kafka" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        starting = ThreadPoolExecutor(1, "kafka-start").submit(start_kafka)
        session.config.stash[KAFKA_STARTING] = starting


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down
def pytest_sessionfinish(session: pytest.Session) -> None:
    """No PostgreSQL, Kafka or `crm` process of the suite outlives it: one that does fails the
    run, named, and is stopped."""
    if session.config.option.collectonly:
        return
    starting = session.config.stash.get(KAFKA_STARTING, None)
    if starting is not None and starting.done() and starting.exception() is None:
        starting.result().close()  # started for tests that were then not run
    stop_embedded_servers()  # those this process started itself (a RunningCrm's database)
    factory = getattr(session.config, "_tmp_path_factory", None)
    marks = [*STARTED_HOMES, *([factory.getbasetemp()] if factory else [])]
    left = processes_mentioning(marks)
    if not left:
        return
    report = "\n".join(f"  {pid}: {command[:200]}" for pid, command in left)
    session.config.get_terminal_writer().line(
        f"\nprocesses of the test session left running (now stopped):\n{report}", red=True
    )
    for pid, _ in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def kafka(pytestconfig: pytest.Config) -> Iterator[KafkaBroker]:
    """A real Apache Kafka broker; skipped when none can be had, except under CI=true."""
    starting = pytestconfig.stash.get(KAFKA_STARTING, None)
    try:
        broker = starting.result() if starting else start_kafka()
    except KafkaUnavailable as reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Kafka is required under CI: {reason}")
        pytest.skip(f"no Kafka broker: {reason}")
    if os.environ.get("CRM_TEST_KAFKA_SECURITY") == "SASL_SSL":
        # Every service and every test client reaches it through its SASL_SSL listener.
        secured = broker.over_sasl_ssl()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in secured.security_env().items():
                patch.setenv(name, value)
            yield secured
    else:
        yield broker
    broker.close()


@pytest.fixture
def settings_for() -> Callable[..., dict[str, object]]:
    """Settings overrides for a service under test (in-process bus unless Kafka is given)."""

    def make(database_url: str, kafka: str | None = None) -> dict[str, object]:
        return {
            "database_url": database_url,
            "identity_secret": TEST_SECRET,
            "kafka_bootstrap_servers": kafka,
        }

    return make


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    in_process = InProcessBus()
    await in_process.start()
    yield in_process
    await in_process.stop()


@pytest.fixture
def announce(bus: InProcessBus) -> Announce:
    """Publish on `bus` what deals would (a deal, a company, a contact); the record's id."""

    async def publish(message: Message) -> str:
        await bus.publish([message])
        return message.key

    return publish


@pytest.fixture
def settled_gc() -> Iterator[None]:
    """The garbage collector as `crm` processes run it (`settle_garbage_collector`): a test that
    measures how long requests wait must not measure a full collection of the test process."""
    thresholds = gc.get_threshold()
    settle_garbage_collector()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
