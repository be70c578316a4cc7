"""The first start creates the company and one administrator, even with replicas racing."""

import asyncio
from typing import Any

from sqlalchemy import func, select

from services.gateway.app import SPEC
from services.gateway.tables import Team, User
from services.gateway.usecases.people import ensure_company_and_admin
from shared.db import new_engine, new_session_factory
from shared.migrations import upgrade_async
from shared.postgres import async_url


async def test_replicas_starting_together_make_one_company_and_one_administrator(
    new_database: Any,
) -> None:
    url = async_url(await new_database("gateway"))
    await upgrade_async(SPEC.migrations, url)
    engine = new_engine(url)
    sessions = new_session_factory(engine)

    results = await asyncio.gather(
        *(ensure_company_and_admin(sessions, email=None, password=None) for _ in range(4))
    )

    async with sessions() as session:
        roots = await session.scalar(select(func.count()).where(Team.parent_id.is_(None)))
        admins = await session.scalar(select(func.count()).select_from(User))
    await engine.dispose()
    assert (roots, admins) == (1, 1)
    assert sum(result is not None for result in results) == 1  # the password is shown once


async def test_the_company_is_named_in_the_first_administrators_language(
    new_database: Any,
) -> None:
    names = {}
    for locale in ("pl", "en"):
        url = async_url(await new_database(f"gateway_{locale}"))
        await upgrade_async(SPEC.migrations, url)
        engine = new_engine(url)
        await ensure_company_and_admin(
            new_session_factory(engine), email=None, password=None, locale=locale
        )
        async with new_session_factory(engine)() as session:
            names[locale] = await session.scalar(select(Team.name).where(Team.parent_id.is_(None)))
        await engine.dispose()

    assert names == {"pl": "Firma", "en": "Company"}
