"""Make a broker's topics match the declaration in `shared.topics`, saying what differs."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from shared.kafka_security import KafkaSecurity
from shared.topics import Topic, declared_topics


@dataclass(frozen=True)
class Change:
    """One difference between the broker and the declaration, and what was done about it."""

    topic: str
    action: Literal["create", "update", "drift"]
    detail: str

    def __str__(self) -> str:
        verb = {"create": "created", "update": "updated", "drift": "drift"}[self.action]
        return f"{self.topic}: {verb}" + (f" ({self.detail})" if self.detail else "")


def topics_on_cluster(replicas: int, prefix: str = "") -> list[Topic]:
    return [topic.on_cluster(replicas, prefix) for topic in declared_topics()]


def _new_topic(topic: Topic) -> NewTopic:
    return NewTopic(topic.name, topic.partitions, topic.replicas, topic_configs=topic.config())


async def ensure_topics(
    bootstrap_servers: str,
    *,
    replicas: int,
    prefix: str = "",
    security: KafkaSecurity = KafkaSecurity(),
) -> None:
    """Create every declared topic that does not exist yet (a service's start); changing the
    ones that exist is `crm topics apply`'s."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **security.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics_on_cluster(replicas, prefix) if t.name not in existing]
        if missing:
            await admin.create_topics([_new_topic(topic) for topic in missing])
    except TopicAlreadyExistsError:
        pass  # another replica created it first
    finally:
        await admin.close()


async def apply_topics(
    bootstrap_servers: str,
    *,
    replicas: int,
    prefix: str = "",
    dry_run: bool = False,
    security: KafkaSecurity = KafkaSecurity(),
) -> list[Change]:
    """Create missing topics, raise partitions and set the declared settings of existing ones;
    report what cannot be changed in place (fewer partitions, another replication factor).
    With `dry_run`, report only."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **security.client_options())
    await admin.start()
    try:
        wanted = topics_on_cluster(replicas, prefix)
        changes = await _apply(admin, wanted, dry_run=dry_run)
        if changes and not dry_run:
            await _settled(admin, wanted)
        return changes
    finally:
        await admin.close()


async def _apply(admin: Any, wanted: Sequence[Topic], *, dry_run: bool) -> list[Change]:
    existing = set(await admin.list_topics())
    missing = [topic for topic in wanted if topic.name not in existing]
    if missing and not dry_run:
        answer = await admin.create_topics([_new_topic(topic) for topic in missing])
        # The broker's list may lag behind its controller: a topic it did not list can exist.
        existing |= _already_there(answer)
        missing = [topic for topic in missing if topic.name not in existing]
    present = [topic for topic in wanted if topic.name in existing]
    changes = [
        Change(t.name, "create", f"{t.partitions} partitions, {t.replicas} replicas")
        for t in missing
    ]
    if not present:
        return changes
    shapes = {
        description["topic"]: description
        for description in await admin.describe_topics([topic.name for topic in present])
    }
    configs = await _configs(admin, [topic.name for topic in present])
    more_partitions: dict[str, NewPartitions] = {}
    new_configs: list[ConfigResource] = []
    for topic in present:
        partitions = shapes[topic.name]["partitions"]
        count = len(partitions)
        copies = len(partitions[0]["replicas"]) if partitions else 0
        if count < topic.partitions:
            more_partitions[topic.name] = NewPartitions(topic.partitions)
            changes.append(Change(topic.name, "update", f"partitions {count} → {topic.partitions}"))
        elif count > topic.partitions:
            changes.append(
                Change(
                    topic.name,
                    "drift",
                    f"{count} partitions, declared {topic.partitions}: Kafka cannot remove "
                    "partitions; recreate the topic to have fewer",
                )
            )
        if copies != topic.replicas:
            changes.append(
                Change(
                    topic.name,
                    "drift",
                    f"{copies} replicas, declared {topic.replicas}: change it with "
                    "kafka-reassign-partitions",
                )
            )
        have = configs.get(topic.name, {})
        differing = {
            name: value for name, value in topic.config().items() if have.get(name) != value
        }
        if differing:
            new_configs.append(ConfigResource(ConfigResourceType.TOPIC, topic.name, differing))
            said = ", ".join(f"{n} {have.get(n)} → {v}" for n, v in sorted(differing.items()))
            changes.append(Change(topic.name, "update", said))
    if not dry_run:
        if more_partitions:
            await admin.create_partitions(more_partitions)
        for resource in new_configs:
            # A topic's dynamic settings are replaced whole: send the whole declared set.
            declared = next(t for t in present if t.name == resource.name).config()
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, resource.name, declared)]
            )
    return changes


def _already_there(answer: Any) -> set[str]:
    """The topics the broker refused to create because they exist; raise on any other refusal
    (aiokafka returns them instead of raising)."""
    there = set()
    for topic, code, *message in answer.topic_errors:
        if code == TopicAlreadyExistsError.errno:
            there.add(topic)
        elif code:
            raise for_code(code)(f"{topic}: {message[0] if message else ''}")
    return there


async def _settled(admin: Any, wanted: Sequence[Topic], timeout: float = 60.0) -> None:
    """Wait until the broker answers with what the controller has accepted: a broker applies
    new topics and partitions to its metadata a moment after the request returns."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        shapes = {d["topic"]: d for d in await admin.describe_topics([t.name for t in wanted])}
        behind = [
            t.name
            for t in wanted
            if shapes.get(t.name, {}).get("error_code") != 0
            or len(shapes[t.name]["partitions"]) < t.partitions
        ]
        if not behind:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the broker does not show these as declared yet: {behind}")
        await asyncio.sleep(0.2)


async def _configs(admin: Any, names: list[str]) -> dict[str, dict[str, str]]:
    """The settings each topic has now (its own or the broker's defaults)."""
    answers = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    )
    found: dict[str, dict[str, str]] = {}
    for answer in answers:
        for _error, _message, _type, name, entries in answer.resources:
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found
