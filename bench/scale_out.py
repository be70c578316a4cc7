"""Scale-out rehearsal: two replicas of every service and two gateways on a real Kafka, faults
under load, and what must hold afterwards.

    python -m bench.scale_out            (make rehearsal)

Started here, all on this machine: the test broker (`deploy/local/kafka`) with every change
topic at 6 partitions, one embedded PostgreSQL with a database per service, two `crm serve`
processes of deals, planning, calendar and knowledge, two gateways, and a round-robin TCP proxy
in front of each pair (what a Kubernetes Service does; it checks `/healthz` twice a second and
stops sending to a replica that does not answer, as a readiness probe would). Managers work
through the gateways' proxy: companies, deals moved a stage, plan lines, calls with a reminder
due during the run.

Faults, in turn, each under that load: kill -9 one replica of each service and one gateway
(each is started again once the backlog is drained, as a Deployment would), a consumer
stopped with SIGSTOP past its session timeout then continued, the broker stopped and started.

Afterwards it prints, and exits 1 unless all hold: every acknowledged write is there; each
consumer group's inbox holds exactly the events of the outboxes it handles; each reminder
fired exactly once; lag back to zero (and how long each fault's backlog took to drain); no
5xx answer nor failed connection but while a gateway died (counted by phase); that both replicas of each group held partitions
and handled events, that both schedulers fired reminders and that the relay moved on. Last, the
consuming services' drain rate with two replicas and with one, in the same run.
"""

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.events import CLOUDEVENTS_JSON, DLQ_SUFFIX, REGISTRY
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from shared.testing.kafka import KafkaBroker, start_kafka
from shared.testing.postgres import fresh_database, postgres_server
from shared.testing.processes import free_port
from shared.testing.records import company_created
from shared.topic_admin import _new_topic, topics_on_cluster

SERVICES = ("deals", "planning", "calendar", "knowledge")
SERVED = (*SERVICES, "gateway")
PARTITIONS = 6
# aiokafka's default: a member that sends no heartbeat this long leaves the group.
SESSION_TIMEOUT_S = 10.0
PAUSE_S = SESSION_TIMEOUT_S + 5.0
# Connections per process (PostgreSQL allows 100 in all): a gateway serves every request.
CONNECTIONS = {"gateway": 12}
SERVICE_CONNECTIONS = 8
MANAGERS = 4
CYCLE_S = 1.2  # each manager's pace: one company, deal, stage move, plan line and call
REMINDER_LEAD_S = (15, 45)  # the calls start (and remind) this long after they are planned
DRAIN_TIMEOUT_S = 120.0
SYNTHETIC_EVENTS = 1500  # per measurement of the drain rate
CONSUMING = ("planning", "calendar")  # whose drain rate is compared with one replica and two


# --- processes -----------------------------------------------------------------------------


@dataclass
class Replica:
    """One `crm serve` process; started again on the same port after a kill."""

    name: str
    service: str
    env: dict[str, str]
    logs: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    paused: bool = False
    incarnation: int = 0
    # Counters of incarnations that died, and the last scrape of the running one.
    banked: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    scraped: dict[str, float] = field(default_factory=dict)
    most_partitions: int = 0  # the most partitions its consumer held at one time

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.incarnation += 1
        for series, value in self.scraped.items():
            self.banked[series] += value
        self.scraped = {}
        log = (self.logs / f"{self.name}.log").open("ab")
        args = ["serve", self.service, "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    tail = (self.logs / f"{self.name}.log").read_text()[-3000:]
                    raise RuntimeError(f"{self.name} exited:\n{tail}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.paused = sig == signal.SIGSTOP
        if sig == signal.SIGKILL:
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if self.paused:
            self.process.send_signal(signal.SIGCONT)
            self.paused = False
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def counted(self, metric: str, **labels: str) -> float:
        """A counter summed over this replica's incarnations (series matching `labels`)."""
        total = {
            s: self.banked.get(s, 0.0) + self.scraped.get(s, 0.0)
            for s in {*self.banked, *self.scraped}
        }
        wanted = [f'{name}="{value}"' for name, value in labels.items()]
        return sum(
            value
            for series, value in total.items()
            if series.startswith(metric + "{") and all(label in series for label in wanted)
        )


async def scrape(replicas: Iterable[Replica]) -> None:
    """Read each live replica's counters (kept when it dies: the last scrape before)."""
    async with httpx.AsyncClient(timeout=2) as client:
        for replica in replicas:
            if not replica.alive or replica.paused:
                continue
            try:
                text = (await client.get(f"{replica.url}/metrics")).text
            except httpx.TransportError:
                continue
            found: dict[str, float] = {}
            for line in text.splitlines():
                series, _, value = line.rpartition(" ")
                if line.startswith("crm_") and "_total{" in line:
                    found[series] = float(value)
                elif line.startswith(f'crm_consumer_partitions{{consumer="{replica.service}"'):
                    replica.most_partitions = max(replica.most_partitions, int(float(value)))
            replica.scraped = found


class Proxy:
    """Round-robin TCP proxy in front of a service's replicas; a replica whose `/healthz` does
    not answer is skipped, and its open connections are closed (as an endpoint removed)."""

    def __init__(self, name: str, replicas: list[Replica]) -> None:
        self.name = name
        self.replicas = replicas
        self.port = free_port()
        self._turn = 0
        self._ready: dict[str, bool] = {r.name: True for r in replicas}
        self._open: dict[str, set[asyncio.StreamWriter]] = defaultdict(set)
        self.connections: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._watching: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self._watching = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
        if self._server is not None:
            self._server.close()
        for writers in self._open.values():
            for writer in writers:
                writer.close()

    async def _watch(self) -> None:
        """Three failed looks in a row (or a dead process) take a replica out, one brings it
        back: a readiness probe with `failureThreshold: 3`, faster."""
        failures: Counter[str] = Counter()
        async with httpx.AsyncClient(timeout=1.0) as client:
            while True:
                for replica in self.replicas:
                    try:
                        ok = replica.alive and (
                            (await client.get(f"{replica.url}/healthz")).status_code == 200
                        )
                    except httpx.TransportError:
                        ok = False
                    failures[replica.name] = 0 if ok else failures[replica.name] + 1
                    ready = replica.alive and failures[replica.name] < 3
                    if self._ready[replica.name] and not ready:
                        for writer in self._open.pop(replica.name, set()):
                            writer.close()
                    self._ready[replica.name] = ready
                await asyncio.sleep(0.5)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(len(self.replicas)):
            replica = self.replicas[self._turn % len(self.replicas)]
            self._turn += 1
            if not self._ready[replica.name]:
                continue
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", replica.port)
            except OSError:
                continue
            break
        else:
            writer.close()
            return
        self.connections[replica.name] += 1
        self._open[replica.name].add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._open[replica.name].discard(up_writer)
            for end in (writer, up_writer):
                end.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


# --- Kafka: topics, lag, groups ------------------------------------------------------------


def handled_types(service: str) -> set[str]:
    """The event types a service's consumer group applies (and records in its inbox)."""
    if service == "gateway":  # every event is also offered to the webhooks
        return set(REGISTRY)
    if service == "knowledge":
        from services.knowledge.app import SPEC as KNOWLEDGE
        from services.knowledge.feed_consumers import feed_handlers

        return set(KNOWLEDGE.handlers) | set(feed_handlers("pl"))
    module = __import__(f"services.{service}.app", fromlist=["SPEC"])
    return set(module.SPEC.handlers)


class Watch:
    """Kafka as the harness sees it: end offsets, each group's committed offsets and members."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self.bootstrap = bootstrap
        self.namespace = namespace
        self.topics = {
            service: sorted({f"{namespace}.{REGISTRY[t].topic}" for t in handled_types(service)})
            for service in SERVED
        }
        self._clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    def group(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    @contextlib.asynccontextmanager
    async def clients(self) -> AsyncIterator[tuple[AIOKafkaAdminClient, AIOKafkaConsumer]]:
        """The harness's own admin client and offset probe, made again after a failure."""
        if self._clients is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            await admin.start()
            await probe.start()
            self._clients = admin, probe
        try:
            yield self._clients
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        if self._clients is None:
            return
        admin, probe = self._clients
        self._clients = None
        # A consumer stopped soon after its start may end in its own cancelled task.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await probe.stop()
        with contextlib.suppress(Exception):
            await admin.close()

    async def ends(self, probe: AIOKafkaConsumer) -> dict[TopicPartition, int]:
        topics = sorted({topic for topics in self.topics.values() for topic in topics})
        # The harness made them (create_topics): every change topic has PARTITIONS.
        partitions = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        return dict(await probe.end_offsets(partitions))

    async def lags(
        self, admin: AIOKafkaAdminClient, ends: dict[TopicPartition, int]
    ) -> dict[str, dict[TopicPartition, int]]:
        """Per group, what is not committed yet of each partition it reads."""
        lags = {}
        for service in SERVED:
            committed = await admin.list_consumer_group_offsets(self.group(service))
            lags[service] = {
                tp: end - (committed[tp].offset if tp in committed else 0)
                for tp, end in ends.items()
                if tp.topic in self.topics[service]
            }
        return lags


async def create_topics(bootstrap: str, namespace: str) -> None:
    """Every declared topic under the namespace, the change topics with 6 partitions (the
    services find them there and create nothing)."""
    wanted = [
        topic if topic.name.endswith(DLQ_SUFFIX) else replace(topic, partitions=PARTITIONS)
        for topic in topics_on_cluster(1, f"{namespace}.")
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([_new_topic(topic) for topic in wanted])
    finally:
        await admin.close()


# --- the load --------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the gateways acknowledged, and every answer by phase."""

    companies: list[str] = field(default_factory=list)
    deals: dict[str, str] = field(default_factory=dict)  # deal -> its last acknowledged stage
    lines: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # user -> last acknowledged name
    phase: str = "warm-up"
    answers: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latest_reminder: datetime = field(default_factory=lambda: datetime.now(UTC))

    def note(self, outcome: str) -> None:
        self.answers[self.phase][outcome] += 1

    @property
    def writes(self) -> int:
        written = (self.companies, self.deals, self.lines, self.submitted, self.activities)
        return sum(map(len, written)) + len(self.posts) + len(self.names)


async def call(
    client: httpx.AsyncClient, ledger: Ledger, method: str, path: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    """One request; its body when acknowledged (2xx), else None (the answer counted)."""
    try:
        answer = await client.request(method, path, json=body)
    except httpx.TransportError as error:
        ledger.note(f"connection failed ({type(error).__name__})")
        return None
    ledger.note(f"{answer.status_code // 100}xx")
    if answer.status_code >= 300:
        if answer.status_code < 500:
            ledger.note(f"{answer.status_code} {path.split('/')[2]}")
        return None
    return dict(answer.json()) if answer.content else {}


async def manager(
    url: str, email: str, stages: list[str], ledger: Ledger, stopping: asyncio.Event
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        token = await client.post("/api/auth/token", data={"username": email, "password": email})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        me = (await client.get("/api/me")).json()["id"]
        unplanned: list[str] = []
        n = 0
        while not stopping.is_set():
            started = time.monotonic()
            n += 1
            company = await call(
                client, ledger, "POST", "/api/companies", {"name": f"{email} firma {n}"}
            )
            if company is not None:
                ledger.companies.append(company["id"])
                unplanned.append(company["id"])
                deal = await call(
                    client,
                    ledger,
                    "POST",
                    "/api/deals",
                    {"title": f"Wdrożenie {n}", "company_id": company["id"]},
                )
                if deal is not None:
                    ledger.deals[deal["id"]] = deal["stage_id"]
                    to = stages[(stages.index(deal["stage_id"]) + 1) % len(stages)]
                    moved = await call(
                        client, ledger, "PATCH", f"/api/deals/{deal['id']}", {"stage_id": to}
                    )
                    if moved is not None:
                        ledger.deals[deal["id"]] = moved["stage_id"]
            # A plan line for a company created a few cycles ago (planning knows it by now).
            if len(unplanned) > 3:
                client_id = unplanned.pop(0)
                line = await call(
                    client,
                    ledger,
                    "POST",
                    "/api/plans/lines",
                    {
                        "manager_id": me,
                        "company_id": client_id,
                        "period": "month",
                        "start_date": date.today().replace(day=1).isoformat(),
                        "amount": "12500.00",
                    },
                )
                if line is not None:
                    ledger.lines.append(line["id"])
                    path = f"/api/plans/lines/{line['id']}/submit"
                    if await call(client, ledger, "POST", path, {}) is not None:
                        ledger.submitted.append(line["id"])
            post = await call(client, ledger, "POST", "/api/posts", {"text": f"Dzień {n}"})
            if post is not None:
                ledger.posts.append(post["id"])
            if n % 5 == 0:  # the gateway's own events: the manager's name changes
                renamed = f"Handlowiec {email.split('-')[0]} ({n})"
                if await call(client, ledger, "PATCH", "/api/me", {"name": renamed}) is not None:
                    ledger.names[me] = renamed
            start = datetime.now(UTC) + timedelta(seconds=random.uniform(*REMINDER_LEAD_S))
            activity = await call(
                client,
                ledger,
                "POST",
                "/api/activities",
                {
                    "kind": "call",
                    "title": f"Telefon {n}",
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=15)).isoformat(),
                    "reminders": [0],
                },
            )
            if activity is not None:
                ledger.activities.append(activity["id"])
                ledger.latest_reminder = max(ledger.latest_reminder, start)
            with contextlib.suppress(TimeoutError):
                left = CYCLE_S - (time.monotonic() - started)
                await asyncio.wait_for(stopping.wait(), max(left, 0.01))


# --- the rehearsal ---------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    lasted_s: float  # from the fault to its end (SIGCONT, the broker back); 0 for a kill
    drained_s: float  # from the fault's end until every group committed what was published
    peak_lag: int
    longest_behind_s: float  # the longest one partition of one group waited meanwhile
    answers: Counter[str]


class Rehearsal:
    def __init__(self, scratch: Path, kafka: KafkaBroker, server: str) -> None:
        self.scratch = scratch
        self.kafka = kafka
        self.server = server
        self.namespace = f"rehearsal-{uuid4().hex[:6]}"
        self.replicas: dict[str, list[Replica]] = {}
        self.proxies: dict[str, Proxy] = {}
        self.databases: dict[str, str] = {}
        self.watch = Watch(kafka.bootstrap_servers, self.namespace)
        self.ledger = Ledger()
        self.faults: list[Fault] = []
        # Per service: events written after one replica was killed, and how many the other relayed.
        self.relay_moved: dict[str, tuple[int, int]] = {}
        self._scraped = 0.0
        self._peak, self._longest = 0, 0.0

    def all_replicas(self) -> list[Replica]:
        return [r for replicas in self.replicas.values() for r in replicas]

    async def start(self) -> None:
        await create_topics(self.kafka.bootstrap_servers, self.namespace)
        logs = self.scratch / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in SERVED:
            self.databases[service] = await fresh_database(self.server, service)
        for service in SERVED:
            self.replicas[service] = [Replica(f"{service}-{i}", service, {}, logs) for i in (1, 2)]
            self.proxies[service] = Proxy(service, self.replicas[service])
            await self.proxies[service].start()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "KAFKA_NAMESPACE": self.namespace,
            "CRM_IDENTITY_SECRET": TEST_SECRET,
            "CALENDAR_SCHEDULER_INTERVAL": "0.5",
            "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
            "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **{f"GATEWAY_{s.upper()}_URL": self.proxies[s].url for s in SERVICES},
            **{f"{s.upper()}_DATABASE_URL": url for s, url in self.databases.items()},
        }
        for replica in self.all_replicas():
            connections = CONNECTIONS.get(replica.service, SERVICE_CONNECTIONS)
            replica.env = {**env, "CRM_DATABASE_CONNECTIONS": str(connections)}
        # The first of each migrates its empty database; the second starts on a migrated one.
        for i in (0, 1):
            batch = [replicas[i] for replicas in self.replicas.values()]
            for replica in batch:
                replica.start()
            await asyncio.gather(*(replica.healthy() for replica in batch))

    async def stop(self) -> None:
        await self.watch.close()
        for proxy in self.proxies.values():
            await proxy.stop()
        for replica in self.all_replicas():
            replica.stop()

    # -- waiting for Kafka --

    async def drained(
        self,
        since: float,
        until_ends: dict[TopicPartition, int] | None,
        *,
        watch_until: float = 0.0,
    ) -> float:
        """Wait until every group has committed past `until_ends` (None: the ends as they are
        now, zero lag and empty outboxes), and looking on until `watch_until`; seconds from
        `since` to the first. Meanwhile `_peak` is the highest total lag seen and `_longest`
        the longest time one partition of one group stayed behind."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        self._peak, self._longest = 0, 0.0
        behind: dict[tuple[str, TopicPartition], float] = {}
        drained: float | None = None
        while time.monotonic() < deadline:
            try:
                async with self.watch.clients() as (admin, probe):
                    while time.monotonic() < deadline:
                        ends = await self.watch.ends(probe)
                        lags = await self.watch.lags(admin, ends)
                        now = time.monotonic()
                        for service, per in lags.items():
                            for tp, lag in per.items():
                                if lag > 0:
                                    behind.setdefault((service, tp), now)
                                elif (service, tp) in behind:
                                    started = behind.pop((service, tp))
                                    self._longest = max(self._longest, now - started)
                        total = sum(sum(per.values()) for per in lags.values())
                        self._peak = max(self._peak, total)
                        target = until_ends if until_ends is not None else ends
                        if (
                            drained is None
                            and all(
                                ends[tp] - lag >= target.get(tp, 0)
                                for per in lags.values()
                                for tp, lag in per.items()
                            )
                            and (until_ends is not None or await self.outboxes_empty())
                        ):
                            drained = now - since
                        if drained is not None and now >= watch_until:
                            for started in behind.values():
                                self._longest = max(self._longest, now - started)
                            return drained
                        if time.monotonic() - self._scraped > 2:
                            await scrape(self.all_replicas())
                            self._scraped = time.monotonic()
                        await asyncio.sleep(0.25)
            except Exception as error:  # the broker is away: try again
                print(f"  (waiting for Kafka: {type(error).__name__})", flush=True)
                await asyncio.sleep(1)
        raise RuntimeError(f"Kafka not drained within {DRAIN_TIMEOUT_S:.0f} s")

    async def current_ends(self) -> dict[TopicPartition, int]:
        while True:
            try:
                async with self.watch.clients() as (_, probe):
                    return await self.watch.ends(probe)
            except Exception:
                await asyncio.sleep(1)

    async def outboxes_empty(self) -> bool:
        for url in self.databases.values():
            if await self.fetchval(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
                return False
        return True

    async def fetchval(self, url: str, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    async def fetch(self, url: str, query: str, *args: Any) -> list[Any]:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    # -- faults --

    async def fault(self, name: str, action: Any) -> None:
        print(f"fault: {name}", flush=True)
        self.ledger.phase = name
        began = time.monotonic()
        await action()
        ended = time.monotonic()
        lasted = 0.0 if name.startswith("kill") else ended - began
        ends = await self.current_ends()
        assert ends, "no partitions found"
        # Watched past a session timeout: a dead member's partitions wait that long for another.
        seconds = await self.drained(ended, ends, watch_until=ended + SESSION_TIMEOUT_S + 3)
        self.faults.append(
            Fault(name, lasted, seconds, self._peak, self._longest, self.ledger.answers[name])
        )
        print(
            f"  lasted {lasted:.1f} s; drained {seconds:.1f} s later; peak lag {self._peak}; "
            f"a partition behind for {self._longest:.1f} s at most"
        )

    async def kill(self, service: str) -> None:
        replicas = self.replicas[service]
        await scrape(replicas)
        victim, survivor = replicas
        relayed_before = survivor.counted("crm_outbox_relayed_total")
        count = "SELECT count(*) FROM outbox"
        written_before = await self.fetchval(self.databases[service], count)

        async def action() -> None:
            victim.signal(signal.SIGKILL)

        await self.fault(f"kill -9 {victim.name}", action)
        await scrape([survivor])
        written = await self.fetchval(self.databases[service], count) - written_before
        relayed = survivor.counted("crm_outbox_relayed_total") - relayed_before
        self.relay_moved[service] = (int(written), int(relayed))
        self.ledger.phase = f"{victim.name} started again"
        victim.start()
        await victim.healthy()

    async def pause(self, replica: Replica) -> None:
        async def action() -> None:
            await scrape([replica])
            replica.signal(signal.SIGSTOP)
            await asyncio.sleep(PAUSE_S)
            replica.signal(signal.SIGCONT)

        await self.fault(f"SIGSTOP {replica.name} {PAUSE_S:.0f} s, SIGCONT", action)

    async def restart_broker(self) -> None:
        async def action() -> None:
            await asyncio.to_thread(self.kafka.stop)
            await asyncio.sleep(3)
            await asyncio.to_thread(self.kafka.start)

        await self.fault("broker stopped and started", action)

    # -- the run --

    async def people(self) -> tuple[list[str], list[str]]:
        async with httpx.AsyncClient(base_url=self.proxies["gateway"].url, timeout=30) as client:
            token = await client.post(
                "/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            emails = []
            for i in range(MANAGERS):
                email = f"manager{i}-{self.namespace}@contentum.pl"
                created = await client.post(
                    "/api/users",
                    json={"email": email, "name": f"Handlowiec {i}", "password": email},
                )
                assert created.status_code == 201, created.text
                emails.append(email)
            pipelines = (await client.get("/api/pipelines")).json()
            default = next(p for p in pipelines if p.get("is_default", True))
            stages = [s["id"] for s in default["stages"] if s.get("kind", "open") == "open"]
        return emails, stages

    async def run(self) -> bool:
        emails, stages = await self.people()
        await asyncio.sleep(3)  # the managers reach every service
        stopping = asyncio.Event()
        url = self.proxies["gateway"].url
        load = [asyncio.create_task(manager(url, e, stages, self.ledger, stopping)) for e in emails]
        started, writes = time.monotonic(), 0
        try:
            await asyncio.sleep(10)
            for service in SERVICES:
                await self.kill(service)
            await self.kill("gateway")
            await self.pause(self.replicas["planning"][1])
            await self.restart_broker()
            self.ledger.phase = "after the faults"
            await asyncio.sleep(5)
        finally:
            stopping.set()
            await asyncio.gather(*load, return_exceptions=True)
            loaded_s, writes = time.monotonic() - started, self.ledger.writes
        print(f"load stopped: {writes} writes acknowledged in {loaded_s:.0f} s", flush=True)
        wait = (self.ledger.latest_reminder - datetime.now(UTC)).total_seconds() + 2
        await asyncio.sleep(max(wait, 0))
        settled = await self.drained(time.monotonic(), None)
        print(f"settled {settled:.1f} s after the reminders' time", flush=True)
        await asyncio.sleep(2)  # the reminders' own events
        await self.drained(time.monotonic(), None)
        await scrape(self.all_replicas())
        return await self.report(loaded_s)

    # -- checks --

    async def report(self, loaded_s: float) -> bool:
        checks: list[tuple[str, bool]] = []
        deals, planning, calendar = (self.databases[s] for s in ("deals", "planning", "calendar"))
        ledger = self.ledger

        async def present(url: str, table: str, ids: Iterable[str]) -> int:
            wanted = list(ids)
            return int(
                await self.fetchval(
                    url, f"SELECT count(*) FROM {table} WHERE id = ANY($1::uuid[])", wanted
                )
            )

        stages = {
            str(row["id"]): str(row["stage_id"])
            for row in await self.fetch(
                deals,
                "SELECT id, stage_id FROM deal WHERE id = ANY($1::uuid[])",
                list(ledger.deals),
            )
        }
        found = {
            "companies": (await present(deals, "company", ledger.companies), len(ledger.companies)),
            "deals at their acknowledged stage": (
                sum(stages.get(d) == s for d, s in ledger.deals.items()),
                len(ledger.deals),
            ),
            "plan lines": (await present(planning, "plan_line", ledger.lines), len(ledger.lines)),
            "calls": (
                await present(calendar, "activity", ledger.activities),
                len(ledger.activities),
            ),
            "submitted lines": (
                int(
                    await self.fetchval(
                        planning,
                        "SELECT count(*) FROM plan_line WHERE id = ANY($1::uuid[])"
                        " AND status <> 'draft'",
                        ledger.submitted,
                    )
                ),
                len(ledger.submitted),
            ),
            "posts": (
                await present(self.databases["knowledge"], "post", ledger.posts),
                len(ledger.posts),
            ),
            "names (last one acknowledged)": (
                sum(
                    [
                        bool(
                            await self.fetchval(
                                self.databases["gateway"],
                                "SELECT name = $2 FROM app_user WHERE id = $1::uuid",
                                user,
                                name,
                            )
                        )
                        for user, name in ledger.names.items()
                    ]
                ),
                len(ledger.names),
            ),
        }
        # Rows beyond the acknowledged ones: writes whose answer was lost (a 5xx, a cut
        # connection) but which were made, before the replica died or after it woke up.
        unanswered = {
            table: int(await self.fetchval(url, f"SELECT count(*) FROM {table}")) - acknowledged
            for table, url, acknowledged in (
                ("company", deals, len(ledger.companies)),
                ("deal", deals, len(ledger.deals)),
                ("plan_line", planning, len(ledger.lines)),
                ("activity", calendar, len(ledger.activities)),
            )
        }
        print(f"\nacknowledged writes ({ledger.writes} in {loaded_s:.0f} s of load):")
        for what, (there, acknowledged) in found.items():
            print(f"  {what}: {there} of {acknowledged} present")
            checks.append((f"every acknowledged write present: {what}", there == acknowledged))
        print(f"  made but not acknowledged (the answer lost in a fault): {unanswered}")

        produced: dict[str, str] = {}  # event id -> type, over every outbox
        for url in self.databases.values():
            for row in await self.fetch(url, "SELECT event_id, type FROM outbox"):
                produced[str(row["event_id"])] = row["type"]
        print("\nevents applied per consumer group (inbox = outbox):")
        for service in SERVED:
            types = handled_types(service)
            expected = {e for e, t in produced.items() if t in types}
            rows = await self.fetch(
                self.databases[service], "SELECT event_id FROM inbox WHERE consumer = $1", service
            )
            applied = [str(row["event_id"]) for row in rows]
            missing, unexpected = expected - set(applied), set(applied) - expected
            redelivered = sum(
                r.counted("crm_events_duplicate_total") for r in self.replicas[service]
            )
            per_replica = ", ".join(
                f"{r.name} {r.counted('crm_events_handled_total'):.0f}"
                for r in self.replicas[service]
            )
            held = ", ".join(f"{r.name} {r.most_partitions}" for r in self.replicas[service])
            print(
                f"  {service}: outbox {len(expected)}, inbox {len(applied)}, missing "
                f"{len(missing)}, unexpected {len(unexpected)}; redeliveries dropped "
                f"{redelivered:.0f}; handled by {per_replica}; most partitions held: {held}"
            )
            checks.append((f"{service}: inbox = outbox", not missing and not unexpected))
            checks.append(
                (
                    f"{service}: both replicas handled events",
                    all(r.counted("crm_events_handled_total") > 0 for r in self.replicas[service]),
                )
            )
            checks.append(
                (
                    f"{service}: both replicas held partitions",
                    all(r.most_partitions > 0 for r in self.replicas[service]),
                )
            )

        reminders = await self.fetch(
            calendar,
            "SELECT envelope->'data'->>'reminder_id' AS id FROM outbox"
            " WHERE type = 'crm.activity.reminder_due.v1'",
        )
        fired = Counter(row["id"] for row in reminders)
        alarms = await self.fetch(
            calendar,
            "SELECT id, fired_at FROM alarm WHERE kind = 'reminder'"
            " AND activity_id = ANY($1::uuid[])",
            ledger.activities,
        )
        unfired = [a for a in alarms if a["fired_at"] is None]
        by_scheduler = {
            r.name: r.counted("crm_alarms_fired_total", kind="reminder")
            for r in self.replicas["calendar"]
        }
        print(
            f"\nreminders: {len(alarms)} planned, {len(alarms) - len(unfired)} fired, "
            f"{sum(fired.values())} reminder events, at most {max(fired.values(), default=0)} "
            f"per reminder; fired by " + ", ".join(f"{n} {c:.0f}" for n, c in by_scheduler.items())
        )
        checks.append(
            ("each reminder fired exactly once", not unfired and set(fired.values()) == {1})
        )
        checks.append(("both schedulers fired reminders", all(by_scheduler.values())))

        print("\noutbox relays (events published, per replica):")
        for service in SERVED:
            per = ", ".join(
                f"{r.name} {r.counted('crm_outbox_relayed_total'):.0f}"
                for r in self.replicas[service]
            )
            written, relayed = self.relay_moved.get(service, (0, 0))
            print(
                f"  {service}: {per}; after the kill of one: {written} events written, "
                f"{relayed} published by the other"
            )
            checks.append((f"{service}: the relay moved on", written > 0 and relayed > 0))

        print("\nfaults (drained: all published by the fault's end committed by every group):")
        for fault in self.faults:
            said = ", ".join(f"{k} {v}" for k, v in sorted(fault.answers.items()))
            print(
                f"  {fault.name}: lasted {fault.lasted_s:.1f} s, drained {fault.drained_s:.1f} s "
                f"after, peak lag {fault.peak_lag}, a partition behind {fault.longest_behind_s:.1f}"
                " s at most; "
                f"answers: {said}"
            )
        print("answers outside the faults:")
        faults = {fault.name for fault in self.faults}
        for phase, answers in ledger.answers.items():
            if phase not in faults:
                print(f"  {phase}: " + ", ".join(f"{k} {v}" for k, v in sorted(answers.items())))
        five = {
            phase: answers["5xx"] + sum(v for k, v in answers.items() if k.startswith("connection"))
            for phase, answers in ledger.answers.items()
        }
        during = {p: n for p, n in five.items() if n and p in faults}
        outside = {p: n for p, n in five.items() if n and p not in faults}
        gateway = {p: n for p, n in during.items() if p.startswith("kill -9 gateway")}
        others = {p: n for p, n in during.items() if p not in gateway}
        print(
            f"5xx or failed connections: {sum(gateway.values())} while a gateway died, "
            f"{sum(others.values())} in other faults ({others or 'none'}), "
            f"{sum(outside.values())} outside the faults"
        )
        every = self.all_replicas()
        resent = {
            kind: sum(r.counted("crm_gateway_resent_total", kind=kind) for r in every)
            for kind in ("read", "write")
        }
        keyed = {
            outcome: sum(r.counted("crm_idempotency_keys_total", outcome=outcome) for r in every)
            for outcome in ("made", "replayed", "in-progress", "answer-lost", "reused")
        }
        print(
            f"sent again by the gateways: {resent['read']:.0f} reads, {resent['write']:.0f} "
            "writes; keyed writes in the services: "
            + ", ".join(f"{outcome} {n:.0f}" for outcome, n in keyed.items())
        )
        checks.append(
            (
                "no 5xx nor failed connection but while a gateway died",
                not outside and not others,
            )
        )
        checks.append(("lag back to zero, outboxes empty", True))  # drained() above, or raised

        print("\nchecks:")
        for name, ok in checks:
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
        return all(ok for _, ok in checks)

    # -- one replica against two --

    async def drain_rate(self, replicas: int) -> dict[str, float]:
        """Stop the consuming services, publish a backlog, start `replicas` of each; events per
        second each group applies, from its first commit to zero lag."""
        for service in CONSUMING:
            for replica in self.replicas[service]:
                replica.stop()
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka.bootstrap_servers, linger_ms=5)
        await producer.start()
        try:
            for i in range(SYNTHETIC_EVENTS):
                message = company_created(None, f"Zaległość {replicas}-{i}")
                await producer.send(
                    f"{self.namespace}.{message.topic}",
                    message.body,
                    key=message.key.encode(),
                    headers=[("content-type", CLOUDEVENTS_JSON.encode())],
                )
            await producer.flush()
        finally:
            await producer.stop()
        group_tps = {s: set(self.watch.topics[s]) for s in CONSUMING}
        async with self.watch.clients() as (admin, probe):
            ends = await self.watch.ends(probe)
            backlog = {s: sum((await self.watch.lags(admin, ends))[s].values()) for s in CONSUMING}
            for service in CONSUMING:
                for replica in self.replicas[service][:replicas]:
                    replica.start()
            first: dict[str, float] = {}
            done: dict[str, float] = {}
            while len(done) < len(CONSUMING):
                lags = await self.watch.lags(admin, ends)
                now = time.monotonic()
                for s in CONSUMING:
                    left = sum(v for tp, v in lags[s].items() if tp.topic in group_tps[s])
                    if left < backlog[s] and s not in first:
                        first[s] = now
                    if left == 0 and s not in done:
                        done[s] = now
                await asyncio.sleep(0.1)
        for service in CONSUMING:
            for replica in self.replicas[service][:replicas]:
                await replica.healthy()
        return {s: backlog[s] / max(done[s] - first[s], 0.1) for s in CONSUMING}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def rehearse(scratch: Path) -> int:
    print(f"load average before: {load_average()} ({os.cpu_count()} cores)", flush=True)
    kafka = await asyncio.to_thread(start_kafka)
    try:
        with postgres_server(scratch) as server:
            rehearsal = Rehearsal(scratch, kafka, server)
            try:
                began = time.monotonic()
                await rehearsal.start()
                print(
                    f"started {len(rehearsal.all_replicas())} crm processes in "
                    f"{time.monotonic() - began:.0f} s; load average {load_average()}",
                    flush=True,
                )
                passed = await rehearsal.run()
                print(f"\nload average after the faults: {load_average()}")
                two = await rehearsal.drain_rate(2)
                one = await rehearsal.drain_rate(1)
                print(f"\ndrain rate of a {SYNTHETIC_EVENTS}-event backlog (events/s):")
                for service in CONSUMING:
                    print(
                        f"  {service}: two replicas {two[service]:.0f}, one {one[service]:.0f}, "
                        f"ratio {two[service] / one[service]:.2f}"
                    )
                print(f"load average at the end: {load_average()}")
                print(f"\nrehearsal {'passed' if passed else 'FAILED'}")
                return 0 if passed else 1
            finally:
                await rehearsal.stop()
    finally:
        await asyncio.to_thread(kafka.close)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=Path("var/rehearsal"))
    args = parser.parse_args(argv)
    shutil.rmtree(args.scratch, ignore_errors=True)
    args.scratch.mkdir(parents=True)
    return asyncio.run(rehearse(args.scratch.resolve()))


if __name__ == "__main__":
    sys.exit(main())
