"""`/api/deals`: deals, moved through stages only when the stage's requirements are met."""

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import Text, cast, select

from services.deals.domain.requirements import Unmet
from services.deals.schemas import (
    BulkMove,
    DealCreate,
    DealFilters,
    DealPublic,
    DealUpdate,
    DocumentLink,
    DocumentPublic,
    HandedOver,
    HandOver,
    Requirement,
    RequirementsAnswer,
    Sort,
    TimelineItem,
)
from services.deals.tables import DealDocument, Member, TimelineEntry
from services.deals.usecases import archiving, deal_reads, hand_over
from services.deals.usecases import deals as usecases
from services.deals.usecases.deal_rules import RequirementsUnmet
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions
from shared.i18n import translate
from shared.pagination import Cursor, Limit, Page
from shared.reads import Reads, json_answer

router = APIRouter(prefix="/api/deals", tags=["deals"])


def _today() -> date:
    return datetime.now(UTC).date()


def _requirement(unmet: Unmet, locale: str) -> Requirement:
    return Requirement(code=unmet.code, field=unmet.field, message=said(unmet, locale))


def said(unmet: Unmet, locale: str) -> str:
    """An unmet requirement in `locale`, with what it names filled in."""
    message = translate(unmet.message, locale)
    return message % dict(unmet.params) if unmet.params else message


def refused(refusal: RequirementsUnmet, identity: Identity) -> HTTPException:
    """422 naming every unmet requirement, in the caller's language."""
    detail = [
        {
            "loc": [
                "body",
                *([] if deal_id is None else ["deal_ids", str(deal_id)]),
                unmet.field or "stage_id",
            ],
            "msg": said(unmet, identity.locale),
            "type": unmet.code,
        }
        for deal_id, unmets in refusal.unmet.items()
        for unmet in unmets
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _answer(deals: list[dict[str, Any]]) -> Response:
    return json_answer(deals[0])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DealPublic)
async def create_deal(
    body: DealCreate, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    try:
        deal = await usecases.create_deal(sessions, identity=identity, deal=body, today=_today())
    except RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    created = await deal_reads.deals_public(reads, [deal.id])
    return json_answer(created[0], status.HTTP_201_CREATED)


@router.get("", response_model=Page[DealPublic])
async def list_deals(
    reads: Reads,
    identity: CurrentIdentity,
    filters: Annotated[DealFilters, Query()],
    sort: Sort = "-created_at",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Newest first unless `sort` says otherwise; every filter optional; only visible deals."""
    page = await deal_reads.deal_page(
        reads, identity, filters, sort=sort, limit=limit, cursor=cursor
    )
    return json_answer(page)


@router.post("/bulk-move", response_model=list[DealPublic])
async def bulk_move(
    body: BulkMove, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    """Move several deals; if any of them may not enter the stage, none moves."""
    try:
        moved = await usecases.bulk_move(
            sessions,
            identity=identity,
            deal_ids=body.deal_ids,
            stage_id=body.stage_id,
            today=_today(),
        )
    except RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    return json_answer(await deal_reads.deals_public(reads, [deal.id for deal in moved]))


@router.post("/hand-over", response_model=HandedOver)
async def hand_over_all(
    body: HandOver, sessions: Sessions, identity: CurrentIdentity
) -> HandedOver:
    """Give a person's open deals (and, unless `customers` is false, their companies and contacts)
    to a colleague: the administrator between anyone active, a head within the group. Won and
    lost deals stay with whoever closed them; archived records stay as they are."""
    handed = await hand_over.hand_over(
        sessions,
        identity=identity,
        from_owner_id=body.from_owner_id,
        to_owner_id=body.to_owner_id,
        customers=body.customers,
        today=_today(),
    )
    return HandedOver(deals=handed.deals, companies=handed.companies, contacts=handed.contacts)


@router.get("/{deal_id}", response_model=DealPublic)
async def get_deal(deal_id: UUID, reads: Reads, identity: CurrentIdentity) -> Response:
    return json_answer(await deal_reads.deal_public(reads, identity, deal_id))


@router.patch("/{deal_id}", response_model=DealPublic)
async def update_deal(
    deal_id: UUID, body: DealUpdate, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    try:
        deal = await usecases.update_deal(
            sessions, identity=identity, deal_id=deal_id, changes=changes, today=_today()
        )
    except RequirementsUnmet as refusal:
        raise refused(refusal, identity) from None
    return _answer(await deal_reads.deals_public(reads, [deal.id]))


@router.get("/{deal_id}/requirements")
async def requirements(
    deal_id: UUID, stage_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> RequirementsAnswer:
    """Before a move: what the deal still lacks to enter `stage_id`."""
    stage, unmet = await usecases.check_stage(
        sessions, identity=identity, deal_id=deal_id, stage_id=stage_id, today=_today()
    )
    return RequirementsAnswer(
        stage_id=stage.id, ready=not unmet, unmet=[_requirement(u, identity.locale) for u in unmet]
    )


@router.post("/{deal_id}/documents", status_code=status.HTTP_201_CREATED)
async def link_document(
    deal_id: UUID, body: DocumentLink, sessions: Sessions, identity: CurrentIdentity
) -> dict[str, str]:
    document = await usecases.add_document(
        sessions, identity=identity, deal_id=deal_id, title=body.title, url=body.url
    )
    return {"id": str(document.id), "title": document.title, "url": document.url}


@router.get("/{deal_id}/documents")
async def list_documents(
    deal_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> list[DocumentPublic]:
    """The documents linked to the deal, oldest first."""
    async with sessions() as session:
        await usecases.visible_deal(session, identity, deal_id)
        query = (
            select(DealDocument)
            .where(DealDocument.deal_id == deal_id)
            .order_by(DealDocument.added_at, DealDocument.id)
        )
        return [DocumentPublic.model_validate(row) for row in await session.scalars(query)]


@router.post("/{deal_id}/archive", response_model=DealPublic)
async def archive_deal(
    deal_id: UUID, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    """Out of the board, its totals, the lists and the plans (`crm.deal.archived.v1`)."""
    deal = await archiving.set_deal_archived(
        sessions, identity=identity, deal_id=deal_id, archive=True, now=datetime.now(UTC)
    )
    return _answer(await deal_reads.deals_public(reads, [deal.id]))


@router.post("/{deal_id}/restore", response_model=DealPublic)
async def restore_deal(
    deal_id: UUID, sessions: Sessions, reads: Reads, identity: CurrentIdentity
) -> Response:
    """Back where it stood (`crm.deal.restored.v1`)."""
    deal = await archiving.set_deal_archived(
        sessions, identity=identity, deal_id=deal_id, archive=False, now=datetime.now(UTC)
    )
    return _answer(await deal_reads.deals_public(reads, [deal.id]))


@router.get("/{deal_id}/timeline")
async def deal_timeline(
    deal_id: UUID, sessions: Sessions, identity: CurrentIdentity, limit: Limit = 100
) -> list[TimelineItem]:
    """Outcome reports, stage moves and field changes (who, when, old -> new), newest first."""
    async with sessions() as session:
        await usecases.visible_deal(session, identity, deal_id)
        return await timeline(session, TimelineEntry.deal_id == deal_id, limit)


async def timeline(session: Any, condition: Any, limit: int) -> list[TimelineItem]:
    query = (
        select(TimelineEntry, Member.name)
        .outerjoin(Member, cast(Member.id, Text) == TimelineEntry.actor_id)
        .where(condition)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [
        TimelineItem(
            id=entry.id,
            kind=entry.kind,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_name=name,
            deal_id=entry.deal_id,
            data=entry.data,
        )
        for entry, name in rows
    ]
