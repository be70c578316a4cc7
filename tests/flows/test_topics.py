"""`crm topics apply` against a real broker: it creates what is missing, brings the rest to the
declaration, and reports what it cannot change."""

from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from typer.testing import CliRunner

from services import cli
from shared.kafka_security import KafkaSecurity
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from shared.topic_admin import _configs, apply_topics
from shared.topics import declared_topics

pytestmark = pytest.mark.kafka


async def test_apply_creates_every_declared_topic_then_finds_nothing_to_do(
    kafka: KafkaBroker,
) -> None:
    prefix = f"t{uuid4().hex[:8]}."
    # Made before, by hand: too few partitions, kept an hour; too many partitions.
    deal, company = f"{prefix}crm.deals.deal", f"{prefix}crm.deals.company.snapshot"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options())
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(deal, 1, 1, topic_configs={"retention.ms": "3600000"}),
                NewTopic(company, 5, 1),
            ]
        )

        async def made() -> bool:  # the broker lists a new topic a moment after it is made
            return {deal, company} <= set(await admin.list_topics())

        await eventually(made, timeout=30)

        changes = await apply_topics(
            kafka.bootstrap_servers,
            replicas=1,
            prefix=prefix,
            security=KafkaSecurity.from_environment(),
        )
        again = await apply_topics(
            kafka.bootstrap_servers,
            replicas=1,
            prefix=prefix,
            security=KafkaSecurity.from_environment(),
        )

        shapes = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics([deal])}
        configs = await _configs(admin, [deal, company])
    finally:
        await admin.close()
    said: dict[tuple[str, str], str] = {}
    for change in changes:
        said[change.topic, change.action] = (
            f"{said.get((change.topic, change.action), '')}; {change.detail}"
        )
    created = {topic for topic, action in said if action == "create"}
    assert created == {prefix + t.name for t in declared_topics()} - {deal, company}
    assert "; partitions 1 → 3" in said[(deal, "update")]
    assert "retention.ms 3600000 → 604800000" in said[(deal, "update")]
    assert "Kafka cannot remove partitions" in said[(company, "drift")]
    assert "cleanup.policy delete → compact" in said[(company, "update")]
    assert shapes[deal] == 3
    assert configs[deal]["retention.ms"] == "604800000"
    assert configs[company]["cleanup.policy"] == "compact"
    assert [(change.topic, change.action) for change in again] == [(company, "drift")]


def test_the_command_reports_drift_and_exits_1(kafka: KafkaBroker) -> None:
    namespace = f"t{uuid4().hex[:8]}"
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "KAFKA_NAMESPACE": namespace}

    dry = CliRunner().invoke(cli.app, ["topics", "apply", "--dry-run"], env=env)
    applied = CliRunner().invoke(cli.app, ["topics", "apply", "--replication-factor", "1"], env=env)
    done = CliRunner().invoke(cli.app, ["topics", "apply", "--replication-factor", "1"], env=env)

    assert dry.exit_code == 1
    assert f"{namespace}.crm.deals.deal: created (3 partitions, 3 replicas)" in dry.stdout
    assert applied.exit_code == 0, applied.output
    assert done.stdout == "every topic is as declared\n"
