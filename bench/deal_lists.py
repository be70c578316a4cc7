"""Deal list and kanban board: p95 with many deals against p95 with few, measured in one run.

Two fresh databases of the same shape (2,000 companies, 50 managers in 5 groups, deals spread
over the default pipeline's stages and owners) differ only in their number of deals. The deals
app runs on each, in this process, and is called over HTTP (httpx's ASGI transport, as the
tests do) with the lists and boards people really open. Target: each call's p95 on the large
database is at most 1.5 x its p95 on the small one (a flat cost as the table grows).
"""

import argparse
import asyncio
import atexit
import math
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import event as orm_event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN, TEST_SECRET, identity_headers, running
from shared.testing.postgres import fresh_database, postgres_server_url

SMALL = 1_000
LARGE = 100_000
REQUESTS = 200
WARMUP = 20
RATIO_TARGET = 1.5
PAGE = 50
DEEP_PAGES = 10  # the deep page is the one after the first ten
COMPANIES = 2_000
GROUPS = 5
MANAGERS_PER_GROUP = 10
AMOUNT_MIN = 250_000  # about 30% of deals are worth this much
FILTER_STAGE = "Negotiation"


# --- who works here: the same people in both databases ------------------------------------


def _person(kind: str, number: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"bench-deal-lists/{kind}/{number}")


TEAMS = tuple(_person("team", g) for g in range(GROUPS))
MANAGERS = tuple(_person("manager", m) for m in range(GROUPS * MANAGERS_PER_GROUP))
HEADS = tuple(_person("head", g) for g in range(GROUPS))


def team_of_manager(number: int) -> UUID:
    return TEAMS[number % GROUPS]


MANAGER = Identity(user_id=str(MANAGERS[0]), role="manager")
HEAD = Identity(user_id=str(HEADS[0]), role="head", team_ids=[str(team_of_manager(0))])


# --- loading: bulk SQL, then the running tallies the API would have kept --------------------

MEMBER_SQL = """
INSERT INTO member (id, name, team_id, active, changed_at) VALUES ($1, $2, $3, true, now())
"""

COMPANY_SQL = """
INSERT INTO company (id, name, tax_id, city, country, created_by, created_at, updated_at)
SELECT gen_random_uuid(), 'Firma ' || i || ' sp. z o.o.', lpad(i::text, 10, '0'),
       (ARRAY['Warszawa', 'Kraków', 'Gdańsk', 'Poznań', 'Wrocław'])[1 + i % 5], 'PL', $1,
       now() - random() * interval '5 years', now()
FROM generate_series(1, $2) AS i
"""

# Stages weighted as a real funnel; amounts skewed towards small deals, some early deals
# without an amount yet; 10% in EUR; close dates from two months ago to a year ahead.
DEAL_SQL = """
WITH companies AS (SELECT array_agg(id ORDER BY name) AS ids FROM company),
stages AS (
    SELECT array_agg(s.id ORDER BY s.position) AS ids,
           array_agg(s.probability ORDER BY s.position) AS chances,
           array_agg(s.kind ORDER BY s.position) AS kinds,
           (array_agg(s.pipeline_id))[1] AS pipeline_id
    FROM stage AS s JOIN pipeline AS p ON p.id = s.pipeline_id
    WHERE p.is_default
),
drawn AS (
    SELECT i,
           1 + width_bucket(random(), ARRAY[0.25, 0.45, 0.60, 0.70, 0.85]::float8[]) AS s,
           now() - random() * interval '3 years' AS created
    FROM generate_series(1, $1) AS i
)
INSERT INTO deal (id, title, company_id, owner_id, amount, currency, expected_close_date,
                  pipeline_id, stage_id, probability, source, custom, lost_reason,
                  stage_entered_at, created_at, updated_at)
SELECT gen_random_uuid(), 'Deal ' || d.i,
       c.ids[1 + floor(random() * cardinality(c.ids))::int],
       ($2::uuid[])[1 + d.i % cardinality($2::uuid[])],
       CASE WHEN d.s <= 2 AND random() < 0.2 THEN NULL
            ELSE round((1000 + random() ^ 2 * 499000)::numeric, 2) END,
       CASE WHEN random() < 0.1 THEN 'EUR' ELSE 'PLN' END,
       current_date + (random() * 425 - 60)::int,
       st.pipeline_id, st.ids[d.s], st.chances[d.s],
       (ARRAY['web', 'referral', 'trade fair', 'cold call'])[1 + d.i % 4], '{}'::jsonb,
       CASE WHEN st.kinds[d.s] = 'lost' THEN 'Price' END,
       d.created, d.created, d.created
FROM drawn AS d CROSS JOIN companies AS c CROSS JOIN stages AS st
"""

TALLY_SQL = """
INSERT INTO deal_tally (stage_id, owner_id, currency, count, amount)
SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount, 0)) FROM deal GROUP BY 1, 2, 3
"""


def member_rows() -> list[tuple[UUID, str, UUID]]:
    managers = [(m, f"Manager {i + 1}", team_of_manager(i)) for i, m in enumerate(MANAGERS)]
    heads = [(h, f"Head {i + 1}", TEAMS[i]) for i, h in enumerate(HEADS)]
    return managers + heads


async def load(database_url: str, deals: int) -> float:
    """Fill a migrated database with people, companies, `deals` deals and tallies; seconds taken."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("SELECT setseed(0.27)")  # the same shape on every run
            await connection.executemany(MEMBER_SQL, member_rows())
            await connection.execute(COMPANY_SQL, ADMIN.user_id, COMPANIES)
            await connection.execute(DEAL_SQL, deals, list(MANAGERS))
            await connection.execute(TALLY_SQL)
        await connection.execute("VACUUM (ANALYZE) company, deal, deal_tally, member")
        return time.perf_counter() - started
    finally:
        await connection.close()


async def fetch_ids(database_url: str) -> tuple[UUID, UUID]:
    """The default pipeline and the stage the filtered list asks for."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT p.id, s.id FROM pipeline AS p JOIN stage AS s ON s.pipeline_id = p.id"
            " WHERE p.is_default AND s.name = $1",
            FILTER_STAGE,
        )
    finally:
        await connection.close()
    assert row is not None, "the default pipeline is missing"
    return row[0], row[1]


async def drop_database(server_url: str, url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


# --- timing the database's share of each request --------------------------------------------


class SqlClock:
    """Time spent executing SQL on an engine, and the statements run while `capturing`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.spent = 0.0
        self.capturing = False
        self.statements: list[tuple[str, Any]] = []
        self._started = 0.0
        orm_event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        orm_event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self._started = time.perf_counter()
        if self.capturing:
            self.statements.append((statement, params))

    def _after(self, *_: Any) -> None:
        self.spent += time.perf_counter() - self._started


# --- the calls ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    name: str
    identity: Identity
    path: str


@dataclass
class Sample:
    total_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    items: int = 0
    errors: int = 0


def percentile(values: Sequence[float], p: int) -> float:
    if len(values) < 2:
        return math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass
class Database:
    """One database of `deals` deals with the deals app running on it."""

    label: str
    deals: int
    url: str
    app: FastAPI
    client: httpx.AsyncClient
    clock: SqlClock
    load_s: float
    calls: list[Call] = field(default_factory=list)


def calls_for(pipeline_id: UUID, stage_id: UUID, deep_cursor: str) -> list[Call]:
    board = f"/api/pipelines/{pipeline_id}/board?limit={PAGE}"
    deals = f"/api/deals?limit={PAGE}"
    return [
        Call("admin: list, first page", ADMIN, deals),
        Call(f"admin: list, page {DEEP_PAGES + 1}", ADMIN, f"{deals}&cursor={deep_cursor}"),
        Call("manager: own deals", MANAGER, deals),
        Call("head: group's deals", HEAD, deals),
        Call(
            "admin: stage + amount_min",
            ADMIN,
            f"{deals}&stage_id={stage_id}&amount_min={AMOUNT_MIN}",
        ),
        Call("admin: board", ADMIN, board),
        # A manager owns 20 deals in the small database, 2,000 in the large: at 50 cards a column
        # the answers differ in size, so only the boards that answer alike are judged.
        Call("manager: board", MANAGER, board),
        Call("manager: board, limit=3", MANAGER, f"/api/pipelines/{pipeline_id}/board?limit=3"),
        Call("manager: board, limit=1", MANAGER, f"/api/pipelines/{pipeline_id}/board?limit=1"),
    ]


async def get(client: httpx.AsyncClient, identity: Identity, path: str) -> httpx.Response:
    return await client.get(path, headers=identity_headers(identity))


async def cursor_after(client: httpx.AsyncClient, pages: int) -> str:
    """The admin's cursor to the page after the first `pages` pages of the deal list."""
    cursor = ""
    for _ in range(pages):
        suffix = f"&cursor={cursor}" if cursor else ""
        answer = await get(client, ADMIN, f"/api/deals?limit={PAGE}{suffix}")
        answer.raise_for_status()
        cursor = answer.json()["next_cursor"]
    return cursor


def count_items(body: Any) -> int:
    if "columns" in body:
        return sum(len(column["deals"]) for column in body["columns"])
    return len(body["items"])


async def request(database: Database, call: Call, sample: Sample, counted: bool) -> None:
    """One request of `call`, noted in `sample` when `counted`."""
    headers = identity_headers(call.identity)  # signed outside the timed part
    database.clock.spent = 0.0
    started = time.perf_counter()
    answer = await database.client.get(call.path, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        sample.errors += 1
    elif counted:
        sample.total_ms.append(elapsed * 1000)
        sample.sql_ms.append(database.clock.spent * 1000)
        sample.items = count_items(answer.json())


# --- running --------------------------------------------------------------------------------


@asynccontextmanager
async def database_of(
    server_url: str, deals: int, label: str, bus: InProcessBus
) -> AsyncIterator[Database]:
    """A fresh database, the deals app on it (migrated, default pipeline), loaded and analyzed."""
    url = await fresh_database(server_url, f"deal_lists_{label}")
    settings = DealsSettings(
        database_url=url,
        identity_secret=TEST_SECRET,
        kafka_bootstrap_servers=None,
        admin_locale="en",  # the stages are looked for by their English names
    )
    app = create_app(settings, bus)
    try:
        async with running(app) as client:
            print(f"{label}: loading {deals:,} deals ...", flush=True)
            load_s = await load(url, deals)
            print(f"{label}: loaded in {load_s:.1f} s", flush=True)
            database = Database(label, deals, url, app, client, SqlClock(app.state.engine), load_s)
            pipeline_id, stage_id = await fetch_ids(url)
            database.calls = calls_for(
                pipeline_id, stage_id, await cursor_after(client, DEEP_PAGES)
            )
            yield database
    finally:
        await drop_database(server_url, url)


@dataclass(frozen=True)
class Result:
    call: str
    small: Sample
    large: Sample

    @property
    def ratio(self) -> float:
        return percentile(self.large.total_ms, 95) / percentile(self.small.total_ms, 95)


async def compare(small: Database, large: Database, requests: int, warmup: int) -> list[Result]:
    """Each call on both databases in turn, request by request, so both sizes share any noise."""
    results = []
    for small_call, large_call in zip(small.calls, large.calls, strict=True):
        print(f"measuring {small_call.name} ...", flush=True)
        result = Result(small_call.name, Sample(), Sample())
        for i in range(warmup + requests):
            await request(small, small_call, result.small, counted=i >= warmup)
            await request(large, large_call, result.large, counted=i >= warmup)
        results.append(result)
    return results


async def explain(database: Database, call: Call) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement on deals that one request of `call` runs."""
    database.clock.statements.clear()
    database.clock.capturing = True
    try:
        await get(database.client, call.identity, call.path)
    finally:
        database.clock.capturing = False
    engine: AsyncEngine = database.app.state.engine
    plans = [f"\n--- {call.name}, {database.label} ---"]
    async with engine.connect() as connection:
        for statement, params in database.clock.statements:
            if "deal" not in statement:
                continue
            rows = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params
            )
            plans += [statement.strip(), f"params: {params}", *(row[0] for row in rows), ""]
    return "\n".join(plans)


async def explain_calls(databases: Sequence[Database], names: set[str]) -> str:
    return "\n".join(
        [await explain(db, call) for db in databases for call in db.calls if call.name in names]
    )


async def run(args: argparse.Namespace, server_url: str) -> tuple[list[Result], str, float]:
    """Measure every call on both sizes; the plans asked for by `--explain`; the large load time."""
    bus = InProcessBus()
    await bus.start()
    try:
        async with AsyncExitStack() as stack:
            small = await stack.enter_async_context(
                database_of(server_url, args.small, "small", bus)
            )
            large = await stack.enter_async_context(
                database_of(server_url, args.large, "large", bus)
            )
            results = await compare(small, large, args.requests, args.warmup)
            wanted = {
                r.call for r in results if args.explain == "all" or not r.ratio <= RATIO_TARGET
            }
            plans = await explain_calls((small, large), wanted) if args.explain else ""
    finally:
        await bus.stop()
    return results, plans, large.load_s


# --- reporting ------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def size(count: int) -> str:
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def judge(result: Result) -> str:
    """PASS/FAIL, noting where the large table gave a bigger answer (which costs more to send)."""
    outcome = verdict(result.ratio <= RATIO_TARGET)
    if result.small.items != result.large.items:
        return f"{outcome} (answers differ in size)"
    return outcome


def report(results: list[Result], small: int, large: int, requests: int) -> str:
    s, g = size(small), size(large)
    lines = [
        f"\nDeal lists and board: {requests} sequential requests per call and size (ms)",
        f"{'call':<28}{'rows':>9}{s + ' p50':>9}{s + ' p95':>9}{g + ' p50':>10}{g + ' p95':>10}"
        f"{'ratio':>7}{'sql p95':>15}",
    ]
    for r in results:
        rows = f"{r.small.items}/{r.large.items}"
        sql = f"{percentile(r.small.sql_ms, 95):.1f}/{percentile(r.large.sql_ms, 95):.1f}"
        times = [percentile(sample.total_ms, p) for sample in (r.small, r.large) for p in (50, 95)]
        lines.append(
            f"{r.call:<28}{rows:>9}{times[0]:>9.1f}{times[1]:>9.1f}{times[2]:>10.1f}"
            f"{times[3]:>10.1f}{r.ratio:>7.2f}{sql:>15}  {judge(r)}"
        )
    lines.append(f"target: p95 at {g} <= {RATIO_TARGET} x p95 at {s} for every call")
    errors = sum(r.small.errors + r.large.errors for r in results)
    if errors:
        lines.append(f"WARNING: {errors} requests did not answer 200; figures cover the rest")
    return "\n".join(lines)


def scratch_dir() -> Path:
    """A temp dir for the embedded PostgreSQL, removed at exit after the server stops."""
    path = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # runs after pgserver's own atexit
    return path


def at_least(minimum: int) -> Callable[[str], int]:
    def read(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return number

    return read


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=at_least(PAGE * (DEEP_PAGES + 1)), default=SMALL)
    parser.add_argument("--large", type=at_least(PAGE * (DEEP_PAGES + 1)), default=LARGE)
    parser.add_argument("--requests", type=at_least(2), default=REQUESTS, help="timed, per call")
    parser.add_argument("--warmup", type=at_least(0), default=WARMUP, help="uncounted first")
    parser.add_argument(
        "--explain",
        choices=("failing", "all"),
        help="print EXPLAIN (ANALYZE, BUFFERS) of the SQL of failing (or all) calls",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    try:
        server_url = postgres_server_url(scratch_dir())
        results, plans, load_s = asyncio.run(run(args, server_url))
    except Exception:  # a benchmark that cannot run says so and still exits 0
        traceback.print_exc()
        print("deal_lists: nothing measured (see the error above)")
        return 0
    if plans:
        print(plans)
    print(report(results, args.small, args.large, args.requests))
    print(f"loading {args.large:,} deals (bulk SQL, tallies, VACUUM ANALYZE): {load_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
