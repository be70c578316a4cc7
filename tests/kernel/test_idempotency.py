"""Idempotency keys: a keyed write is made once, however often and however concurrently it is
sent; a repeat is answered as the first attempt was; a key is never taken for another request."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared import idempotency
from shared.bus import InProcessBus
from shared.db import new_engine, new_session_factory
from shared.idempotency import KEY_HEADER, STATUS_HEADER, Keyed, body_digest, claim
from shared.postgres import async_url, asyncpg_dsn
from shared.sweeps import EXPIRED_KEYS, sweep
from shared.testing.apps import identity_headers, running


@pytest.fixture
async def deals(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, str]]:
    """The deals service (any service would do: they share the kernel), its app and database."""
    url = await service_database("deals")
    app = create_app(DealsSettings(**settings_for(url)), bus)
    async with running(app) as client:
        client.headers.update(identity_headers())
        yield app, client, url


async def _count(url: str, sql: str, *args: object) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await connection.fetchval(sql, *args))
    finally:
        await connection.close()


async def test_a_write_repeated_with_its_key_is_made_once_and_answered_the_same(
    deals: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, url = deals
    key = {KEY_HEADER: str(uuid4())}
    first = await client.post("/api/companies", json={"name": "Raz sp. z o.o."}, headers=key)
    again = await client.post("/api/companies", json={"name": "Raz sp. z o.o."}, headers=key)

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers[STATUS_HEADER] == "replayed"
    assert STATUS_HEADER not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await _count(url, "SELECT count(*) FROM company WHERE name = $1", "Raz sp. z o.o.") == 1
    # A read is never keyed: nothing is recorded for it.
    assert (await client.get("/api/companies", headers={KEY_HEADER: "a-read"})).status_code == 200
    assert await _count(url, "SELECT count(*) FROM idempotency_key WHERE key = 'a-read'") == 0


async def test_concurrent_attempts_with_one_key_make_one_write(
    deals: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, url = deals
    key = {KEY_HEADER: str(uuid4())}
    answers = await asyncio.gather(
        *(client.post("/api/companies", json={"name": "Naraz S.A."}, headers=key) for _ in range(8))
    )

    made = [a for a in answers if a.status_code == 201 and STATUS_HEADER not in a.headers]
    others = {(a.status_code, a.headers.get(STATUS_HEADER)) for a in answers if a not in made}
    assert len(made) == 1, [a.text for a in answers]
    assert others <= {(201, "replayed"), (409, "in-progress")}
    assert all(a.json()["id"] == made[0].json()["id"] for a in answers if a.status_code == 201)
    assert await _count(url, "SELECT count(*) FROM company WHERE name = 'Naraz S.A.'") == 1


async def test_a_key_sent_with_another_request_is_refused_naming_the_header(
    deals: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, url = deals
    key = {KEY_HEADER: str(uuid4())}
    assert (await client.post("/api/companies", json={"name": "A"}, headers=key)).status_code == 201

    other_body = await client.post("/api/companies", json={"name": "B"}, headers=key)
    other_path = await client.post("/api/companies?again=1", json={"name": "A"}, headers=key)
    malformed = await client.post(
        "/api/companies", json={"name": "C"}, headers={KEY_HEADER: "x" * 300}
    )

    for refused in (other_body, other_path, malformed):
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["loc"] == ["header", KEY_HEADER]
    assert "another request" in other_body.json()["detail"][0]["msg"]
    assert await _count(url, "SELECT count(*) FROM company WHERE name IN ('B', 'C')") == 0


def test_a_multipart_body_is_fingerprinted_without_its_boundary_however_it_is_cut() -> None:
    def form(boundary: bytes, content: bytes) -> bytes:
        return (
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
            + content
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )

    def fingerprint(body: bytes, boundary: bytes, cut: int) -> str:
        digest = body_digest(b'multipart/form-data; boundary="' + boundary + b'"')
        for start in range(0, len(body), cut):
            digest.update(body[start : start + cut])
        return str(digest.hexdigest())

    first = form(b"a1b2c3d4", b"nazwa;kwota\r\nUmowa;100")
    again = form(b"ffee0099", b"nazwa;kwota\r\nUmowa;100")
    other = form(b"ffee0099", b"nazwa;kwota\r\nUmowa;200")

    prints = {fingerprint(first, b"a1b2c3d4", cut) for cut in (1, 3, 7, 1000)}
    assert prints == {fingerprint(again, b"ffee0099", cut) for cut in (1, 5, 1000)}
    assert len(prints) == 1
    assert fingerprint(other, b"ffee0099", 1000) not in prints
    assert body_digest(b"application/json").hexdigest() == hashlib.sha256().hexdigest()


async def test_a_form_sent_again_with_a_new_boundary_is_the_same_request(
    deals: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, url = deals
    key = {KEY_HEADER: str(uuid4())}

    def attempt(rows: str) -> Any:
        # httpx draws a new boundary for every request, as browsers and most clients do.
        return client.post(
            "/api/imports",
            data={"record_type": "company"},
            files={"file": ("firmy.csv", rows.encode(), "text/csv")},
            params={"wait": "true"},
            headers=key,
        )

    first = await attempt("nazwa\nKlucz sp. z o.o.\n")
    again = await attempt("nazwa\nKlucz sp. z o.o.\n")
    another = await attempt("nazwa\nInna sp. z o.o.\n")

    assert first.status_code == again.status_code == 201, again.text
    assert again.headers[STATUS_HEADER] == "replayed" and again.json() == first.json()
    assert another.status_code == 422 and KEY_HEADER in another.text
    assert await _count(url, "SELECT count(*) FROM company WHERE name = 'Klucz sp. z o.o.'") == 1


async def test_an_attempt_stopped_in_its_transaction_holds_the_key_only_briefly(
    deals: tuple[FastAPI, httpx.AsyncClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica stopped (SIGSTOP) between its key and its commit: a repeat meanwhile is told
    the write is being made, and PostgreSQL soon ends the stopped transaction, so the repeat is
    then made, once."""
    app, client, url = deals
    monkeypatch.setattr(idempotency, "HOLD_SECONDS", 2)
    # The app's first write warms its connections and caches up before the hold starts: on a
    # slow machine that took longer than the hold, and the repeat came after the transaction
    # had already been ended.
    warm = await client.post("/api/companies", json={"name": "Rozgrzewka"})
    assert warm.status_code == 201, warm.text
    key = str(uuid4())
    body = {"name": "Wstrzymana sp. z o.o."}
    headers = identity_headers()
    stopped = Keyed(
        key=key,
        identity=headers["X-CRM-Identity"],
        method="POST",
        target="/api/companies?",
        app=app,
        keep_seconds=3600,
        body_read=True,
    )
    engine = new_engine(async_url(url), pool_size=1)
    try:
        session = new_session_factory(engine)()
        await session.begin()
        await claim(stopped, session)  # ... and nothing more: the process stopped here

        meanwhile = await client.post("/api/companies", json=body, headers={KEY_HEADER: key})
        assert meanwhile.status_code == 409
        assert meanwhile.headers[STATUS_HEADER] == "in-progress"
        assert meanwhile.headers["Retry-After"] == "1"

        await asyncio.sleep(2.5)
        made = await client.post("/api/companies", json=body, headers={KEY_HEADER: key})
        assert made.status_code == 201, made.text
        with pytest.raises(DBAPIError):  # the stopped transaction was ended: it commits nothing
            await session.commit()
    finally:
        await engine.dispose()
    assert await _count(url, "SELECT count(*) FROM company WHERE name = $1", body["name"]) == 1


async def test_a_made_write_without_its_answer_is_told_so_and_keys_expire(
    deals: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    app, client, url = deals
    key = str(uuid4())
    body = {"name": "Bez odpowiedzi"}
    assert (
        await client.post("/api/companies", json=body, headers={KEY_HEADER: key})
    ).status_code == 201
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        # The process died between the commit and recording its answer, a minute ago.
        await connection.execute(
            "UPDATE idempotency_key SET status = NULL, created_at = now() - interval '1 minute'"
        )
        lost = await client.post("/api/companies", json=body, headers={KEY_HEADER: key})
        assert lost.status_code == 409
        assert lost.headers[STATUS_HEADER] == "answer-lost"
        assert "look the record up" in lost.json()["detail"]

        # Past its time a key is new again, and swept.
        await connection.execute(
            "UPDATE idempotency_key SET created_at = now() - interval '2 days'"
        )
        anew = await client.post("/api/companies", json=body, headers={KEY_HEADER: key})
        assert anew.status_code == 201 and STATUS_HEADER not in anew.headers
        await connection.execute(
            "INSERT INTO idempotency_key (caller, key, fingerprint, attempt,"
            " created_at) VALUES ('x', 'old', '', gen_random_uuid(),"
            " now() - interval '2 days')"
        )
        assert await sweep(app.state.reads, EXPIRED_KEYS, 24 * 3600) == 1
        assert await connection.fetchval("SELECT count(*) FROM idempotency_key") == 1
    finally:
        await connection.close()
    assert await _count(url, "SELECT count(*) FROM company WHERE name = $1", body["name"]) == 2
