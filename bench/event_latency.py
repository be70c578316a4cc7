"""Event latency: the outbox path (deals -> relay -> Kafka -> planning) against raw aiokafka.

Deals runs in this process so the commit of each company can be timed exactly; planning runs as
its own `crm serve planning` process, as in production.
"""

import argparse
import asyncio
import atexit
import contextlib
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import event as orm_event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session

from services.cli import settle_garbage_collector
from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from services.deals.usecases.companies import create_company
from shared.db import SessionFactory
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN, TEST_SECRET
from shared.testing.kafka import KafkaUnavailable, start_kafka
from shared.testing.postgres import fresh_database, postgres_server_url
from shared.testing.processes import crm_process, free_port

COUNT = 300
WARMUP = 20
INTERVAL_S = 0.020  # one message every 20 ms: we measure latency, not throughput
DRAIN_TIMEOUT_S = 60.0  # the first warm-up message also waits for the consumer group to join
PARTITIONS = 3  # as the services' own topics (KAFKA_PARTITIONS' default)
RATIO_TARGET = 2.0
ADDED_TARGET_MS = 50.0

Send = Callable[[], Awaitable[tuple[str, float]]]
"""Send one message; return its key and the time it counts from."""


class Arrivals:
    """When each message, by key, was seen at the far end."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._arrived = asyncio.Event()

    def record(self, key: str) -> None:
        self.at[key] = time.perf_counter()
        self._arrived.set()

    async def wait_for(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        while not wanted <= self.at.keys():
            self._arrived.clear()
            await self._arrived.wait()


@dataclass(frozen=True)
class Sample:
    latencies_ms: list[float]
    missing: int

    def percentile(self, p: int) -> float:
        """The p-th percentile in ms (NaN when fewer than two messages arrived)."""
        if len(self.latencies_ms) < 2:
            return math.nan
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def max(self) -> float:
        return max(self.latencies_ms, default=math.nan)


async def send_paced(send: Send, arrivals: Arrivals, count: int) -> Sample:
    """Send `count` messages on a fixed schedule, then wait for all (or the timeout)."""
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i * INTERVAL_S - time.perf_counter()))
        key, at = await send()
        sent[key] = at
    try:
        async with asyncio.timeout(DRAIN_TIMEOUT_S):
            await arrivals.wait_for(sent)
    except TimeoutError:
        pass
    latencies = [(arrivals.at[key] - at) * 1000 for key, at in sent.items() if key in arrivals.at]
    return Sample(latencies, missing=count - len(latencies))


async def measure(send: Send, arrivals: Arrivals, count: int, warmup: int) -> Sample:
    if warmup:
        await send_paced(send, arrivals, warmup)
    return await send_paced(send, arrivals, count)


# --- the baseline: raw aiokafka, producer and assigned consumer in this process -------------


@asynccontextmanager
async def raw_path(bootstrap: str) -> AsyncIterator[tuple[Send, Arrivals]]:
    """A fresh topic, a consumer assigned to all its partitions, an idempotent acks=all producer."""
    topic = f"bench.latency.{uuid4().hex[:8]}"
    await create_topic(bootstrap, topic)
    arrivals = Arrivals()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    await producer.partitions_for(topic)  # the new topic's leaders are known before we assign
    await consumer.start()
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    receiving = asyncio.create_task(receive(consumer, arrivals))

    async def send() -> tuple[str, float]:
        key = uuid4().hex
        value = json.dumps({"id": key, "name": "Bench"}).encode()
        at = time.perf_counter()
        await producer.send_and_wait(topic, value, key=key.encode())
        return key, at

    try:
        yield send, arrivals
    finally:
        receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiving
        await producer.stop()
        await consumer.stop()
        await delete_topic(bootstrap, topic)


async def receive(consumer: AIOKafkaConsumer, arrivals: Arrivals) -> None:
    async for record in consumer:
        arrivals.record(record.key.decode())


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


async def delete_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


async def delete_namespace(bootstrap: str) -> None:
    """The run's own topics go with it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(NAMESPACE)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


# --- the real path: deals' outbox and relay, Kafka, planning's consumer and inbox -----------


# Topics and consumer groups of this run only: a broker shared with tests or a running CRM
# can neither take the benchmark's messages nor hand it theirs.
NAMESPACE = f"bench-{uuid4().hex[:8]}"


def service_settings(database_url: str, bootstrap: str) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap,
        "kafka_partitions": PARTITIONS,
        "kafka_namespace": NAMESPACE,
        "identity_secret": TEST_SECRET,
    }


# Planning runs as its own process, as in production; a trigger on its client replica tells us,
# through NOTIFY (delivered on commit), the moment each company has been handled and committed.
HANDLED_CHANNEL = "bench_handled"
HANDLED_TRIGGER = f"""
CREATE FUNCTION bench_handled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{HANDLED_CHANNEL}', NEW.id::text); RETURN NEW; END $$;
CREATE TRIGGER bench_handled AFTER INSERT ON client FOR EACH ROW EXECUTE FUNCTION bench_handled();
"""


@contextlib.contextmanager
def planning_process(database_url: str, bootstrap: str, scratch: Path) -> Iterator[None]:
    """`crm serve planning` on its own database, started and migrated."""
    port = free_port()
    env = {
        "PLANNING_DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_PARTITIONS": str(PARTITIONS),
        "KAFKA_NAMESPACE": NAMESPACE,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
        "CRM_LOG_LEVEL": "WARNING",
    }
    args = ["serve", "planning", "--host", "127.0.0.1", "--port", str(port)]
    with crm_process(args, env=env, log=scratch / "planning.log", url=f"http://127.0.0.1:{port}"):
        yield


@asynccontextmanager
async def handled_notices(database_url: str, arrivals: Arrivals) -> AsyncIterator[None]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(HANDLED_TRIGGER)
        await connection.add_listener(HANDLED_CHANNEL, lambda *args: arrivals.record(args[-1]))
        yield
    finally:
        await connection.close()


@asynccontextmanager
async def outbox_path(bootstrap: str, server_url: str) -> AsyncIterator[tuple[Send, Arrivals]]:
    """Deals here (lifespan: migrations, Kafka bus, relay), planning in its own process."""
    arrivals = Arrivals()
    databases = [await fresh_database(server_url, label) for label in ("deals", "planning")]
    deals = create_deals(DealsSettings(**service_settings(databases[0], bootstrap)))
    try:
        with contextlib.ExitStack() as processes:
            await asyncio.to_thread(
                processes.enter_context, planning_process(databases[1], bootstrap, scratch_dir())
            )
            async with (
                deals.router.lifespan_context(deals),
                handled_notices(databases[1], arrivals),
            ):
                yield company_sender(deals.state.engine), arrivals
    finally:
        for url in databases:
            await drop_database(server_url, url)


def company_sender(engine: AsyncEngine) -> Send:
    """Create companies through the use case, timed from the commit of company + outbox row."""
    commits: list[float] = []
    sessions = commit_clocked(engine, commits)

    async def send() -> tuple[str, float]:
        company = await create_company(
            sessions,
            identity=ADMIN,
            name="Bench Sp. z o.o.",
            tax_id=None,
            address=None,
            owner_id=None,
        )
        return str(company.id), commits[-1]

    return send


def commit_clocked(engine: AsyncEngine, commits: list[float]) -> SessionFactory:
    """Sessions like the app's own (same engine and pool) that note when each one commits."""

    class Clocked(Session):
        pass

    orm_event.listen(Clocked, "after_commit", lambda _: commits.append(time.perf_counter()))
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=Clocked)


async def drop_database(server_url: str, url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


# --- running and reporting ------------------------------------------------------------------


async def run(bootstrap: str, server_url: str, count: int, warmup: int) -> tuple[Sample, Sample]:
    print(f"raw aiokafka: {warmup} warm-up + {count} messages ...", flush=True)
    async with raw_path(bootstrap) as (send, arrivals):
        raw = await measure(send, arrivals, count, warmup)
    print(f"outbox path: {warmup} warm-up + {count} companies ...", flush=True)
    try:
        async with outbox_path(bootstrap, server_url) as (send, arrivals):
            outbox = await measure(send, arrivals, count, warmup)
    finally:
        await delete_namespace(bootstrap)
    return raw, outbox


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(raw: Sample, outbox: Sample, count: int) -> str:
    rows = [("raw aiokafka", raw), ("outbox -> planning", outbox)]
    lines = [
        f"\nEvent latency, {count} messages per path, one every {INTERVAL_S * 1000:.0f} ms (ms)",
        f"{'path':<20}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'lost':>6}",
    ]
    for name, s in rows:
        figures = "".join(f"{s.percentile(p):>8.1f}" for p in (50, 95, 99))
        lines.append(f"{name:<20}{figures}{s.max:>8.1f}{s.missing:>6}")
    ratio = outbox.percentile(95) / raw.percentile(95)
    added = outbox.percentile(95) - raw.percentile(95)
    lines += [
        f"p95 ratio outbox/raw  {ratio:>8.2f}   target <= {RATIO_TARGET:.0f}      "
        f"{verdict(ratio <= RATIO_TARGET)}",
        f"relay's added p95     {added:>8.1f} ms target <= {ADDED_TARGET_MS:.0f} ms  "
        f"{verdict(added <= ADDED_TARGET_MS)}",
    ]
    if raw.missing or outbox.missing:
        lines.append("WARNING: some messages never arrived (column 'lost'); figures cover the rest")
    return "\n".join(lines)


def scratch_dir() -> Path:
    """A temp dir for the embedded PostgreSQL, removed at exit after the server stops."""
    path = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # runs after pgserver's own atexit
    return path


def at_least_two(value: str) -> int:
    count = int(value)
    if count < 2:
        raise argparse.ArgumentTypeError("percentiles need at least 2 messages")
    return count


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=at_least_two, default=COUNT, help="messages per path")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="uncounted messages first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    try:
        broker = start_kafka()
    except KafkaUnavailable as reason:
        print(f"event_latency: no Kafka broker, nothing measured: {reason}")
        return 0
    try:
        server_url = postgres_server_url(scratch_dir())
        # uvloop, as `crm serve` runs under uvicorn in production; both paths share it.
        uvloop.install()
        settle_garbage_collector()  # as `crm serve` does in the deals process this one stands in for
        raw, outbox = asyncio.run(
            run(broker.bootstrap_servers, server_url, args.count, args.warmup)
        )
    finally:
        broker.close()
    print(report(raw, outbox, args.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
