"""The desk and the global search, each against a baseline measured in the same run.

1. `GET /api/desk` with every widget of a manager's desk, on the whole CRM in one process
   (as `crm run` serves it), against the slowest of the backend calls it makes, each made
   alone. Target: desk p95 <= 1.5 x the slowest call's p95 (the fan-out is concurrent).
2. `GET /api/search` as a manager over deals databases of two sizes (`bench.deal_lists`'
   shape: 2,000 companies, 50 managers in 5 groups), the calendar and knowledge answering
   too. Target: p95 with 100,000 deals <= 1.5 x p95 with 1,000.

`python -m bench.desk [--small N] [--large N] [--requests N]`.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from starlette.types import ASGIApp

from bench.deal_lists import HEAD, MANAGER, load, scratch_dir
from services.catalog import SERVICES
from services.embedded import create_embedded_app, prepare_databases
from services.gateway.backends import Backends
from services.gateway.domain.desk import BUILT_IN, CATALOGUE
from services.gateway.usecases.search import search_everywhere
from services.gateway.usecases.widgets import Viewer, fill_all
from shared.auth import Identity, sign_identity
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, running
from shared.testing.kafka import KafkaUnavailable, start_kafka
from shared.testing.postgres import fresh_database, postgres_server_url
from shared.testing.processes import crm_processes, free_port
from shared.testing.waiting import eventually

RATIO_TARGET = 1.5
SMALL, LARGE = 1_000, 100_000
REQUESTS, WARMUP = 200, 20
DESK_DEALS = 300  # the manager's own deals on the desk's database
# What a manager types: part of a client's name, a word of a deal's title, both.
QUERIES = ("firma 12", "dostawa", "wdrozenie magazyn")
TITLES = """
UPDATE deal SET title = (ARRAY['Dostawa', 'Wdrożenie', 'Serwis', 'Licencja', 'Modernizacja',
                               'Szkolenie', 'Audyt', 'Rozbudowa', 'Przegląd', 'Montaż'])
                        [1 + abs(hashtext(id::text)) % 10]
                 || ' ' || (ARRAY['magazynu', 'linii', 'biura', 'floty', 'serwerowni', 'hali',
                                  'sklepu', 'kuchni', 'laboratorium', 'recepcji'])
                        [1 + abs(hashtext(id::text || 'x')) % 10]
                 || ' ' || substr(md5(id::text), 1, 6)
"""


def percentile(values: Sequence[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- 1. the desk against its slowest backend call ----------------------------------------


class Recorder(Backends):
    """The services as the gateway reaches them, noting the calls made while `recording`."""

    def __init__(self, backends: Backends) -> None:
        super().__init__(backends._clients, backends._apps)
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self.recording = False

    async def request(
        self, service: str, method: str, path: str, *, identity: str | None, **kwargs: Any
    ) -> httpx.Response:
        if self.recording:
            self.seen.append((service, path, dict(kwargs.get("params") or {})))
        return await super().request(service, method, path, identity=identity, **kwargs)


async def desk_data(crm: httpx.AsyncClient) -> tuple[dict[str, str], Identity]:
    """A manager with a desk of every widget: deals, activities today and overdue; their
    bearer header and identity."""
    api = await bearer(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    teams = (await crm.get("/api/teams", headers=api)).json()
    root = next(team for team in teams if team["parent_id"] is None)
    body = {"email": "desk@bench.pl", "name": "Desk", "password": "a long enough password"}
    body |= {"role": "manager", "team_id": root["id"], "locale": "pl"}
    manager = (await crm.post("/api/users", json=body, headers=api)).json()
    me = await bearer(crm, body["email"], body["password"])
    companies = [
        (await crm.post("/api/companies", json={"name": f"Klient {i}"}, headers=me)).json()["id"]
        for i in range(30)
    ]
    today = datetime.now(UTC).date().isoformat()
    for i in range(DESK_DEALS):
        deal = {"title": f"Umowa {i}", "company_id": companies[i % 30], "amount": str(1000 + i)}
        deal["expected_close_date"] = today
        (await crm.post("/api/deals", json=deal, headers=me)).raise_for_status()
    now = datetime.now(UTC)
    for hours in (-50, -30, -2, 1, 3, 5):
        start = now + timedelta(hours=hours)
        activity = {"kind": "call", "title": f"Telefon {hours}", "start": start.isoformat()}
        activity["end"] = (start + timedelta(minutes=30)).isoformat()
        (await crm.post("/api/activities", json=activity, headers=me)).raise_for_status()
    identity = Identity(user_id=manager["id"], role="manager", team_ids=[root["id"]])

    async def planned() -> bool:  # planning has learnt the manager (distributed: by Kafka)
        widget = await crm.get("/api/desk/widgets/plan", headers=me)
        return bool(widget.json()["status"] == "ok")

    await eventually(planned, timeout=60, interval=0.2)
    return me, identity


async def timed(call: Any) -> tuple[float, int]:
    started = time.perf_counter()
    answer = await call
    return (time.perf_counter() - started) * 1000, answer.status_code


async def measure_desk(crm: httpx.AsyncClient, backends: Backends, requests: int) -> dict[str, Any]:
    """`GET /api/desk` through the gateway, each time followed by every backend call a desk
    makes, made alone as the gateway makes it."""
    me, identity = await desk_data(crm)
    token = sign_identity(identity, TEST_SECRET, ttl=timedelta(hours=1))
    recorder = Recorder(backends)
    viewer = Viewer(recorder, token, UUID(identity.user_id), "manager", None, "Europe/Warsaw")
    recorder.recording = True
    reading = [name for name in BUILT_IN["manager"] if CATALOGUE[name].services]
    filled = await fill_all(viewer, reading, now=datetime.now(UTC), timeout=5)
    recorder.recording = False
    calls = list(recorder.seen)
    statuses = {widget.name: widget.status for widget in filled}  # those calling services
    desk_ms: list[float] = []
    call_ms: dict[str, list[float]] = {f"{s} {p}": [] for s, p, _ in calls}
    errors = 0
    for round_ in range(requests + WARMUP):
        spent, status = await timed(crm.get("/api/desk", headers=me))
        errors += status != 200
        alone = [
            await timed(recorder.request(service, "GET", path, identity=token, params=params))
            for service, path, params in calls
        ]
        if round_ >= WARMUP:
            desk_ms.append(spent)
            for (service, path, _), (ms, code) in zip(calls, alone, strict=True):
                call_ms[f"{service} {path}"].append(ms)
                errors += code != 200
    return {"desk": desk_ms, "calls": call_ms, "statuses": statuses, "errors": errors}


async def desk_in_process(server_url: str, requests: int) -> dict[str, Any]:
    """The whole CRM in one process, as `crm run` serves it."""
    urls = await prepare_databases(server_url, fresh=True)
    app = create_embedded_app(
        urls,
        identity_secret=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="pl",
    )
    async with running(app) as crm:
        return await measure_desk(crm, app.state.backends, requests)


async def desk_distributed(server_url: str, requests: int) -> dict[str, Any]:
    """Each service a `crm serve` process on its own database, events over a real Kafka."""
    names = ("deals", "calendar", "planning", "knowledge", "gateway")
    urls = {name: f"http://127.0.0.1:{free_port()}" for name in names}
    with start_kafka() as broker:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "CRM_IDENTITY_SECRET": TEST_SECRET,
            "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
            "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CRM_LOG_LEVEL": "WARNING",
            **{f"GATEWAY_{name.upper()}_URL": urls[name] for name in names if name != "gateway"},
        }
        for name in names:
            env[f"{name.upper()}_DATABASE_URL"] = await fresh_database(server_url, f"desk_{name}")
        commands = {
            name: ["serve", name, "--host", "127.0.0.1", "--port", urls[name].rsplit(":", 1)[1]]
            for name in names
        }
        logs = Path(tempfile.mkdtemp(prefix="crm-bench-desk-"))
        with crm_processes(commands, env=env, logs=logs, urls=urls):
            backends = Backends.over_http({n: urls[n] for n in names if n != "gateway"}, 10)
            async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as crm:
                try:
                    return await measure_desk(crm, backends, requests)
                finally:
                    await backends.close()


def desk_report(found: dict[str, Any], how: str) -> tuple[str, bool]:
    calls = {name: percentile(ms, 95) for name, ms in found["calls"].items()}
    slowest = max(calls, key=lambda name: calls[name])
    desk95 = percentile(found["desk"], 95)
    ratio = desk95 / calls[slowest]
    # The same calls one after another, round by round: what a sequential desk would cost.
    rounds = zip(*found["calls"].values(), strict=True)
    sequential95 = percentile([sum(round_) for round_ in rounds], 95)
    ok = ratio <= RATIO_TARGET and found["errors"] == 0
    lines = [
        f"\nDesk ({how}): GET /api/desk with {len(found['statuses'])} widgets, "
        f"{len(found['desk'])} sequential requests, each followed by its backend calls made "
        "alone (ms)",
        f"{'call':<44}{'p50':>8}{'p95':>8}",
        *(
            f"{name:<44}{statistics.median(found['calls'][name]):>8.1f}{p95:>8.1f}"
            for name, p95 in sorted(calls.items(), key=lambda item: -item[1])
        ),
        f"{'GET /api/desk':<44}{statistics.median(found['desk']):>8.1f}{desk95:>8.1f}",
        f"{'the calls one after another':<44}{'':>8}{sequential95:>8.1f}",
        f"widgets: {found['statuses']}",
        f"ratio desk p95 / slowest call p95 ({slowest}): {ratio:.2f}  target <= {RATIO_TARGET}"
        f"  {'PASS' if ok else 'FAIL'}",
    ]
    if found["errors"]:
        lines.append(f"WARNING: {found['errors']} answers were not 200")
    return "\n".join(lines), ok


# --- 2. the global search at two sizes -------------------------------------------------------


@asynccontextmanager
async def backends_over(
    server_url: str, deals: int, label: str, bus: InProcessBus
) -> AsyncIterator[Backends]:
    """The deals service on a database of `deals` deals, the calendar and knowledge on empty
    ones, as the gateway reaches them in one process."""
    async with AsyncExitStack() as stack:
        apps: dict[str, ASGIApp] = {}
        for name in ("deals", "calendar", "knowledge"):
            url = await fresh_database(server_url, f"desk_{label}_{name}")
            entry = SERVICES[name]
            settings = entry.settings(
                database_url=url, identity_secret=TEST_SECRET, kafka_bootstrap_servers=None
            )
            app = entry.create_app(settings, bus)
            await stack.enter_async_context(running(app))
            apps[name] = app
            if name == "deals":
                await load(url, deals)
                await titled(url)
        yield Backends.in_process(apps)


async def titled(database_url: str) -> None:
    """Deal titles as people write them: a service, an object, a reference."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(TITLES)
        await connection.execute("VACUUM (ANALYZE) deal")
    finally:
        await connection.close()


async def search_times(backends: Backends, identity: Identity, requests: int) -> dict[str, Any]:
    token = sign_identity(identity, TEST_SECRET, ttl=timedelta(hours=1))
    found: dict[str, list[float]] = {q: [] for q in QUERIES}
    hits: dict[str, int] = {}
    for round_ in range(requests + WARMUP):
        for q in QUERIES:
            started = time.perf_counter()
            results = await search_everywhere(
                backends, identity=token, role=identity.role, text=q, limit=10, timeout=3.0
            )
            if round_ >= WARMUP:
                found[q].append((time.perf_counter() - started) * 1000)
            hits[q] = sum(len(items) for _, items in results.groups)
            assert not results.unavailable, results.unavailable
    return {"times": found, "hits": hits}


async def measure_search(server_url: str, small: int, large: int, requests: int) -> Any:
    bus = InProcessBus()
    await bus.start()
    try:
        measured = {}
        for label, deals in (("small", small), ("large", large)):
            async with backends_over(server_url, deals, label, bus) as backends:
                measured[label] = {
                    who: await search_times(backends, identity, requests)
                    for who, identity in (("manager", MANAGER), ("head", HEAD))
                }
        return measured
    finally:
        await bus.stop()


def search_report(found: Any, small: int, large: int) -> tuple[str, bool]:
    lines = [
        f"\nGlobal search: GET /api/search's fan-out, {small:,} vs {large:,} deals (ms, p95)",
        f"{'who':<9}{'query':<20}{'hits':>9}{'small':>9}{'large':>9}{'ratio':>7}",
    ]
    ok = True
    for who in ("manager", "head"):
        for q in QUERIES:
            s, g = (found[size][who] for size in ("small", "large"))
            s95, g95 = percentile(s["times"][q], 95), percentile(g["times"][q], 95)
            ratio = g95 / s95
            ok &= ratio <= RATIO_TARGET
            lines.append(
                f"{who:<9}{q:<20}{s['hits'][q]:>4}/{g['hits'][q]:<4}{s95:>9.1f}{g95:>9.1f}"
                f"{ratio:>7.2f}  {'PASS' if ratio <= RATIO_TARGET else 'FAIL'}"
            )
    lines.append(f"target: p95 with {large:,} deals <= {RATIO_TARGET} x p95 with {small:,}")
    return "\n".join(lines), ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--large", type=int, default=LARGE)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--only", choices=("desk", "search"), help="one half of the benchmark")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url = postgres_server_url(scratch_dir())
    desk_ok = search_ok = True
    if args.only != "search":
        embedded, _ = desk_report(await desk_in_process(server_url, args.requests), "one process")
        print(embedded, flush=True)
        try:
            measured = await desk_distributed(server_url, args.requests)
        except KafkaUnavailable as reason:
            print(f"\nDesk (distributed): not measured, no Kafka broker: {reason}")
            desk_ok = False
        else:
            desk, desk_ok = desk_report(measured, "a process per service")
            print(desk, flush=True)
    if args.only != "desk":
        found = await measure_search(server_url, args.small, args.large, args.requests)
        search, search_ok = search_report(found, args.small, args.large)
        print(search, flush=True)
    print(
        f"\nverdict: desk {'PASS' if desk_ok else 'FAIL'}, search {'PASS' if search_ok else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
