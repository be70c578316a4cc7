"""The desk's layout: each user's own, else the administrator's default for the role, else the
built-in one; shortcuts pinned by the user."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.domain.desk import (
    MAX_SHORTCUTS,
    Placed,
    built_in,
    cleaned,
    layout_problems,
    shortcut_problems,
)
from services.gateway.domain.people import ROLES
from services.gateway.tables import DeskDefault, DeskLayout
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid, NotFound
from shared.text import N_


@dataclass(frozen=True)
class Desk:
    """What a user's desk shows: the widgets, and whether they are the user's own arrangement."""

    widgets: list[Placed]
    own: bool
    shortcuts: list[dict[str, Any]]


async def role_default(session: AsyncSession, role: str) -> list[Placed]:
    """The administrator's desk for `role`, else the built-in one."""
    found = await session.get(DeskDefault, role)
    return cleaned(found.widgets, role) if found is not None else built_in(role)


async def desk_of(sessions: SessionFactory, *, user_id: UUID, role: str) -> Desk:
    """`user_id`'s desk as they arranged it, else their role's default."""
    async with sessions() as session:
        own = await session.get(DeskLayout, user_id)
        shortcuts = own.shortcuts if own is not None else []
        if own is not None and own.widgets is not None:
            return Desk(cleaned(own.widgets, role), True, shortcuts)
        return Desk(await role_default(session, role), False, shortcuts)


def _checked(widgets: list[Placed], role: str) -> list[dict[str, Any]]:
    if problems := layout_problems([(w.name, w.size) for w in widgets], role):
        raise Invalid(problems)
    return [widget.as_json() for widget in widgets]


async def save_layout(
    sessions: SessionFactory, *, user_id: UUID, role: str, widgets: list[Placed]
) -> list[Placed]:
    """Keep `widgets` as `user_id`'s own desk, in this order."""
    stored = _checked(widgets, role)
    async with unit_of_work(sessions) as session:
        await session.execute(
            insert(DeskLayout)
            .values(user_id=user_id, widgets=stored, shortcuts=[])
            .on_conflict_do_update(index_elements=[DeskLayout.user_id], set_={"widgets": stored})
        )
    return widgets


async def reset_layout(sessions: SessionFactory, *, user_id: UUID) -> None:
    """Forget `user_id`'s arrangement: their role's default shows again (shortcuts stay)."""
    async with unit_of_work(sessions) as session:
        own = await session.get(DeskLayout, user_id)
        if own is not None:
            own.widgets = None


async def set_role_default(
    sessions: SessionFactory, *, role: str, widgets: list[Placed]
) -> list[Placed]:
    """The administrator's desk for everyone of `role` who has not arranged their own."""
    if role not in ROLES:
        raise NotFound("role")
    stored = _checked(widgets, role)
    async with unit_of_work(sessions) as session:
        await session.execute(
            insert(DeskDefault)
            .values(role=role, widgets=stored)
            .on_conflict_do_update(index_elements=[DeskDefault.role], set_={"widgets": stored})
        )
    return widgets


async def pin_shortcut(
    sessions: SessionFactory, *, user_id: UUID, label: str, url: str
) -> dict[str, Any]:
    """Pin a page (or a list with its filters) to the user's shortcuts; a page pinned again
    keeps one shortcut, with the new name."""
    if problems := shortcut_problems(label, url):
        raise Invalid(problems)
    async with unit_of_work(sessions) as session:
        own = await _own_locked(session, user_id)
        kept = [s for s in own.shortcuts if s["url"] != url]
        if len(kept) >= MAX_SHORTCUTS:
            raise Invalid({"url": N_("unpin a shortcut first: 30 is the most")})
        shortcut = {"id": str(uuid4()), "label": label.strip(), "url": url}
        own.shortcuts = [*kept, shortcut]
    return shortcut


async def unpin_shortcut(sessions: SessionFactory, *, user_id: UUID, shortcut_id: str) -> None:
    async with unit_of_work(sessions) as session:
        own = await _own_locked(session, user_id)
        kept = [s for s in own.shortcuts if s["id"] != shortcut_id]
        if len(kept) == len(own.shortcuts):
            raise NotFound("shortcut")
        own.shortcuts = kept


async def _own_locked(session: AsyncSession, user_id: UUID) -> DeskLayout:
    """The user's desk row, made when missing, locked for the change."""
    await session.execute(
        insert(DeskLayout)
        .values(user_id=user_id, widgets=None, shortcuts=[])
        .on_conflict_do_nothing(index_elements=[DeskLayout.user_id])
    )
    own = await session.scalar(
        select(DeskLayout).where(DeskLayout.user_id == user_id).with_for_update()
    )
    assert own is not None
    return own
