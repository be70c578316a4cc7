"""Outcome types: the built-in ones (named in each reader's language unless the administrator
renamed them) and the administrator's own."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.schemas import OutcomeTypeOut
from services.calendar.tables import OutcomeType
from services.calendar.usecases.activities import BUILTIN_OUTCOMES
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Invalid, NotFound
from shared.text import N_


async def offered(session: AsyncSession) -> list[OutcomeTypeOut]:
    """The types a report may choose: the built-in ones first, then the administrator's."""
    rows = await session.scalars(
        select(OutcomeType).where(OutcomeType.active).order_by(OutcomeType.created_at)
    )
    kept = {row.code: row for row in rows}
    builtin = [
        OutcomeTypeOut(code=code, label=kept[code].label if code in kept else None, builtin=True)
        for code in BUILTIN_OUTCOMES
    ]
    own = [
        OutcomeTypeOut(code=row.code, label=row.label, builtin=False)
        for row in kept.values()
        if row.code not in BUILTIN_OUTCOMES
    ]
    return builtin + own


async def add(sessions: SessionFactory, *, code: str, label: str) -> OutcomeTypeOut:
    """A type of the administrator's; a retired one with the same code comes back."""
    if code in BUILTIN_OUTCOMES:
        raise Conflict({"code": N_("this outcome type exists already")})
    values = {"label": label, "active": True}
    async with unit_of_work(sessions) as session:
        existing = await session.get(OutcomeType, code)
        if existing is not None and existing.active:
            raise Conflict({"code": N_("this outcome type exists already")})
        await session.execute(
            insert(OutcomeType)
            .values(code=code, **values)
            .on_conflict_do_update(index_elements=[OutcomeType.code], set_=values)
        )
    return OutcomeTypeOut(code=code, label=label, builtin=False)


async def rename(sessions: SessionFactory, *, code: str, label: str) -> OutcomeTypeOut:
    """Call a type by another name; a built-in one then reads the same in every language."""
    builtin = code in BUILTIN_OUTCOMES
    async with unit_of_work(sessions) as session:
        found = await session.get(OutcomeType, code, with_for_update=True)
        if not builtin and (found is None or not found.active):
            raise NotFound("outcome type")
        if found is None:
            session.add(OutcomeType(code=code, label=label, active=True))
        else:
            found.label = label
    return OutcomeTypeOut(code=code, label=label, builtin=builtin)


async def retire(sessions: SessionFactory, *, code: str) -> None:
    """Offered no more; reports that used it keep it. The built-in types stay."""
    if code in BUILTIN_OUTCOMES:
        raise Invalid({"code": N_("a built-in outcome type cannot be retired")}, where="path")
    async with unit_of_work(sessions) as session:
        found = await session.get(OutcomeType, code, with_for_update=True)
        if found is None or not found.active:
            raise NotFound("outcome type")
        found.active = False
