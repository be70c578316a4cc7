"""The company's plan settings: approval on or off, and the deadline after which periods lock."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.tables import PlanSettings
from shared.db import SessionFactory, unit_of_work

# What the settings are before anyone changes them (the row is made with these on first use).
DEFAULTS: dict[str, Any] = {"approval_required": False, "base_currency": "PLN"}


async def settings(session: AsyncSession) -> PlanSettings:
    """The settings' one row, made with the defaults on first use (by one of many callers)."""
    found = await session.get(PlanSettings, 1)
    if found is None:
        defaults = {"id": 1, **DEFAULTS}
        await session.execute(insert(PlanSettings).values(**defaults).on_conflict_do_nothing())
        found = await session.get(PlanSettings, 1)
        assert found is not None
    return found


async def update_settings(sessions: SessionFactory, *, changes: dict[str, Any]) -> PlanSettings:
    """Change the settings given, keep the others."""
    async with unit_of_work(sessions) as session:
        found = await settings(session)
        for name, value in changes.items():
            setattr(found, name, value)
    return found
