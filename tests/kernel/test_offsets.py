"""Offsets of handled messages are committed a few times a second, not once a message."""

from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from shared.kafka import OffsetCommits, _CommitBeforeRebalance
from shared.metrics import PARTITIONS_HELD


@dataclass
class Record:
    topic: str
    partition: int
    offset: int


class Consumer:
    def __init__(self, failing: bool = False) -> None:
        self.commits: list[dict[TopicPartition, Any]] = []
        self.failing = failing

    async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        if self.failing:
            raise CommitFailedError("rebalanced")
        self.commits.append(offsets)


async def test_handled_messages_are_committed_together_past_the_last_of_each_partition() -> None:
    offsets, consumer = OffsetCommits(), Consumer()
    for partition, offset in [(0, 5), (1, 9), (0, 6), (0, 7)]:
        offsets.handled(consumer, Record("crm.deals.company", partition, offset))

    await offsets.commit()
    await offsets.commit()  # nothing new: nothing sent

    [sent] = consumer.commits
    assert {tp.partition: meta.offset for tp, meta in sent.items()} == {0: 8, 1: 10}


async def test_a_commit_a_rebalance_refused_is_left_to_the_inbox() -> None:
    offsets, consumer = OffsetCommits(), Consumer(failing=True)
    offsets.handled(consumer, Record("crm.deals.company", 0, 1))

    await offsets.commit()  # logged, not raised: the messages may come again

    assert consumer.commits == []


async def test_a_rebalance_commits_what_was_handled_and_counts_the_partitions_held() -> None:
    offsets, consumer = OffsetCommits(), Consumer()
    listener = _CommitBeforeRebalance(offsets, "planning")
    held = PARTITIONS_HELD.labels("planning")
    partitions = {TopicPartition("crm.deals.company", p) for p in range(3)}

    await listener.on_partitions_assigned(partitions)
    assert held._value.get() == 3
    offsets.handled(consumer, Record("crm.deals.company", 0, 4))
    await listener.on_partitions_revoked(partitions)

    assert held._value.get() == 0
    [sent] = consumer.commits
    assert {tp.partition: meta.offset for tp, meta in sent.items()} == {0: 5}
