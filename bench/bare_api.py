"""The baseline of `bench.http_api`: a bare FastAPI app on an asyncpg pool answering the deals
service's reads with the same JSON (same rows, same fields), as directly as possible.

No identity, no visibility (it answers as the administrator sees), no ORM, no models: SQL
straight from an asyncpg pool, rows turned into dicts and encoded once by pydantic-core (the
encoder that writes the services' answers, so dates, amounts and ids are spelled alike).
Run as `python -m bench.bare_api --port N --dsn postgresql://...` (uvicorn, uvloop, httptools).
"""

import argparse
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import pydantic_core
import uvicorn
from fastapi import FastAPI, Request, Response

DEAL_COLUMNS = """
    d.id, d.title, d.company_id, d.owner_id, d.amount, d.currency, d.expected_close_date,
    d.pipeline_id, d.stage_id, d.probability, d.source, d.custom, d.lost_reason,
    coalesce((SELECT array_agg(dc.contact_id ORDER BY dc.contact_id) FROM deal_contact AS dc
              WHERE dc.deal_id = d.id), '{}') AS contact_ids,
    d.created_at, d.updated_at, d.archived_at
"""
LIST = f"""
SELECT {DEAL_COLUMNS} FROM deal AS d WHERE d.archived_at IS NULL
ORDER BY d.created_at DESC, d.id DESC LIMIT $1
"""
ONE = f"SELECT {DEAL_COLUMNS} FROM deal AS d WHERE d.id = $1"
STAGES = """
SELECT p.name AS pipeline_name, s.id, s.name, s.position, s.probability, s.kind,
       s.required_fields, s.completed_activity, s.document, s.no_skipping, s.close_date_not_past,
       s.service_requirements
FROM pipeline AS p JOIN stage AS s ON s.pipeline_id = p.id
WHERE p.id = $1 ORDER BY s.position
"""
TALLIES = """
SELECT stage_id, currency, sum(count) AS count, sum(amount) AS amount FROM deal_tally
WHERE stage_id = ANY($1::uuid[]) GROUP BY stage_id, currency HAVING sum(count) > 0
ORDER BY stage_id, currency
"""
CARDS = f"""
SELECT s.id AS column_id, {DEAL_COLUMNS}, coalesce(c.name, '') AS company_name,
       m.name AS owner_name, a.id AS activity_id, a.kind AS activity_kind,
       a.title AS activity_title, a.starts_at AS activity_starts_at,
       a.recurring AS activity_recurring
FROM unnest($1::uuid[]) WITH ORDINALITY AS s (id, n)
CROSS JOIN LATERAL (
    SELECT * FROM deal WHERE deal.stage_id = s.id AND deal.archived_at IS NULL
    ORDER BY deal.created_at DESC, deal.id DESC LIMIT $2
) AS d
LEFT JOIN company AS c ON c.id = d.company_id
LEFT JOIN member AS m ON m.id = d.owner_id
LEFT JOIN LATERAL (
    SELECT * FROM deal_activity AS da WHERE da.deal_id = d.id AND da.status = 'scheduled'
    ORDER BY da.starts_at, da.id LIMIT 1
) AS a ON true
ORDER BY s.n, d.created_at DESC, d.id DESC
"""
DEAL_FIELDS = [
    "id",
    "title",
    "company_id",
    "owner_id",
    "amount",
    "currency",
    "expected_close_date",
    "pipeline_id",
    "stage_id",
    "probability",
    "source",
    "custom",
    "lost_reason",
    "contact_ids",
    "created_at",
    "updated_at",
    "archived_at",
]
STAGE_FIELDS = [
    "id",
    "name",
    "position",
    "probability",
    "kind",
    "required_fields",
    "completed_activity",
    "document",
    "no_skipping",
    "close_date_not_past",
    "service_requirements",
]


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(pydantic_core.to_json(content), status_code, media_type="application/json")


def _deal(row: asyncpg.Record) -> dict[str, Any]:
    return {name: row[name] for name in DEAL_FIELDS}


def _cursor(row: asyncpg.Record) -> str:
    key = json.dumps([row["created_at"].isoformat(), row["id"]], default=str)
    return base64.urlsafe_b64encode(key.encode()).decode()


async def _connected(connection: asyncpg.Connection) -> None:
    """JSON decoded as it arrives; ids as text, the cheapest for the encoder."""
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
    await connection.set_type_codec(
        "uuid", encoder=str, decoder=str, schema="pg_catalog", format="text"
    )


def create_bare_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, init=_connected)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/api/deals")
    async def deals(request: Request, limit: int = 50) -> Response:
        rows = await request.app.state.pool.fetch(LIST, limit + 1)
        more = len(rows) > limit
        items = [_deal(row) for row in rows[:limit]]
        return _json({"items": items, "next_cursor": _cursor(rows[limit - 1]) if more else None})

    @app.get("/api/deals/{deal_id}")
    async def deal(request: Request, deal_id: UUID) -> Response:
        row = await request.app.state.pool.fetchrow(ONE, deal_id)
        if row is None:
            return _json({"detail": "deal not found"}, 404)
        return _json(_deal(row))

    @app.get("/api/pipelines/{pipeline_id}/board")
    async def board(request: Request, pipeline_id: UUID, limit: int = 50) -> Response:
        async with request.app.state.pool.acquire() as connection:
            stages = await connection.fetch(STAGES, pipeline_id)
            if not stages:
                return _json({"detail": "pipeline not found"}, 404)
            ids = [stage["id"] for stage in stages]
            tallies = await connection.fetch(TALLIES, ids)
            cards = await connection.fetch(CARDS, ids, limit)
        columns: dict[str, dict[str, Any]] = {
            stage["id"]: {
                "stage": {name: stage[name] for name in STAGE_FIELDS},
                "count": 0,
                "totals": [],
                "deals": [],
            }
            for stage in stages
        }
        for tally in tallies:
            column = columns[tally["stage_id"]]
            column["count"] += tally["count"]
            column["totals"].append({"currency": tally["currency"], "amount": tally["amount"]})
        for card in cards:
            activity = None
            if card["activity_id"] is not None:
                activity = {
                    "id": card["activity_id"],
                    "kind": card["activity_kind"],
                    "title": card["activity_title"],
                    "starts_at": card["activity_starts_at"],
                    "recurring": card["activity_recurring"],
                }
            columns[card["column_id"]]["deals"].append(
                {
                    **_deal(card),
                    "company_name": card["company_name"],
                    "owner_name": card["owner_name"],
                    "next_activity": activity,
                }
            )
        return _json(
            {
                "pipeline_id": pipeline_id,
                "name": stages[0]["pipeline_name"],
                "columns": list(columns.values()),
            }
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_bare_app(args.dsn),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
