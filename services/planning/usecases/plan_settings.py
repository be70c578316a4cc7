"""The company's plan settings: approval on or off, and the deadline after which periods lock."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.tables import PlanSettings
from shared.db import SessionFactory, unit_of_work


async def settings(session: AsyncSession) -> PlanSettings:
    found = await session.get(PlanSettings, 1)
    if found is None:
        found = PlanSettings(id=1, approval_required=False, base_currency="PLN")
        session.add(found)
        await session.flush()
    return found


async def update_settings(sessions: SessionFactory, *, changes: dict[str, Any]) -> PlanSettings:
    """Change the settings given, keep the others."""
    async with unit_of_work(sessions) as session:
        found = await settings(session)
        for name, value in changes.items():
            setattr(found, name, value)
    return found
