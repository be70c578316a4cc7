"""Automatic posts, made from other services' events and knowledge's own: a deal won (with its
amount), a plan approved for a group, a request delivered, a new document (or version) in a
followed folder. Each kind can be switched off by the administrator. Written in the company's
language (`CRM_ADMIN_LOCALE`), like everything the CRM names itself."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import (
    EVERYONE,
    among,
    groups_of,
    principal,
    principals_of,
    team_ids_of,
)
from services.knowledge.domain.posts import AUTOMATIC_KINDS, escaped
from services.knowledge.feed_tables import FeedSetting, FolderFollow, Post, Record
from services.knowledge.tables import Folder, FolderAccess, Member
from services.knowledge.usecases.access import team_parents
from services.knowledge.usecases.audience import RecordRef
from services.knowledge.usecases.posts import NewPost, index_post, insert_post, record_link
from services.knowledge.usecases.posts import snapshot as post_snapshot
from services.knowledge.wording import day, money, said
from shared.auth import Identity
from shared.contracts.knowledge import PostDeleted, PostEdited
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


async def switches(session: AsyncSession) -> dict[str, bool]:
    """Every kind of automatic post, on unless the administrator switched it off."""
    rows = await session.execute(select(FeedSetting.kind, FeedSetting.enabled))
    chosen = dict(rows.all())
    return {kind: chosen.get(kind, True) for kind in AUTOMATIC_KINDS}


async def switch(
    sessions: SessionFactory, *, identity: Identity, chosen: dict[str, bool], now: datetime
) -> dict[str, bool]:
    """The administrator turns kinds of automatic posts on and off (the others stay)."""
    if identity.role != "admin":
        raise Forbidden("only the administrator switches automatic posts")
    async with unit_of_work(sessions) as session:
        for kind, enabled in chosen.items():
            setting = await session.get(FeedSetting, kind, with_for_update=True)
            if setting is None:
                setting = FeedSetting(kind=kind, changed_by=UUID(identity.user_id))
                session.add(setting)
            setting.enabled, setting.changed_by, setting.changed_at = (
                enabled,
                UUID(identity.user_id),
                now,
            )
        return await switches(session)


async def _on(session: AsyncSession, kind: str) -> bool:
    setting = await session.get(FeedSetting, kind)
    return setting is None or setting.enabled


async def _team_audience(session: AsyncSession, user_id: UUID) -> list[str]:
    """A person's group (the group's people and those above read it), or the person alone."""
    team = await session.scalar(select(Member.team_id).where(Member.id == user_id))
    return [principal("team", team)] if team else [principal("user", user_id)]


async def _name(session: AsyncSession, table: Any, id_: UUID | None) -> str | None:
    return await session.scalar(select(table.name).where(table.id == id_)) if id_ else None


async def post_deal_won(
    session: AsyncSession, *, deal: Any, locale: str, now: datetime
) -> Post | None:
    """Everyone hears of a deal won, with its amount; by its owner. The company's name comes
    with the event: its own topic may not have brought the company here yet."""
    if not await _on(session, "deal_won"):
        return None
    company = deal.company_name or await _name(session, Record, deal.company_id)
    title = f"[{escaped(deal.title)}](/deals/{deal.deal_id})"
    where = f" ({escaped(company)})" if company else ""
    if deal.amount is not None:
        amount = money(Decimal(deal.amount), deal.currency, locale)
        text = said(
            N_("Deal won: {deal}{company}, {amount}."),
            locale,
            deal=title,
            company=where,
            amount=amount,
        )
    else:
        text = said(N_("Deal won: {deal}{company}."), locale, deal=title, company=where)
    new = NewPost(
        author_id=deal.owner_id,
        kind="deal_won",
        text=text,
        audience=[EVERYONE],
        facts={"deal_id": str(deal.deal_id), "amount": str(deal.amount), "currency": deal.currency},
    )
    return await insert_post(session, new, now=now)


def _plan_text(facts: dict[str, Any], manager: str, locale: str) -> str:
    total = sum((Decimal(amount) for amount in facts["lines"].values()), Decimal(0))
    period = f"{day(datetime.fromisoformat(facts['start']).date(), locale)} – " + day(
        datetime.fromisoformat(facts["end"]).date(), locale
    )
    return said(
        N_("Plan approved: {manager}, {period}: {amount} in approved lines."),
        locale,
        manager=escaped(manager),
        period=period,
        amount=money(total, "PLN", locale),
    )


async def post_plan_reviewed(
    session: AsyncSession, *, line: Any, locale: str, now: datetime
) -> Post | None:
    """A manager's approved lines of a period make one post for their group, kept up to date
    as the head approves more lines (or takes an approval back)."""
    key = f"plan:{line.manager_id}:{line.period}:{line.start_date.isoformat()}"
    post = await session.scalar(select(Post).where(Post.automatic_key == key).with_for_update())
    approved = line.status == "approved"
    if post is None and (not approved or not await _on(session, "plan_approved")):
        return None
    facts: dict[str, Any] = dict(post.facts) if post else {}
    facts.update(start=str(line.start_date), end=str(line.end_date))
    lines: dict[str, str] = dict(facts.get("lines", {}))
    if approved:
        lines[str(line.line_id)] = str(line.amount)
    else:
        lines.pop(str(line.line_id), None)
    facts["lines"] = lines
    manager = await _name(session, Member, line.manager_id) or ""
    if post is None:
        new = NewPost(
            author_id=line.reviewer_id,
            kind="plan_approved",
            text=_plan_text(facts, manager, locale),
            audience=await _team_audience(session, line.manager_id),
            automatic_key=key,
            facts=facts,
        )
        return await insert_post(session, new, now=now)
    await _update_plan_post(session, post, facts, _plan_text(facts, manager, locale), line, now)
    return post


async def _update_plan_post(
    session: AsyncSession, post: Post, facts: dict[str, Any], text: str, line: Any, now: datetime
) -> None:
    post.facts, post.updated_at = facts, now
    if not facts["lines"]:  # nothing approved any more: the post goes, a later approval makes one
        post.deleted_at, post.deleted_by, post.automatic_key = now, line.reviewer_id, None
        event: Any = PostDeleted(
            post_id=post.id,
            author_id=post.author_id,
            deleted_by=line.reviewer_id,
            deleted_at=now,
            audience=list(post.audience),
            record=record_link(post),
        )
    else:
        post.text, post.edited_at = text, now
        await index_post(session, post)
        event = PostEdited(**await post_snapshot(session, post), edited_by=line.reviewer_id)
    await add_event(session, new_event(event, subject=post.id))


async def post_request_delivered(
    session: AsyncSession, *, request: Any, locale: str, now: datetime
) -> Post | None:
    """The requester and their group hear that a department delivered; on the deal's thread
    when the request was raised from a deal."""
    key = f"request:{request.request_id}"
    if not await _on(session, "request_delivered"):
        return None
    if await session.scalar(select(Post.id).where(Post.automatic_key == key)) is not None:
        return None
    link = f"[{escaped(request.service_name)}]({request.url})"
    deal = await session.get(Record, request.deal_id) if request.deal_id else None
    if deal is not None and deal.kind == "deal":
        text = said(
            N_("Request delivered: {service}, for {deal}."),
            locale,
            service=link,
            deal=escaped(deal.name),
        )
    else:
        text = said(N_("Request delivered: {service}."), locale, service=link)
    audience = {principal("user", request.requester_id)}
    audience |= set(await _team_audience(session, request.requester_id))
    new = NewPost(
        author_id=request.actor_id,
        kind="request_delivered",
        text=text,
        audience=sorted(audience),
        record=RecordRef("deal", deal.id) if deal is not None and deal.kind == "deal" else None,
        automatic_key=key,
        facts={"request_id": str(request.request_id)},
    )
    return await insert_post(session, new, now=now)


async def _followers_reading(session: AsyncSession, folder_id: UUID, but: UUID) -> list[UUID]:
    """Active followers of the folder who may read it, but the person who caused the post."""
    followers = set(
        await session.scalars(
            select(FolderFollow.user_id).where(FolderFollow.folder_id == folder_id)
        )
    )
    followers.discard(but)
    if not followers:
        return []
    readers = set(
        await session.scalars(
            select(FolderAccess.principal).where(FolderAccess.folder_id == folder_id)
        )
    )
    parents = await team_parents(session)
    members = await session.scalars(
        select(Member).where(Member.id.in_(followers), Member.active).order_by(Member.name)
    )
    chosen = []
    for member in members:
        teams = team_ids_of(member.role, str(member.team_id) if member.team_id else None, parents)
        mine = principals_of(
            user_id=str(member.id),
            groups=groups_of(teams, parents),
            department_id=str(member.department_id) if member.department_id else None,
        )
        if member.role == "admin" or among(mine, readers):
            chosen.append(member.id)
    return chosen


async def post_document_added(
    session: AsyncSession, *, document: Any, author: UUID, locale: str, now: datetime
) -> Post | None:
    """The folder's followers hear of a new document, or a new version of one, in it."""
    if document.folder_id is None or not await _on(session, "document_added"):
        return None
    readers = await _followers_reading(session, document.folder_id, author)
    if not readers:
        return None
    folder = escaped(await _name(session, Folder, document.folder_id) or "")
    link = f"[{escaped(document.title)}]({document.url})"
    if document.version == 1:
        text = said(
            N_("New document in {folder}: {document}."), locale, folder=folder, document=link
        )
    else:
        text = said(
            N_("New version {version} of {document} in {folder}."),
            locale,
            version=document.version,
            document=link,
            folder=folder,
        )
    new = NewPost(
        author_id=author,
        kind="document_added",
        text=text,
        audience=[principal("user", reader) for reader in readers],
        facts={"document_id": str(document.document_id), "version": document.version},
    )
    return await insert_post(session, new, now=now)
