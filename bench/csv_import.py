"""CSV import: 100,000 deal rows through the import use case, against PostgreSQL `COPY`.

One fresh deals database (migrated, with the default pipeline) gets 200 companies and 20
managers in 4 groups. Two CSV files of 50,000 deal rows each (the most one file may hold), 1% of
them bad in five ways, go through what `POST /api/imports` runs: `read_sheet`, `start_job`,
`run_job`, as an administrator who hands the deals to the managers. The baseline, on the same
server in the same run, is `COPY` of the same valid rows (read back from `deal`) into a plain
table with the deal's columns and no index: the rate of PostgreSQL taking those rows with no
checks and nothing else to write. Target: the import's rate >= 0.30 x COPY's.

Also printed, to show where the time goes: `COPY` of the same rows into tables like the ones the
import fills (the deals, the timeline entries, the outbox rows, with their indexes and foreign
keys), in batches of 1,000 in a transaction each: the database's share of the import, no Python.

By default the deals service runs as it does in production, its outbox relay sending the
import's events as they commit (to an in-process bus nobody listens to), with the garbage
collector settled as `crm serve` settles it; `--no-relay` migrates the database without starting
the service, to time the import alone.
"""

import argparse
import asyncio
import csv
import io
import os
import statistics
import sys
import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg

from bench.deal_lists import at_least, drop_database, scratch_dir, verdict
from services.cli import settle_garbage_collector
from services.deals.app import SPEC, create_app
from services.deals.domain.nip import checksum
from services.deals.domain.sheet import read_sheet
from services.deals.imports_table import ImportJob
from services.deals.settings import DealsSettings
from services.deals.usecases import imports
from services.deals.usecases.pipelines import ensure_default_pipeline
from shared.bus import InProcessBus
from shared.db import SessionFactory, new_engine, new_session_factory
from shared.migrations import upgrade_async
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN, TEST_SECRET, running
from shared.testing.postgres import fresh_database, postgres_server_url

ROWS = 100_000
FILE_ROWS = 50_000  # the most one file may hold
BAD_EVERY = 100
COMPANIES = 200
GROUPS, MANAGERS_PER_GROUP = 4, 5
COPY_ROUNDS = 3
RATIO_TARGET = 0.30
TODAY = date(2026, 12, 1)
DEAL_COLUMNS = (
    "id, title, company_id, owner_id, amount, currency, expected_close_date, pipeline_id,"
    " stage_id, probability, source, custom, lost_reason"
)
STAGES = ("Qualification", "Needs analysis", "Negotiation", "Won", "Lost")


def _id(kind: str, number: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"bench-csv-import/{kind}/{number}")


TEAMS = tuple(_id("team", g) for g in range(GROUPS))
MANAGERS = tuple(_id("manager", m) for m in range(GROUPS * MANAGERS_PER_GROUP))


def nips(count: int) -> list[str]:
    """`count` valid NIPs (ten digits, the last their checksum)."""
    found: list[str] = []
    first = 100_000_000
    while len(found) < count:
        nine = str(first)
        if checksum(nine) < 10:
            found.append(nine + str(checksum(nine)))
        first += 7919
    return found


NIPS = nips(COMPANIES)


# --- the file --------------------------------------------------------------------------------

HEADER = "Tytuł;NIP firmy;Firma;Kwota;Waluta;Data zamknięcia;Etap;Opiekun;Źródło;Powód utraty"
# Five ways a row goes wrong, each refused by a different check.
BAD = (
    lambda n: f"Ujemna {n};{NIPS[0]};;-5;PLN;31.12.2099;Qualification;{MANAGERS[0]};web;",
    lambda n: f"Nieznana firma {n};5260250274;;100;PLN;31.12.2099;Qualification;;web;",
    lambda n: f"Wygrana bez daty {n};{NIPS[1]};;100;PLN;;Won;;web;",
    lambda n: f"Zły etap {n};{NIPS[2]};;100;PLN;2099-12-31;Prawie wygrana;;web;",
    lambda n: f"Oferta {n};{NIPS[3]};;100;PLN;2099-12-31;Commercial offer sent;;web;",
)


def row(n: int) -> str:
    """A valid deal row of many shapes: NIP or name, decimal comma, dotted dates, every stage."""
    company = f"{NIPS[n % COMPANIES]};" if n % 10 < 7 else f";Firma {n % COMPANIES:03} sp. z o.o."
    amount = "" if n % 13 == 0 else (f"{n % 9000 + 100},50" if n % 2 else f"{n % 9000 + 100}.25")
    stage = STAGES[n % 5] if amount else STAGES[n % 3]  # won needs an amount
    close = f"{1 + n % 28:02}.{1 + n % 12:02}.2099" if n % 3 else f"2099-{1 + n % 12:02}-15"
    currency = "EUR" if n % 10 == 0 else "PLN"
    reason = "Price" if stage == "Lost" else ""
    owner = MANAGERS[n % len(MANAGERS)]
    return f"Szansa {n};{company};{amount};{currency};{close};{stage};{owner};targi;{reason}"


def files(rows: int) -> tuple[list[bytes], list[int]]:
    """The CSV files, and the numbers (0-based, over all files) of the bad rows."""
    lines, bad = [], []
    for n in range(rows):
        if n % BAD_EVERY == BAD_EVERY - 1:
            lines.append(BAD[n // BAD_EVERY % len(BAD)](n))
            bad.append(n)
        else:
            lines.append(row(n))
    chunks = [lines[i : i + FILE_ROWS] for i in range(0, rows, FILE_ROWS)]
    return ["\n".join([HEADER, *chunk]).encode() for chunk in chunks], bad


# --- loading ---------------------------------------------------------------------------------

MEMBER_SQL = (
    "INSERT INTO member (id, name, team_id, active, changed_at) VALUES ($1, $2, $3, true, now())"
)
COMPANY_SQL = "INSERT INTO company (id, name, tax_id, created_by) VALUES ($1, $2, $3, 'bench')"


async def load(connection: asyncpg.Connection) -> None:
    members = [(m, f"Manager {i}", TEAMS[i % GROUPS]) for i, m in enumerate(MANAGERS)]
    await connection.executemany(MEMBER_SQL, members)
    companies = [(_id("company", i), f"Firma {i:03} sp. z o.o.", NIPS[i]) for i in range(COMPANIES)]
    await connection.executemany(COMPANY_SQL, companies)


# --- the import and the baselines --------------------------------------------------------------


@dataclass
class Imported:
    seconds: float
    jobs: list[dict[str, Any]]
    rejected_lines: list[int]


async def import_files(sessions: SessionFactory, contents: list[bytes]) -> Imported:
    """What `POST /api/imports` runs, for each file, one after the other; timed whole."""
    started = time.perf_counter()
    job_ids = []
    for content in contents:
        sheet = await asyncio.to_thread(read_sheet, content, "deal", None, [], locale="pl")
        job, lock = await imports.start_job(
            sessions,
            record_type="deal",
            file_name="bench.csv",
            created_by=ADMIN.user_id,
            sheet=sheet,
            content=content,
            mapping=None,
        )
        await imports.run_job(
            sessions, job=job, lock=lock, sheet=sheet, identity=ADMIN, today=TODAY
        )
        job_ids.append(job.id)
    seconds = time.perf_counter() - started
    jobs, lines = [], []
    for number, job_id in enumerate(job_ids):
        async with sessions() as session:
            stored = await session.get(ImportJob, job_id)
            assert stored is not None
            await session.refresh(stored, ["rejected_csv"])
        job = stored
        jobs.append(
            {k: getattr(job, k) for k in ("status", "total", "imported", "rejected", "error")}
        )
        report = csv.DictReader(io.StringIO(job.rejected_csv or ""), delimiter=";")
        lines += [number * FILE_ROWS + int(r["row"]) - 2 for r in report]  # the header is line 1
    return Imported(seconds, jobs, lines)


async def copy_plain(connection: asyncpg.Connection, rounds: int) -> tuple[float, int]:
    """The median seconds of one `COPY` of every imported deal into a plain table."""
    records = await connection.fetch(f"SELECT {DEAL_COLUMNS} FROM deal")
    await connection.execute("CREATE TABLE copy_baseline (LIKE deal INCLUDING DEFAULTS)")
    timings = []
    for _ in range(rounds):
        await connection.execute("TRUNCATE copy_baseline")
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "copy_baseline", records=records, columns=DEAL_COLUMNS.split(", ")
        )
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(records)


FOREIGN_KEYS = (
    "ALTER TABLE floor_deal ADD FOREIGN KEY (company_id) REFERENCES company (id),"
    " ADD FOREIGN KEY (pipeline_id) REFERENCES pipeline (id),"
    " ADD FOREIGN KEY (stage_id) REFERENCES stage (id)",
    "ALTER TABLE floor_timeline_entry ADD FOREIGN KEY (deal_id) REFERENCES floor_deal (id),"
    " ADD FOREIGN KEY (company_id) REFERENCES company (id)",
)
FLOOR_TABLES = {
    "deal": DEAL_COLUMNS,
    "timeline_entry": "id, deal_id, company_id, kind, actor_id, at, data",
    "outbox": "event_id, topic, key, type, envelope",
}


async def copy_floor(connection: asyncpg.Connection) -> dict[str, float]:
    """Seconds to `COPY` the import's rows into tables like the ones it fills (their columns,
    indexes and foreign keys), batch by batch in a transaction each, as the import writes them."""
    tables = {}
    for table, columns in FLOOR_TABLES.items():
        tables[table] = (
            columns,
            await connection.fetch(f"SELECT {columns} FROM {table} ORDER BY 1"),
        )
        await connection.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
    for statement in FOREIGN_KEYS:
        await connection.execute(statement)
    spent = dict.fromkeys(["all", *tables], 0.0)
    for start in range(0, len(tables["deal"][1]), imports.BATCH_ROWS):
        batch_started = time.perf_counter()
        async with connection.transaction():
            for table, (columns, records) in tables.items():
                started = time.perf_counter()
                await connection.copy_records_to_table(
                    f"floor_{table}",
                    records=records[start : start + imports.BATCH_ROWS],
                    columns=columns.split(", "),
                )
                spent[table] += time.perf_counter() - started
        spent["all"] += time.perf_counter() - batch_started
    return spent


async def checks(connection: asyncpg.Connection) -> dict[str, bool]:
    tallies_match = await connection.fetchval(
        """SELECT count(*) = 0 FROM (
            (SELECT stage_id, owner_id, currency, count, amount FROM deal_tally WHERE count <> 0
             EXCEPT SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount, 0))
             FROM deal GROUP BY 1, 2, 3)
            UNION ALL
            (SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount, 0))
             FROM deal GROUP BY 1, 2, 3
             EXCEPT SELECT stage_id, owner_id, currency, count, amount FROM deal_tally)) AS d"""
    )
    events = await connection.fetchval(
        "SELECT count(DISTINCT key) = count(*) AND count(*) = (SELECT count(*) FROM deal)"
        " FROM outbox WHERE type = 'crm.deal.created.v1'"
    )
    timeline = await connection.fetchval(
        "SELECT count(*) = (SELECT count(*) FROM deal) FROM timeline_entry WHERE kind = 'created'"
    )
    return {"tallies = GROUP BY": tallies_match, "one event per deal": events, "timeline": timeline}


@asynccontextmanager
async def deals_database(
    server_url: str, *, relay: bool
) -> AsyncIterator[tuple[str, SessionFactory]]:
    """A fresh database with the deals service running on it (migrations, its outbox relay),
    or only migrated and with the default pipeline when not `relay`."""
    url = await fresh_database(server_url, "csv_import")
    settings = DealsSettings(  # the rows name the default pipeline's stages in English
        database_url=url,
        identity_secret=TEST_SECRET,
        kafka_bootstrap_servers=None,
        admin_locale="en",
    )
    try:
        if relay:
            async with service(settings) as sessions:
                yield url, sessions
        else:
            async with migrated(settings) as sessions:
                yield url, sessions
    finally:
        await drop_database(server_url, url)


@asynccontextmanager
async def service(settings: DealsSettings) -> AsyncIterator[SessionFactory]:
    bus = InProcessBus()
    await bus.start()
    app = create_app(settings, bus)
    try:
        async with running(app):
            yield app.state.sessions
    finally:
        await bus.stop()


@asynccontextmanager
async def migrated(settings: DealsSettings) -> AsyncIterator[SessionFactory]:
    await upgrade_async(SPEC.migrations, settings.async_database_url)
    engine = new_engine(settings.async_database_url)
    sessions = new_session_factory(engine)
    try:
        await ensure_default_pipeline(sessions, locale="en")  # the rows name stages in English
        yield sessions
    finally:
        await engine.dispose()


@dataclass
class Result:
    relay: bool
    imported: Imported
    expected_bad: list[int]
    copy_seconds: float
    copied: int
    floor_seconds: dict[str, float]
    checks: dict[str, bool]
    load: tuple[float, float]


async def run(args: argparse.Namespace, server_url: str) -> Result:
    contents, bad = files(args.rows)
    async with deals_database(server_url, relay=args.relay) as (url, sessions):
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await load(connection)
            before = os.getloadavg()[0]
            print(f"importing {args.rows:,} deal rows ({len(contents)} files) ...", flush=True)
            imported = await import_files(sessions, contents)
            after = os.getloadavg()[0]
            copy_seconds, copied = await copy_plain(connection, args.copy_rounds)
            floor_seconds = await copy_floor(connection)
            found = await checks(connection)
        finally:
            await connection.close()
    return Result(
        args.relay, imported, bad, copy_seconds, copied, floor_seconds, found, (before, after)
    )


def report(result: Result) -> str:
    imported = result.imported
    valid = sum(job["imported"] for job in imported.jobs)
    rate = valid / imported.seconds
    copy_rate = result.copied / result.copy_seconds
    floor_rate = result.copied / result.floor_seconds["all"]
    ratio = rate / copy_rate
    rejected_ok = imported.rejected_lines == result.expected_bad
    lines = [
        f"\nCSV import of {sum(j['total'] for j in imported.jobs):,} deal rows"
        f" ({len(result.expected_bad):,} bad), outbox relay {'on' if result.relay else 'off'},"
        " load average"
        f" {result.load[0]:.2f} -> {result.load[1]:.2f}",
        f"{'':<44}{'rows':>9}{'seconds':>10}{'rows/s':>10}{'ratio':>8}",
        f"{'COPY into a plain table (baseline)':<44}{result.copied:>9,}"
        f"{result.copy_seconds:>10.3f}{copy_rate:>10,.0f}{1:>8.2f}",
        f"{'import (read, check, write)':<44}{valid:>9,}"
        f"{imported.seconds:>10.3f}{rate:>10,.0f}{ratio:>8.3f}  {verdict(ratio >= RATIO_TARGET)}",
        f"{'COPY into like tables (deal, timeline, outbox)':<44}{result.copied:>9,}"
        f"{result.floor_seconds['all']:>10.3f}{floor_rate:>10,.0f}{floor_rate / copy_rate:>8.3f}",
        *(
            f"{'  of which ' + table:<44}{result.copied:>9,}{seconds:>10.3f}"
            f"{result.copied / seconds:>10,.0f}{result.copied / seconds / copy_rate:>8.3f}"
            for table, seconds in result.floor_seconds.items()
            if table != "all"
        ),
        f"import / that COPY: {rate / floor_rate:.2f}",
        f"target: import rows/s >= {RATIO_TARGET} x COPY rows/s",
        f"jobs: {imported.jobs}",
        f"the bad rows reported, each by its line: {verdict(rejected_ok)}"
        f" ({len(imported.rejected_lines):,} of {len(result.expected_bad):,})",
        *(f"{name}: {verdict(ok)}" for name, ok in result.checks.items()),
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=at_least(BAD_EVERY), default=ROWS, help="deal rows in all")
    parser.add_argument("--copy-rounds", type=at_least(1), default=COPY_ROUNDS, help="median of")
    parser.add_argument(
        "--no-relay",
        dest="relay",
        action="store_false",
        help="time the import alone, without the service's outbox relay sending its events",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    settle_garbage_collector()  # as `crm serve` does in the deals process this one stands in for
    try:
        server_url = postgres_server_url(scratch_dir())
        result = asyncio.run(run(args, server_url))
    except Exception:  # a benchmark that cannot run says so and still exits 0
        traceback.print_exc()
        print("csv_import: nothing measured (see the error above)")
        return 0
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
