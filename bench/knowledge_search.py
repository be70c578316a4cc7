"""Knowledge search: `GET /api/search`'s knowledge part against a bare `@@` on a GIN index.

One fresh knowledge database holds 10,000 documents of about 2,000 words each: Polish-like
text made of real inflected forms (Morfeusz 2 generates them from a few hundred lemmas of sales
language) drawn with a Zipf law, in ten folders, eight of which the searching manager may read.
Each document is indexed by the service's own code (lemmas, folded, weighted). The baseline is
a plain table holding the same vectors under a GIN index, asked `SELECT id ... WHERE tsv @@ q`
for the same lexemes over one asyncpg connection; the search is `GET /api/documents/search`
asked of the knowledge service as `crm serve` runs it (a process of its own: uvicorn, uvloop,
httptools) over one keep-alive connection: identity, access by folder, lemmatised query,
ranking, snippets with marks. Each path is a client of its server over a socket, with a client
as lean as the other (asyncpg's protocol; raw HTTP/1.1, `bench.load`'s). The same search
through the app in this process (httpx's ASGI transport, a test client) is timed too, for
reference. All run in turn, query by query, so they share any noise (the same match ranked in
SQL, for scale, runs in rounds of its own). Target: the served search's p95 within 2 x the
baseline's p95.
Also measured: text extraction (PDF, DOCX) and indexing, in pages per
second (a page: 1,800 characters, as Polish publishing counts them).
"""

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import NAMESPACE_URL, UUID, uuid5

import httpx
from sqlalchemy import text

from bench.deal_lists import at_least, drop_database, percentile, scratch_dir, verdict
from bench.http_api import python_process, serve_alone
from bench.load import Call, read_answer
from services.knowledge import language
from services.knowledge.app import create_app
from services.knowledge.domain.text import (
    Field,
    Vectors,
    anchor_buckets,
    document_vectors,
    pieces,
    query_words,
    tsquery,
)
from services.knowledge.extractors import STANDARD_PAGE, extract
from services.knowledge.settings import KnowledgeSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import TEST_SECRET, identity_headers, running
from shared.testing.postgres import fresh_database, postgres_server_url
from shared.testing.processes import free_port
from tests.knowledge.files import docx, pdf

DOCUMENTS = 10_000
WORDS = 2_000
FOLDERS = 10
READABLE = 8
RATIO_TARGET = 2.0
SEED = 20261201

LEMMAS = """
klient umowa oferta cena rabat dostawa faktura zamówienie produkt usługa towar magazyn termin
płatność gwarancja reklamacja zwrot serwis spotkanie rozmowa negocjacja kontrakt przetarg
zapytanie wycena kosztorys budżet przychód zysk koszt marża sprzedaż zakup handel rynek
konkurencja strategia plan cel wynik raport analiza prognoza kwartał miesiąc rok tydzień dzień
firma spółka zarząd dyrektor kierownik pracownik zespół dział oddział region miasto kraj
województwo Warszawa Kraków Łódź Wrocław Poznań Gdańsk Szczecin Lublin Katowice Białystok
regulamin procedura instrukcja zasada polityka przepis ustawa rozporządzenie norma standard
jakość bezpieczeństwo certyfikat licencja patent projekt wdrożenie szkolenie prezentacja
katalog cennik broszura ulotka materiał dokument załącznik aneks protokół notatka wniosek
decyzja zgoda podpis pieczęć kopia oryginał wersja zmiana poprawka uwaga pytanie odpowiedź
problem rozwiązanie propozycja warunek wymaganie specyfikacja parametr wymiar waga ilość sztuka
paleta kontener transport kurier przesyłka odbiór wysyłka adres telefon poczta komputer
drukarka oprogramowanie system aplikacja baza serwer sieć urządzenie maszyna narzędzie część
element materiał stal aluminium drewno papier tworzywo farba olej paliwo energia woda gaz prąd
ciepło klimatyzacja wentylacja instalacja budowa remont naprawa przegląd kontrola inspekcja
audyt ocena opinia rekomendacja referencja doświadczenie handlowy nowy stary duży mały ważny
pilny krajowy zagraniczny roczny miesięczny dobry szybki tani drogi prosty trudny pełny
częściowy dodatkowy podstawowy specjalny techniczny sprzedawać kupować zamawiać dostarczać
płacić negocjować podpisywać wysyłać odbierać sprawdzać zatwierdzać akceptować odrzucać
proponować przygotowywać omawiać ustalać
""".split()  # noqa: SIM905  (a word list reads best as text)


def _id(kind: str, number: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"bench-knowledge-search/{kind}/{number}")


MANAGER = Identity(user_id=str(_id("manager", 0)), role="manager", team_ids=[str(_id("team", 0))])


PSEUDO_WORDS = 20_000  # the long tail: names, codes, rare words
SYLLABLES = [
    "ka",
    "ko",
    "ki",
    "ku",
    "ra",
    "ro",
    "re",
    "ry",
    "ma",
    "mo",
    "mi",
    "na",
    "no",
    "ni",
    "ta",
    "to",
    "te",
    "ty",
    "wa",
    "wo",
    "we",
    "pa",
    "po",
    "pi",
    "sa",
    "so",
    "si",
    "la",
    "lo",
    "li",
    "da",
    "do",
    "de",
    "ga",
    "go",
    "ba",
    "bo",
    "be",
    "za",
    "zo",
    "cze",
    "sze",
    "rze",
    "prze",
    "dzi",
    "ście",
    "łu",
    "że",
    "ń",
]


def vocabulary() -> tuple[list[str], list[float]]:
    """Word forms with Zipf weights: every tenth rank (1, 11, 21, ...) a real lemma, its weight
    shared by its inflected forms; the ranks between, pseudo-words (unknown to the dictionary,
    indexed as written), as the long tail of a real text's vocabulary."""
    rng = random.Random(SEED + 2)
    pseudo: list[str] = []
    seen: set[str] = set()
    while len(pseudo) < PSEUDO_WORDS:
        word = "".join(rng.choices(SYLLABLES, k=rng.choice((2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            pseudo.append(word)
    forms: list[str] = []
    weights: list[float] = []
    lemmas, tail = iter(LEMMAS), iter(pseudo)
    for rank in range(1, len(LEMMAS) * 10 + PSEUDO_WORDS):
        lemma = next(lemmas, None) if rank % 10 == 1 else None
        if lemma is None:
            word = next(tail, "")
            if not word:
                break
            forms.append(word)
            weights.append(1.0 / rank)
            continue
        generated = sorted({form for form, *_ in language._generator().generate(lemma)})
        generated = [form for form in generated if not form.startswith("nie")][:12] or [lemma]
        forms += generated
        weights += [1.0 / rank / len(generated)] * len(generated)
    return forms, weights


def documents(count: int, words: int) -> list[dict[str, Any]]:
    forms, weights = vocabulary()
    rng = random.Random(SEED)
    made = []
    for number in range(count):
        body = rng.choices(forms, weights, k=words)
        sentences = [" ".join(body[i : i + 12]).capitalize() + "." for i in range(0, words, 12)]
        made.append(
            {
                "id": _id("document", number),
                "title": " ".join(rng.choices(forms, weights, k=5)).capitalize(),
                "tags": rng.sample(LEMMAS[:60], 2),
                "text": " ".join(sentences),
                "folder": number % FOLDERS,
            }
        )
    return made


def index(document: dict[str, Any]) -> Vectors:
    fields = [
        Field(document["title"], "A"),
        Field(" ".join(document["tags"]), "A"),
        Field(document["text"], "D"),
    ]
    return document_vectors(fields, language.lexemes)


async def load(url: str, corpus: list[dict[str, Any]]) -> tuple[float, float, int]:
    """Index and insert the corpus; (indexing seconds, loading seconds, standard pages)."""
    import asyncpg

    started = time.perf_counter()
    vectors = [index(document) for document in corpus]
    indexing = time.perf_counter() - started
    pages = sum(len(d["text"]) for d in corpus) // STANDARD_PAGE
    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await _load_rows(connection, corpus, vectors)
    finally:
        await connection.close()
    return indexing, time.perf_counter() - started, pages


async def _load_rows(connection: Any, corpus: list[dict[str, Any]], vectors: list[Vectors]) -> None:
    now = datetime.now(UTC)
    folders = [(_id("folder", f), f"Folder {f}", _id("admin", 0), now) for f in range(FOLDERS)]
    await connection.executemany(
        "INSERT INTO folder (id, name, created_by, created_at) VALUES ($1, $2, $3, $4)", folders
    )
    access = [
        (_id("folder", f), f"team:{_id('team', 0)}" if f < READABLE else "user:nobody", False)
        for f in range(FOLDERS)
    ]
    await connection.executemany(
        "INSERT INTO folder_access (folder_id, principal, may_edit) VALUES ($1, $2, $3)", access
    )
    rows, texts, found, anchors = [], [], [], []
    for number, (document, vector) in enumerate(zip(corpus, vectors, strict=True)):
        sha = hashlib.sha256(document["id"].bytes).hexdigest()
        at = now - timedelta(minutes=number)
        rows.append(
            (
                document["id"],
                _id("folder", document["folder"]),
                document["title"],
                document["tags"],
                _id("admin", 0),
                sha,
                at,
            )
        )
        found.append(
            (document["id"], _id("folder", document["folder"]), at, vector.full, vector.summary)
        )
        anchors += [
            (document["id"], bucket, json.dumps(part))
            for bucket, part in anchor_buckets(vector.anchors).items()
        ]
        texts.append((sha, document["text"], len(document["text"]) // STANDARD_PAGE + 1, now))
    await connection.executemany(
        """INSERT INTO document (id, folder_id, kind, title, description, tags, owner_id, version,
               sha256, size, media_type, file_name, language, must_read, created_at,
               updated_at)
           VALUES ($1, $2, 'file', $3, '', $4, $5, 1, $6, 0, 'application/pdf', 'd.pdf', 'pl',
               '{}', $7, $7)""",
        rows,
    )
    await connection.executemany(
        """INSERT INTO document_search (document_id, folder_id, owner_id, updated_at, search,
               summary, anchored)
           VALUES ($1, $2, $6, $3, $4::tsvector, $5::tsvector, true)""",
        [(*row, _id("admin", 0)) for row in found],
    )
    await connection.executemany(
        "INSERT INTO document_anchors (document_id, bucket, anchors) VALUES ($1, $2, $3::jsonb)",
        anchors,
    )
    await connection.executemany(
        """INSERT INTO extraction (sha256, media_type, status, attempts, run_after, text, pages,
               finished_at)
           VALUES ($1, 'application/pdf', 'done', 1, $4, $2, $3, $4)""",
        texts,
    )
    await connection.executemany(
        "INSERT INTO text_piece (sha256, number, text) VALUES ($1, $2, $3)",
        [(sha, n, piece) for sha, text, *_ in texts for n, piece in enumerate(pieces(text))],
    )
    await connection.execute("CREATE TABLE bench_plain (id uuid PRIMARY KEY, tsv tsvector)")
    await connection.execute(
        "INSERT INTO bench_plain SELECT document_id, search FROM document_search"
    )
    await connection.execute("CREATE INDEX ON bench_plain USING gin (tsv)")
    await connection.execute("VACUUM ANALYZE")


def queries(count: int, lemmas: slice = slice(50, None)) -> list[str]:
    """Searches as people type them: one or two words, inflected, often without diacritics
    (by default forms of the 50th lemma on: each in 8-34 % of the documents; the first 50
    are in 32-100 %)."""
    rng = random.Random(SEED + 1)
    generator = language._generator()
    made = []
    for _ in range(count):
        lemmas_asked = rng.sample(LEMMAS[lemmas], rng.choice((1, 1, 2)))
        words = [
            rng.choice([form for form, *_ in generator.generate(lemma)] or [lemma])
            for lemma in lemmas_asked
        ]
        typed = " ".join(words)
        if rng.random() < 0.5:
            typed = typed.translate(str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ"))
        made.append(typed)
    return made


BARE = "bare @@ on GIN (baseline)"
RANKED = "@@ + ts_rank, top 20 (SQL only)"
SEARCH = "GET /api/documents/search"
IN_PROCESS = "the same, in process (reference)"
SEARCH_PATH = "/api/documents/search"
HOST = "127.0.0.1"


BARE_SQL = "SELECT id FROM bench_plain WHERE tsv @@ $1::tsquery"
RANKED_SQL = f"{BARE_SQL} ORDER BY ts_rank(tsv, $1::tsquery) DESC LIMIT 20"


async def compare(
    app: Any, dsn: str, port: int, searches: list[str], rounds: int
) -> dict[str, list[float]]:
    """Each search three ways, in turn: the bare match (one statement on its own connection),
    the served endpoint, and the app in this process; then, in rounds of its own, the same
    match ranked in SQL (for scale only: a statement that reads every match's whole vector,
    run between the others, slowed the one after it by what it left in the processor's
    caches)."""
    import asyncpg

    samples: dict[str, list[float]] = {BARE: [], SEARCH: [], IN_PROCESS: [], RANKED: []}
    asked = [(typed, tsquery(query_words(typed, language.query_lexemes))) for typed in searches]
    headers = identity_headers(MANAGER)
    requests = {
        typed: Call("GET", f"{SEARCH_PATH}?{urlencode({'q': typed})}", headers).encoded(HOST)
        for typed, _ in asked
    }
    connection = await asyncpg.connect(dsn)
    reader, writer = await asyncio.open_connection(HOST, port)
    transport = httpx.ASGITransport(app=app)

    async def served(typed: str) -> int:
        writer.write(requests[typed])
        return await read_answer(reader)

    async def timed(name: str, work: Any, warm: bool) -> Any:
        started = time.perf_counter()
        result = await work
        if not warm:  # the first round warms the caches up
            samples[name].append((time.perf_counter() - started) * 1000)
        return result

    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://knowledge") as client:
            client.headers.update(headers)
            for round_ in range(rounds + 1):
                for typed, lexemes in asked:
                    await timed(BARE, connection.fetch(BARE_SQL, lexemes), not round_)
                    status = await timed(SEARCH, served(typed), not round_)
                    assert status == 200, f"{typed!r}: {status}"
                    get = client.get(SEARCH_PATH, params={"q": typed})
                    answer = await timed(IN_PROCESS, get, not round_)
                    assert answer.status_code == 200, answer.text
            for round_ in range(rounds + 1):
                for _, lexemes in asked:
                    await timed(RANKED, connection.fetch(RANKED_SQL, lexemes), not round_)
    finally:
        writer.close()
        await connection.close()
    return samples


def serve(database: str, port: int) -> None:
    """The knowledge service alone, as `crm serve knowledge` runs it (an in-process bus)."""
    bus = InProcessBus()
    settings = KnowledgeSettings(
        database_url=database, identity_secret=TEST_SECRET, kafka_bootstrap_servers=None
    )
    serve_alone(create_app(settings, bus), bus, port)


def extraction_rate(corpus: list[dict[str, Any]], files: int) -> dict[str, float]:
    """Pages per second read out of generated PDFs (5 pages) and DOCX files."""
    made = {
        "application/pdf": [
            pdf(*[[d["text"][i : i + 90] for i in range(0, 1800, 90)] for _ in range(5)])
            for d in corpus[:files]
        ],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [
            docx(*[d["text"][i : i + 1800] for i in range(0, len(d["text"]), 1800)])
            for d in corpus[:files]
        ],
    }
    rates = {}
    for media_type, contents in made.items():
        started, pages = time.perf_counter(), 0
        for content in contents:
            found_text, found_pages = extract(io.BytesIO(content), media_type)
            pages += (
                found_pages if media_type == "application/pdf" else len(found_text) // STANDARD_PAGE
            )
        rates[media_type.rsplit(".", 1)[-1].rsplit("/", 1)[-1]] = pages / (
            time.perf_counter() - started
        )
    return rates


async def run(args: argparse.Namespace, server_url: str) -> None:
    started = time.perf_counter()
    corpus = documents(args.documents, args.words)
    print(
        f"made {len(corpus):,} documents of {args.words:,} words in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    url = await fresh_database(server_url, "knowledge_search")
    settings = KnowledgeSettings(
        database_url=url, identity_secret=TEST_SECRET, kafka_bootstrap_servers=None
    )
    app = create_app(settings, InProcessBus())
    try:
        async with running(app):
            indexing, loading, pages = await load(url, corpus)
            print(
                f"indexed {pages:,} pages in {indexing:.1f} s: {pages / indexing:,.0f} pages/s; loaded in {loading:.1f} s",
                flush=True,
            )
            rates = extraction_rate(corpus, args.files)
            port = free_port()
            command = ["-m", "bench.knowledge_search", "--serve", url, "--port", str(port)]
            log = Path(tempfile.mkdtemp(prefix="crm-bench-")) / "knowledge.log"
            with python_process(command, log, f"http://{HOST}:{port}", dict(os.environ)):
                samples = await compare(
                    app, asyncpg_dsn(url), port, queries(args.queries, args.lemmas), args.rounds
                )
            async with app.state.engine.connect() as connection:
                size = (
                    await connection.execute(
                        text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                    )
                ).scalar()
    finally:
        await drop_database(server_url, url)
    print(report(samples, pages, indexing, rates, size))


def report(
    samples: dict[str, list[float]], pages: int, indexing: float, rates: dict[str, float], size: str
) -> str:
    base = samples[BARE]
    lines = [
        f"\nKnowledge search: {len(base)} searches per path (ms)",
        f"{'path':<34}{'p50':>8}{'p95':>8}{'p99':>8}",
    ]
    for name, values in samples.items():
        lines.append(
            f"{name:<34}{percentile(values, 50):>8.1f}{percentile(values, 95):>8.1f}{percentile(values, 99):>8.1f}"
        )
    ratio = percentile(samples[SEARCH], 95) / percentile(base, 95)
    ranked = percentile(samples[SEARCH], 95) / percentile(samples[RANKED], 95)
    lines.append(
        f"p95 ratio search/bare: {ratio:.2f} {verdict(ratio <= RATIO_TARGET)} (target <= {RATIO_TARGET})"
    )
    inside = percentile(samples[IN_PROCESS], 95) / percentile(base, 95)
    lines.append(f"p95 ratio in process/bare: {inside:.2f} (reference: a test client's cost in it)")
    lines.append(f"p95 ratio search/ranked SQL: {ranked:.2f} (for scale only)")
    lines.append(f"indexing (lemmas, vectors): {pages / indexing:,.0f} pages/s")
    for kind, rate in rates.items():
        lines.append(f"extraction {kind}: {rate:,.0f} pages/s")
    lines.append(f"database size: {size}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=at_least(10), default=DOCUMENTS)
    parser.add_argument("--words", type=at_least(10), default=WORDS)
    parser.add_argument("--queries", type=at_least(2), default=50, help="distinct searches")
    parser.add_argument("--rounds", type=at_least(1), default=4, help="timed rounds over them")
    parser.add_argument("--files", type=at_least(1), default=40, help="files per type to extract")
    parser.add_argument(
        "--lemmas",
        type=_lemma_range,
        default=slice(50, None),
        metavar="FIRST:END",
        help="the lemmas searches are made of, by rank (default 50: the 50th on; 0:50 the commonest)",
    )
    parser.add_argument("--serve", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _lemma_range(text: str) -> slice:
    first, _, end = text.partition(":")
    try:
        chosen = slice(int(first or 0), int(end) if end else None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not FIRST:END (e.g. 0:50)") from None
    if not LEMMAS[chosen]:
        raise argparse.ArgumentTypeError(f"no lemma in {text!r} (there are {len(LEMMAS)})")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    try:
        asyncio.run(run(args, postgres_server_url(scratch_dir())))
    except Exception:
        traceback.print_exc()
        print("knowledge_search: nothing measured (see the error above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
