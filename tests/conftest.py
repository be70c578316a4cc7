"""Session fixtures: a real PostgreSQL (and, for event flows, a real Kafka) for the whole run."""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

import shared.contracts  # noqa: F401  (registers every event contract)
from shared.bus import InProcessBus
from shared.testing.apps import TEST_SECRET
from shared.testing.kafka import KafkaBroker, KafkaUnavailable, start_kafka
from shared.testing.postgres import fresh_database, postgres_server_url


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    return postgres_server_url(tmp_path_factory.mktemp("postgres"))


@pytest.fixture
async def new_database(pg_server: str) -> Callable[[str], object]:
    """Call with a label to get the URL of a fresh, empty database."""

    async def make(label: str) -> str:
        return await fresh_database(pg_server, label)

    return make


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaBroker]:
    """A real Apache Kafka broker; skipped when none can be had, except under CI=true."""
    try:
        broker = start_kafka()
    except KafkaUnavailable as reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Kafka is required under CI: {reason}")
        pytest.skip(f"no Kafka broker: {reason}")
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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
