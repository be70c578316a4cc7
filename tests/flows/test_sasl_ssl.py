"""Kafka over TLS with SCRAM-SHA-512: the services reach the test broker's SASL_SSL listener by
their settings alone, and a wrong password is refused. (`CRM_TEST_KAFKA_SECURITY=SASL_SSL` runs
every event-flow test that way.)"""

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from services.planning.app import create_app as create_planning
from services.planning.settings import PlanningSettings
from shared.kafka_security import KafkaSecurity
from shared.testing.apps import identity_headers, running
from shared.testing.kafka import KafkaBroker, KafkaUnavailable
from shared.testing.waiting import eventually
from tests.flows.conftest import client_ids

pytestmark = pytest.mark.kafka


@pytest.fixture
def secured(kafka: KafkaBroker, monkeypatch: pytest.MonkeyPatch) -> KafkaBroker:
    try:
        broker = kafka if kafka.security_protocol == "SASL_SSL" else kafka.over_sasl_ssl()
    except KafkaUnavailable as reason:
        pytest.skip(str(reason))
    for name, value in broker.security_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CRM_ADMIN_LOCALE", "en")
    return broker


async def test_a_company_reaches_planning_over_sasl_ssl(
    secured: KafkaBroker, service_database: Any, settings_for: Any
) -> None:
    deals_settings = DealsSettings(
        **settings_for(await service_database("deals"), secured.bootstrap_servers)
    )
    planning_settings = PlanningSettings(
        **settings_for(await service_database("planning"), secured.bootstrap_servers)
    )
    assert deals_settings.kafka_security_protocol == "SASL_SSL"
    async with (
        running(create_deals(deals_settings)) as deals,
        running(create_planning(planning_settings)) as planning,
    ):
        for client in (deals, planning):
            client.headers.update(identity_headers())
        created = (await deals.post("/api/companies", json={"name": "Szyfrowana"})).json()

        async def arrived() -> bool:
            return created["id"] in await client_ids(planning)

        await eventually(arrived, timeout=30)


async def test_a_wrong_password_is_refused(secured: KafkaBroker) -> None:
    security = KafkaSecurity.from_environment(
        {**secured.security_env(), "KAFKA_SASL_PASSWORD": "not the password"}
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=secured.bootstrap_servers,
        request_timeout_ms=5000,
        **security.client_options(),
    )
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()
