"""The reader's first feed page: p95 with 1,000,000 posts against p95 with 1,000, in one run.

Two fresh knowledge databases of the same shape (a company of 4 regions and 16 sales groups,
20 managers a group with their heads, 4 departments of staff, 5,000 deals) differ only in the
number of posts. Posts are spread as a company writes them: half for everyone, the rest for one
group, a region, a department or a few people, some on deals (seen only by who sees the deal),
with comments, reactions, a few important and three pinned; their text and search vectors come
from a pool of Polish sentences indexed by the service's own code. The knowledge app runs on
each database in this process and is called over HTTP (httpx's ASGI transport) for
`GET /api/feed` as a manager, a head, a member of staff and a manager of another group in turn:
the audience rule, the deal rule, the pinned posts, comments, reactions and names of the page.
Both sizes are asked in turn, request by request, so they share any noise.
Target: p95 with the large feed <= 1.5 x p95 with the small one.
"""

import argparse
import asyncio
import io
import random
import sys
import time
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import httpx

from bench.deal_lists import SqlClock, at_least, drop_database, percentile, scratch_dir, verdict
from bench.knowledge_search import LEMMAS
from services.knowledge import language
from services.knowledge.app import create_app
from services.knowledge.domain.text import Field, document_vectors
from services.knowledge.settings import KnowledgeSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import TEST_SECRET, identity_headers, running
from shared.testing.postgres import fresh_database, postgres_server_url

SMALL = 1_000
LARGE = 1_000_000
REQUESTS = 300
WARMUP = 30
RATIO_TARGET = 1.5
PAGE = 20
REGIONS = 4
GROUPS_PER_REGION = 4
MANAGERS_PER_GROUP = 20
DEPARTMENTS = 4
STAFF_PER_DEPARTMENT = 10
DEALS = 5_000
TEXTS = 500  # distinct post texts (with their vectors), reused round the feed
BATCH = 50_000
SEED = 20261202


def _id(kind: str, number: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"bench-feed/{kind}/{number}")


def _v7(at: datetime, rng: random.Random) -> UUID:
    """A time-ordered id for a post written at `at`, as the service makes them."""
    ms = int(at.timestamp() * 1000)
    rest = rng.getrandbits(74)
    return UUID(
        int=(ms << 80)
        | (0x7 << 76)
        | ((rest >> 62) << 64)
        | (0b10 << 62)
        | (rest & ((1 << 62) - 1))
    )


# --- who works here: the same company in both databases -------------------------------------

COMPANY = _id("team", 0)
REGION_IDS = [_id("region", r) for r in range(REGIONS)]
GROUP_IDS = [_id("group", g) for g in range(REGIONS * GROUPS_PER_REGION)]
DEPARTMENT_IDS = [_id("department", d) for d in range(DEPARTMENTS)]


def region_of(group: int) -> int:
    return group // GROUPS_PER_REGION


def manager(group: int, number: int) -> UUID:
    return _id("manager", group * MANAGERS_PER_GROUP + number)


def staff(department: int, number: int) -> UUID:
    return _id("staff", department * STAFF_PER_DEPARTMENT + number)


def readers() -> list[tuple[str, Identity]]:
    """Who opens the feed: identities as the gateway vouches for them."""
    first, region = GROUP_IDS[0], REGION_IDS[0]
    region_groups = [str(g) for i, g in enumerate(GROUP_IDS) if region_of(i) == 0]
    return [
        ("manager", Identity(user_id=str(manager(0, 1)), role="manager", team_ids=[str(first)])),
        (
            "head of a region",
            Identity(
                user_id=str(_id("head", 0)), role="head", team_ids=[str(region), *region_groups]
            ),
        ),
        (
            "staff",
            Identity(user_id=str(staff(0, 0)), role="staff", department_id=str(DEPARTMENT_IDS[0])),
        ),
        (
            "manager, another group",
            Identity(user_id=str(manager(9, 3)), role="manager", team_ids=[str(GROUP_IDS[9])]),
        ),
    ]


async def _people(connection: asyncpg.Connection, now: datetime) -> None:
    teams: list[tuple[Any, ...]] = [(COMPANY, "Firma", None, None, now)]
    teams += [(r, f"Region {i}", COMPANY, _id("head", i), now) for i, r in enumerate(REGION_IDS)]
    teams += [
        (g, f"Grupa {i}", REGION_IDS[region_of(i)], None, now) for i, g in enumerate(GROUP_IDS)
    ]
    await connection.executemany(
        "INSERT INTO team (id, name, parent_id, head_id, changed_at) VALUES ($1, $2, $3, $4, $5)",
        teams,
    )
    members: list[tuple[Any, ...]] = [
        (manager(g, n), f"Handlowiec {g}-{n}", "manager", GROUP_IDS[g], None)
        for g in range(len(GROUP_IDS))
        for n in range(MANAGERS_PER_GROUP)
    ]
    members += [(_id("head", r), f"Szef {r}", "head", REGION_IDS[r], None) for r in range(REGIONS)]
    members += [
        (staff(d, n), f"Pracownik {d}-{n}", "staff", None, DEPARTMENT_IDS[d])
        for d in range(DEPARTMENTS)
        for n in range(STAFF_PER_DEPARTMENT)
    ]
    await connection.executemany(
        "INSERT INTO member (id, name, role, team_id, department_id, active, changed_at) "
        "VALUES ($1, $2, $3, $4, $5, true, $6)",
        [(*member, now) for member in members],
    )
    rng = random.Random(SEED + 1)
    deals = [
        (
            _id("deal", d),
            f"Umowa {d}",
            manager(rng.randrange(len(GROUP_IDS)), rng.randrange(MANAGERS_PER_GROUP)),
            now,
        )
        for d in range(DEALS)
    ]
    await connection.executemany(
        "INSERT INTO record (id, kind, name, owner_id, company_id, archived, changed_at) "
        "VALUES ($1, 'deal', $2, $3, NULL, false, $4)",
        deals,
    )


# --- posts ------------------------------------------------------------------------------------


def texts() -> list[tuple[str, str]]:
    """Post texts (a few Polish sentences of sales words) and their search vectors."""
    rng = random.Random(SEED)
    generator = language._generator()
    forms = {lemma: [f for f, *_ in generator.generate(lemma)] or [lemma] for lemma in LEMMAS}
    made = []
    for _ in range(TEXTS):
        words = [rng.choice(forms[rng.choice(LEMMAS)]) for _ in range(rng.randint(8, 60))]
        text = " ".join(words).capitalize() + f". #{rng.choice(LEMMAS[:40])}"
        vectors = document_vectors([Field(text, "B")], language.lexemes)
        made.append((text, vectors.full))
    return made


def _audience(rng: random.Random) -> tuple[list[str], UUID | None]:
    """Who a post is for (and the deal it is on), as a company writes them."""
    roll = rng.random()
    if roll < 0.50:
        return ["everyone"], None
    if roll < 0.80:
        return [f"team:{rng.choice(GROUP_IDS)}"], None
    if roll < 0.85:
        return [f"team:{rng.choice(REGION_IDS)}"], None
    if roll < 0.90:
        return [f"department:{rng.choice(DEPARTMENT_IDS)}"], None
    if roll < 0.95:
        people = {manager(rng.randrange(16), rng.randrange(20)) for _ in range(rng.randint(1, 3))}
        return [f"user:{person}" for person in sorted(people, key=str)], None
    return ["everyone"], _id("deal", rng.randrange(DEALS))


def _field(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(f'"{item}"' for item in value) + "}"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _lines(rows: list[tuple[Any, ...]]) -> bytes:
    return "".join("\t".join(_field(v) for v in row) + "\n" for row in rows).encode()


@dataclass
class Written:
    posts: list[tuple[Any, ...]] = field(default_factory=list)
    comments: list[tuple[Any, ...]] = field(default_factory=list)
    reactions: list[tuple[Any, ...]] = field(default_factory=list)


POST_COLUMNS = [
    "id",
    "kind",
    "author_id",
    "text",
    "tags",
    "audience",
    "mentions",
    "important",
    "pinned_at",
    "record_kind",
    "record_id",
    "comment_count",
    "revision",
    "facts",
    "language",
    "search",
    "created_at",
]


def posts(count: int, pool: list[tuple[str, str]]) -> Iterator[Written]:
    """`count` posts over the last two years, newest last, in batches."""
    rng = random.Random(SEED + 2)
    now = datetime.now(UTC)
    span = timedelta(days=730)
    batch = Written()
    for number in range(count):
        at = now - span + span * (number + 1) / count
        post_id = _v7(at, rng)
        text, vector = pool[number % len(pool)]
        audience, deal = _audience(rng)
        group = rng.randrange(len(GROUP_IDS))
        author = manager(group, rng.randrange(MANAGERS_PER_GROUP))
        comments = rng.choices((0, 0, 0, 0, 0, 0, 0, 0, 1, 3))[0]
        pinned = at if number >= count - 3 else None
        tag = text.rsplit("#", 1)[1]
        batch.posts.append(
            (
                post_id,
                "note",
                author,
                text,
                [tag],
                audience,
                [],
                rng.random() < 0.01,
                pinned,
                "deal" if deal else None,
                deal,
                comments,
                1,
                "{}",
                "pl",
                vector,
                at,
            )
        )
        for c in range(comments):
            said_at = at + timedelta(minutes=c + 1)
            batch.comments.append(
                (
                    _v7(said_at, rng),
                    post_id,
                    manager(group, rng.randrange(20)),
                    pool[c][0][:200],
                    [],
                    said_at,
                )
            )
        for r in range(rng.choices((0, 0, 0, 1, 3))[0]):
            batch.reactions.append((post_id, manager(group, r), "like", at))
        if len(batch.posts) == BATCH:
            yield batch
            batch = Written()
    if batch.posts:
        yield batch


async def load(url: str, count: int, pool: list[tuple[str, str]]) -> float:
    """People, deals and `count` posts, written with COPY; the post indexes built afterwards,
    as a bulk load does; then VACUUM ANALYZE. Seconds taken."""
    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await _people(connection, datetime.now(UTC))
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'post' "
            "AND indexname <> 'pk_post'"
        )
        for index in indexes:
            await connection.execute(f'DROP INDEX "{index["indexname"]}"')
        for batch in posts(count, pool):
            await _copy(connection, "post", POST_COLUMNS, batch.posts)
            columns = ["id", "post_id", "author_id", "text", "mentions", "created_at"]
            await _copy(connection, "post_comment", columns, batch.comments)
            columns = ["post_id", "user_id", "reaction", "created_at"]
            await _copy(connection, "post_reaction", columns, batch.reactions)
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for index in indexes:
            await connection.execute(index["indexdef"])
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _copy(
    connection: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    if rows:
        await connection.copy_to_table(
            table, source=io.BytesIO(_lines(rows)), columns=columns, format="text"
        )


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Sample:
    total_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    errors: int = 0


@dataclass
class Feed:
    label: str
    posts: int
    client: httpx.AsyncClient
    clock: SqlClock
    load_s: float
    sample: Sample = field(default_factory=Sample)


@asynccontextmanager
async def feed_of(
    server_url: str, count: int, label: str, pool: list[tuple[str, str]]
) -> AsyncIterator[Feed]:
    """A fresh knowledge database with `count` posts, the knowledge app on it."""
    url = await fresh_database(server_url, f"feed_{label}")
    settings = KnowledgeSettings(
        database_url=url, identity_secret=TEST_SECRET, kafka_bootstrap_servers=None
    )
    app = create_app(settings, InProcessBus())
    try:
        async with running(app) as client:
            print(f"{label}: loading {count:,} posts ...", flush=True)
            load_s = await load(url, count, pool)
            print(f"{label}: loaded in {load_s:.1f} s", flush=True)
            yield Feed(label, count, client, SqlClock(app.state.engine), load_s)
    finally:
        await drop_database(server_url, url)


async def ask(feed: Feed, reader: Identity, counted: bool) -> None:
    headers = identity_headers(reader)  # signed outside the timed part
    feed.clock.spent = 0.0
    started = time.perf_counter()
    answer = await feed.client.get("/api/feed", params={"limit": PAGE}, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        feed.sample.errors += 1
    elif counted:
        feed.sample.total_ms.append(elapsed * 1000)
        feed.sample.sql_ms.append(feed.clock.spent * 1000)
        feed.sample.items.append(len(answer.json()["items"]))


async def compare(small: Feed, large: Feed, requests: int, warmup: int) -> None:
    """The first page for each reader in turn, on both sizes in turn."""
    people = readers()
    for i in range(warmup + requests):
        _name, reader = people[i % len(people)]
        await ask(small, reader, counted=i >= warmup)
        await ask(large, reader, counted=i >= warmup)


async def run(args: argparse.Namespace, server_url: str) -> tuple[Feed, Feed]:
    started = time.perf_counter()
    pool = texts()
    print(f"indexed {len(pool)} post texts in {time.perf_counter() - started:.1f} s", flush=True)
    async with AsyncExitStack() as stack:
        small = await stack.enter_async_context(feed_of(server_url, args.small, "small", pool))
        large = await stack.enter_async_context(feed_of(server_url, args.large, "large", pool))
        print(f"measuring {args.requests} first pages on each ...", flush=True)
        await compare(small, large, args.requests, args.warmup)
    return small, large


def size(count: int) -> str:
    return f"{count // 1_000_000}M" if count % 1_000_000 == 0 else f"{count:,}"


def report(small: Feed, large: Feed, requests: int) -> str:
    lines = [
        f"\nFirst feed page (GET /api/feed, {PAGE} posts, 4 readers in turn): "
        f"{requests} requests per size (ms)",
        f"{'posts':>12}{'p50':>8}{'p95':>8}{'p99':>8}{'sql p95':>9}{'items':>7}",
    ]
    for feed in (small, large):
        s = feed.sample
        lines.append(
            f"{size(feed.posts):>12}{percentile(s.total_ms, 50):>8.1f}{percentile(s.total_ms, 95):>8.1f}"
            f"{percentile(s.total_ms, 99):>8.1f}{percentile(s.sql_ms, 95):>9.1f}"
            f"{sum(s.items) / max(1, len(s.items)):>7.1f}"
        )
    ratio = percentile(large.sample.total_ms, 95) / percentile(small.sample.total_ms, 95)
    lines.append(
        f"p95 ratio {size(large.posts)}/{size(small.posts)}: {ratio:.2f} "
        f"{verdict(ratio <= RATIO_TARGET)} (target <= {RATIO_TARGET})"
    )
    lines.append(
        f"loading {size(large.posts)} posts (COPY, indexes, VACUUM ANALYZE): {large.load_s:.0f} s"
    )
    errors = small.sample.errors + large.sample.errors
    if errors:
        lines.append(f"WARNING: {errors} requests did not answer 200; figures cover the rest")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=at_least(10), default=SMALL)
    parser.add_argument("--large", type=at_least(10), default=LARGE)
    parser.add_argument("--requests", type=at_least(10), default=REQUESTS)
    parser.add_argument("--warmup", type=at_least(0), default=WARMUP)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    try:
        small, large = asyncio.run(run(args, postgres_server_url(scratch_dir())))
    except Exception:
        traceback.print_exc()
        print("feed: nothing measured (see the error above)")
        return 0
    print(report(small, large, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
