"""Plan summary: the roll-up behind `GET /api/plans/summary` against one plain SQL `GROUP BY`.

One fresh planning database holds 500 managers in a three-level group tree, 2,000 clients and a
year of plans for every manager: 120 clients planned by the month and 10 by the week (a client is
planned at one size per span), about 1,000,000 lines in mixed statuses, plus 100,000 replicated
deals. The summary of a quarter (its months whole, its weeks whole or, across its edges, by their
days) runs through `services.planning.usecases.summary`, the code the endpoint calls, for the
company, a region, a group and a manager; the baseline is one plain `GROUP BY manager_id` over
the same lines (every line sharing a day with the quarter), timed in the same run, in turn with
it. Target: each summary within 3 x the baseline's time.
"""

import argparse
import asyncio
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
from sqlalchemy import text

from bench.deal_lists import at_least, drop_database, percentile, scratch_dir, verdict
from services.planning.app import create_app
from services.planning.domain.periods import period_range
from services.planning.settings import PlanningSettings
from services.planning.usecases import summary as summaries
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.db import SessionFactory
from shared.postgres import asyncpg_dsn
from shared.reads import ReadPool
from shared.testing.apps import ADMIN, TEST_SECRET, running
from shared.testing.postgres import fresh_database, postgres_server_url

MANAGERS = 500
CLIENTS = 2_000
MONTHLY_CLIENTS = 120  # x 500 managers x 12 months = 720,000 lines
WEEKLY_CLIENTS = 10  # x 500 managers x 53 weeks = 265,000 lines
DEALS = 100_000
REGIONS = 5
GROUPS_PER_REGION = 4
YEAR = 2026
QUARTER, QUARTER_END = period_range("quarter", date(YEAR, 4, 1))
REPEATS = 30
WARMUP = 3
RATIO_TARGET = 3.0


# --- who works here --------------------------------------------------------------------------


def _id(kind: str, number: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"bench-plan-summary/{kind}/{number}")


COMPANY = _id("company", 0)
REGION_IDS = tuple(_id("region", r) for r in range(REGIONS))
GROUP_IDS = tuple(_id("group", g) for g in range(REGIONS * GROUPS_PER_REGION))
MANAGER_IDS = tuple(_id("manager", m) for m in range(MANAGERS))


def region_of(group: int) -> UUID:
    return REGION_IDS[group // GROUPS_PER_REGION]


def team_rows() -> list[tuple[UUID, str, UUID | None]]:
    regions = [(r, f"Region {i + 1}", COMPANY) for i, r in enumerate(REGION_IDS)]
    groups = [(g, f"Group {i + 1}", region_of(i)) for i, g in enumerate(GROUP_IDS)]
    return [(COMPANY, "Company", None), *regions, *groups]


def member_rows() -> list[tuple[UUID, str, str, UUID]]:
    managers = [
        (m, f"Manager {i + 1:03}", "manager", GROUP_IDS[i % len(GROUP_IDS)])
        for i, m in enumerate(MANAGER_IDS)
    ]
    heads = [(_id("head", i), f"Head {i + 1:02}", "head", g) for i, g in enumerate(GROUP_IDS)]
    return managers + heads


REGION_HEAD = Identity(
    user_id=str(_id("region-head", 0)),
    role="head",
    team_ids=[str(REGION_IDS[0]), *(str(g) for g in GROUP_IDS[:GROUPS_PER_REGION])],
)
GROUP_HEAD = Identity(user_id=str(_id("head", 0)), role="head", team_ids=[str(GROUP_IDS[0])])
MANAGER = Identity(user_id=str(MANAGER_IDS[0]), role="manager", team_ids=[str(GROUP_IDS[0])])


# --- loading: bulk SQL -----------------------------------------------------------------------

TEAM_SQL = "INSERT INTO team (id, name, parent_id, changed_at) VALUES ($1, $2, $3, now())"
MEMBER_SQL = """
INSERT INTO member (id, name, role, team_id, active, changed_at) VALUES ($1, $2, $3, $4, true, now())
"""
CLIENT_SQL = """
INSERT INTO client (id, name, tax_id)
SELECT md5('client' || i)::uuid, 'Klient ' || lpad(i::text, 4, '0') || ' sp. z o.o.',
       lpad(i::text, 10, '0')
FROM generate_series(1, $1) AS i
"""
SETTINGS_SQL = """
INSERT INTO plan_settings (id, approval_required, base_currency) VALUES (1, true, 'PLN')
ON CONFLICT (id) DO UPDATE SET approval_required = true
"""
# Each manager plans 120 clients by the month and 10 others by the week, all year (overlapping
# with the neighbours' clients); statuses: 15% draft, 20% submitted, 45% approved, 10% doubtful,
# 10% rejected. Weeks start on Mondays from the one holding the 1st of January.
LINE_SQL = """
WITH managers AS (SELECT array_agg(id ORDER BY name) AS ids FROM member WHERE role = 'manager'),
clients AS (SELECT array_agg(id ORDER BY name) AS ids FROM client),
periods AS (
    SELECT 'month' AS period, 0 AS first, $1::int AS clients, s::date AS start_date,
           (s + interval '1 month - 1 day')::date AS end_date
    FROM generate_series(make_date($3, 1, 1), make_date($3, 12, 1), interval '1 month') AS s
    UNION ALL
    SELECT 'week', $1::int, $2::int, s::date, (s + interval '6 days')::date
    FROM generate_series(
        make_date($3, 1, 1) - (extract(isodow FROM make_date($3, 1, 1))::int - 1),
        make_date($3, 12, 31), interval '1 week') AS s
)
INSERT INTO plan_line (id, manager_id, company_id, period, start_date, end_date, amount, note,
                       status, created_by)
SELECT gen_random_uuid(), m.ids[1 + mi],
       c.ids[1 + (mi * 4 + p.first + k) % cardinality(c.ids)], p.period, p.start_date, p.end_date,
       round((500 + random() ^ 2 * 99500)::numeric, 2), '',
       (ARRAY['draft', 'submitted', 'approved', 'doubtful', 'rejected'])[
           1 + width_bucket(random(), ARRAY[0.15, 0.35, 0.80, 0.90]::float8[])],
       'bench'
FROM managers AS m, clients AS c, periods AS p, generate_series(0, cardinality(m.ids) - 1) AS mi,
     generate_series(0, p.clients - 1) AS k
"""
# Deals closing over the year: 30% won, 50% open, 20% lost; 10% in EUR; won ones won on a day
# up to two months before their expected close.
DEAL_SQL = """
WITH managers AS (SELECT array_agg(id ORDER BY name) AS ids FROM member WHERE role = 'manager'),
clients AS (SELECT array_agg(id ORDER BY name) AS ids FROM client)
INSERT INTO deal_replica (id, owner_id, company_id, amount, currency, expected_close_date,
                          probability, stage_kind, changed_at)
SELECT gen_random_uuid(), m.ids[1 + i % cardinality(m.ids)],
       c.ids[1 + floor(random() * cardinality(c.ids))::int],
       round((1000 + random() ^ 2 * 199000)::numeric, 2),
       CASE WHEN random() < 0.1 THEN 'EUR' ELSE 'PLN' END,
       make_date($2, 1, 1) + floor(random() * 365)::int,
       10 + floor(random() * 9)::int * 10,
       (ARRAY['won', 'open', 'lost'])[1 + width_bucket(random(), ARRAY[0.3, 0.8]::float8[])],
       now()
FROM managers AS m, clients AS c, generate_series(1, $1) AS i
"""
WON_ON_SQL = """
UPDATE deal_replica SET won_on = expected_close_date - floor(random() * 60)::int
WHERE stage_kind = 'won'
"""


async def load(database_url: str) -> tuple[float, int]:
    """Fill a migrated planning database; seconds taken and the number of plan lines."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("SELECT setseed(0.42)")  # the same shape on every run
            await connection.executemany(TEAM_SQL, team_rows())
            await connection.executemany(MEMBER_SQL, member_rows())
            await connection.execute(CLIENT_SQL, CLIENTS)
            await connection.execute(SETTINGS_SQL)
            await connection.execute(LINE_SQL, MONTHLY_CLIENTS, WEEKLY_CLIENTS, YEAR)
            await connection.execute(DEAL_SQL, DEALS, YEAR)
            await connection.execute(WON_ON_SQL)
        await connection.execute("VACUUM (ANALYZE) team, member, client, plan_line, deal_replica")
        lines = await connection.fetchval("SELECT count(*) FROM plan_line")
        return time.perf_counter() - started, int(lines)
    finally:
        await connection.close()


# --- the calls -------------------------------------------------------------------------------

BASELINE_SQL = text(
    "SELECT manager_id, sum(amount) FROM plan_line"
    " WHERE start_date <= :end AND end_date >= :start GROUP BY manager_id"
)


@dataclass(frozen=True)
class Databases:
    sessions: SessionFactory  # the app's, for the baseline
    reads: ReadPool  # the app's read pool, which the endpoint reads with


@dataclass(frozen=True)
class Call:
    name: str
    run: Callable[[Databases], Awaitable[Any]]


def summary_call(name: str, identity: Identity, scope: summaries.Scope, id_: UUID | None) -> Call:
    async def run(databases: Databases) -> Any:
        return await summaries.summary(
            databases.reads,
            identity=identity,
            start=QUARTER,
            end=QUARTER_END,
            scope=scope,
            id_=id_,
        )

    return Call(name, run)


async def baseline(databases: Databases) -> Any:
    """The plain GROUP BY in a read transaction of the app's session factory."""
    async with databases.sessions() as session, session.begin():
        query = await session.execute(BASELINE_SQL, {"start": QUARTER, "end": QUARTER_END})
        return query.all()


CALLS = (
    summary_call("company (admin)", ADMIN, "company", None),
    summary_call("region (its head)", REGION_HEAD, "team", REGION_IDS[0]),
    summary_call("group (its head)", GROUP_HEAD, "team", GROUP_IDS[0]),
    summary_call("manager (own)", MANAGER, "manager", None),
)


@dataclass
class Sample:
    ms: list[float] = field(default_factory=list)


async def timed(databases: Databases, call: Callable[[Databases], Awaitable[Any]]) -> float:
    """One call, as the endpoint makes it; milliseconds."""
    started = time.perf_counter()
    await call(databases)
    return (time.perf_counter() - started) * 1000


async def compare(databases: Databases, repeats: int, warmup: int) -> dict[str, Sample]:
    """Every summary and the baseline in turn, repeat by repeat, so they share any noise."""
    samples = {name: Sample() for name in ("GROUP BY (baseline)", *(c.name for c in CALLS))}
    for i in range(warmup + repeats):
        for name, call in (("GROUP BY (baseline)", baseline), *((c.name, c.run) for c in CALLS)):
            elapsed = await timed(databases, call)
            if i >= warmup:
                samples[name].ms.append(elapsed)
    return samples


@asynccontextmanager
async def planning_database(server_url: str) -> AsyncIterator[tuple[Databases, float, int]]:
    """A fresh database with the planning app on it (migrated), loaded and analyzed."""
    url = await fresh_database(server_url, "plan_summary")
    settings = PlanningSettings(
        database_url=url, identity_secret=TEST_SECRET, kafka_bootstrap_servers=None
    )
    app = create_app(settings, InProcessBus())
    try:
        async with running(app):
            print("loading the plan ...", flush=True)
            load_s, lines = await load(url)
            print(f"loaded {lines:,} plan lines in {load_s:.1f} s", flush=True)
            yield Databases(app.state.sessions, app.state.reads), load_s, lines
    finally:
        await drop_database(server_url, url)


async def run(args: argparse.Namespace, server_url: str) -> tuple[dict[str, Sample], float, int]:
    async with planning_database(server_url) as (databases, load_s, lines):
        return await compare(databases, args.repeats, args.warmup), load_s, lines


# --- reporting -------------------------------------------------------------------------------


def report(samples: dict[str, Sample], repeats: int) -> str:
    base = samples["GROUP BY (baseline)"].ms
    base_p50, base_p95 = percentile(base, 50), percentile(base, 95)
    lines = [
        f"\nPlan summary for the quarter from {QUARTER} to {QUARTER_END}: {repeats} runs each (ms)",
        f"{'call':<22}{'p50':>9}{'p95':>9}{'p50 ratio':>11}{'p95 ratio':>11}",
    ]
    for name, sample in samples.items():
        p50, p95 = percentile(sample.ms, 50), percentile(sample.ms, 95)
        ratios = f"{p50 / base_p50:>11.2f}{p95 / base_p95:>11.2f}"
        judged = "" if sample.ms is base else f"  {verdict(p50 / base_p50 <= RATIO_TARGET)}"
        lines.append(f"{name:<22}{p50:>9.1f}{p95:>9.1f}{ratios}{judged}")
    lines.append(f"target: each summary's p50 <= {RATIO_TARGET} x the GROUP BY's p50")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=at_least(2), default=REPEATS, help="timed, per call")
    parser.add_argument("--warmup", type=at_least(0), default=WARMUP, help="uncounted first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    try:
        server_url = postgres_server_url(scratch_dir())
        samples, load_s, lines = asyncio.run(run(args, server_url))
    except Exception:  # a benchmark that cannot run says so and still exits 0
        traceback.print_exc()
        print("plan_summary: nothing measured (see the error above)")
        return 0
    print(report(samples, args.repeats))
    print(
        f"loading {lines:,} plan lines and {DEALS:,} deals (bulk SQL, VACUUM ANALYZE): {load_s:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
