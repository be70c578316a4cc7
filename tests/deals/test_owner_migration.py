"""Migration 0008: companies and contacts get their owner from whoever added them, and every
record is announced again so other services learn who owns it."""

import asyncio
from typing import Any
from uuid import uuid4

import asyncpg

from services.deals.app import SPEC
from shared.migrations import upgrade
from shared.postgres import async_url, asyncpg_dsn


async def test_owners_come_from_who_added_and_every_record_is_announced_again(
    new_database: Any,
) -> None:
    url = async_url(await new_database("deals_owners"))
    await asyncio.to_thread(upgrade, SPEC.migrations, url, "0007")
    anna, firm, pipeline, stage = uuid4(), uuid4(), uuid4(), uuid4()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO company (id, name, created_by) VALUES ($1, 'Anny', $2), ($3, 'Z pliku',"
            " 'import-tool')",
            firm,
            str(anna),
            uuid4(),
        )
        await connection.execute(
            "INSERT INTO pipeline (id, name, is_default) VALUES ($1, 'Sprzedaż', true)", pipeline
        )
        await connection.execute(
            "INSERT INTO stage VALUES ($1, $2, 'Nowa', 0, 10, 'open', '[]', false, false, false,"
            " false)",
            stage,
            pipeline,
        )
        await connection.execute(
            "INSERT INTO deal (id, title, company_id, owner_id, currency, pipeline_id, stage_id,"
            " probability, custom) VALUES ($1, 'Linia', $2, $3, 'PLN', $4, $5, 10, '{}')",
            uuid4(),
            firm,
            anna,
            pipeline,
            stage,
        )
        await connection.execute(
            "INSERT INTO contact (id, name, created_by, custom) VALUES ($1, 'Jan', $2, '{}')",
            uuid4(),
            str(anna),
        )
        await asyncio.to_thread(upgrade, SPEC.migrations, url)
        owners = await connection.fetch("SELECT name, owner_id FROM company ORDER BY name")
        contact_owner = await connection.fetchval("SELECT owner_id FROM contact")
        announced = await connection.fetch(
            "SELECT type, envelope->'data'->>'owner_id' AS owner FROM outbox ORDER BY type"
        )
    finally:
        await connection.close()

    assert [(row["name"], row["owner_id"]) for row in owners] == [("Anny", anna), ("Z pliku", None)]
    assert contact_owner == anna
    assert sorted((row["type"], row["owner"] or "") for row in announced) == [
        ("crm.company.updated.v1", ""),
        ("crm.company.updated.v1", str(anna)),
        ("crm.contact.updated.v1", str(anna)),
        ("crm.deal.updated.v1", str(anna)),
    ]
