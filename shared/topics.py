"""Every Kafka topic of the CRM, declared in one place: partitions, replication,
`min.insync.replicas`, retention and cleanup policy.

`crm topics apply` makes a broker match it (and reports what it cannot change), the services
create what is missing on start, and `crm topics strimzi` writes the same as Strimzi `KafkaTopic`
resources to `deploy/k8s/strimzi/`.
"""

from dataclasses import dataclass, replace
from typing import Any, Literal

from shared.events import DLQ_SUFFIX, topics
from shared.snapshots import SNAPSHOT_SUFFIX, SNAPSHOTS

DAY_MS = 24 * 60 * 60 * 1000

# What a production cluster (three brokers or more) gets; `on_cluster` lowers the replication
# to what a smaller one has (KAFKA_REPLICATION_FACTOR).
REPLICAS = 3
MIN_IN_SYNC = 2


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    partitions: int
    cleanup_policy: Literal["delete", "compact"]
    retention_ms: int  # -1: for ever
    replicas: int = REPLICAS
    min_insync_replicas: int = MIN_IN_SYNC
    extra: tuple[tuple[str, str], ...] = ()

    def config(self) -> dict[str, str]:
        """The topic-level settings the declaration owns (others are left as the broker has them)."""
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_ms),
            "min.insync.replicas": str(self.min_insync_replicas),
            **dict(self.extra),
        }

    def on_cluster(self, replicas: int, prefix: str = "") -> "Topic":
        """The topic as a cluster allowing `replicas` copies gets it (named with `prefix`)."""
        copies = min(self.replicas, replicas)
        return replace(
            self,
            name=prefix + self.name,
            replicas=copies,
            min_insync_replicas=min(self.min_insync_replicas, max(1, copies - 1)),
        )


def change_topic(name: str) -> Topic:
    return Topic(
        name,
        "the events of one producer's aggregate, keyed by its id (kept 7 days)",
        partitions=3,
        cleanup_policy="delete",
        retention_ms=7 * DAY_MS,
    )


def dead_letter_topic(name: str) -> Topic:
    return Topic(
        name + DLQ_SUFFIX,
        f"what consumers of {name} could not apply (kept 28 days)",
        partitions=1,
        cleanup_policy="delete",
        retention_ms=28 * DAY_MS,
    )


def snapshot_topic(name: str) -> Topic:
    """Compacted: the latest event carrying each record's whole state, for ever; a tombstone
    (kept a day, for consumers to see) once it is archived."""
    return Topic(
        name + SNAPSHOT_SUFFIX,
        f"the current state of every record of {name}, for consumers joining later",
        partitions=3,
        cleanup_policy="compact",
        retention_ms=-1,
        extra=(("delete.retention.ms", str(DAY_MS)), ("min.compaction.lag.ms", "60000")),
    )


def declared_topics() -> list[Topic]:
    """Every topic, sorted by name: a change topic per producer and aggregate, its dead-letter
    twin, and a snapshot twin for the aggregates that have one."""
    declared = [change_topic(name) for name in topics()]
    declared += [dead_letter_topic(name) for name in topics()]
    declared += [snapshot_topic(name) for name in sorted(SNAPSHOTS)]
    return sorted(declared, key=lambda topic: topic.name)


def strimzi_resources(cluster: str = "crm") -> list[dict[str, Any]]:
    """The declaration as Strimzi `KafkaTopic` resources for the Kafka cluster named `cluster`."""
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaTopic",
            "metadata": {
                "name": topic.name,
                "labels": {
                    "strimzi.io/cluster": cluster,
                    "app.kubernetes.io/part-of": "contentum-crm",
                },
                "annotations": {"contentum.pl/description": topic.description},
            },
            "spec": {
                "topicName": topic.name,
                "partitions": topic.partitions,
                "replicas": topic.replicas,
                "config": topic.config(),
            },
        }
        for topic in declared_topics()
    ]
