"""`/api/pipelines/{id}/board`: the kanban board, one column per stage, at a flat cost.

Column totals come from the running tallies, cards from one indexed query per stage, and the
cards' company, owner and next activity from one query each for the whole board, so the board
costs the same with a thousand deals or a hundred thousand. Archived deals are not on it.
"""

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.schemas import (
    Board,
    Column,
    DealCard,
    DealPublic,
    NextActivity,
    StagePublic,
    Total,
)
from services.deals.tables import Company, Deal, DealActivity, DealTally, Member, Pipeline, Stage
from services.deals.usecases.deals import visible_deals, visible_owners
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import NotFound

router = APIRouter(prefix="/api/pipelines", tags=["pipelines"])


@router.get("/{pipeline_id}/board")
async def board(
    pipeline_id: UUID,
    sessions: Sessions,
    identity: CurrentIdentity,
    owner_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200, description="cards per column")] = 50,
) -> Board:
    async with sessions() as session:
        pipeline = await session.get(Pipeline, pipeline_id)
        if pipeline is None:
            raise NotFound("pipeline")
        stages = (
            await session.scalars(
                select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
            )
        ).all()
        tallies = select(
            DealTally.stage_id,
            DealTally.currency,
            func.sum(DealTally.count),
            func.sum(DealTally.amount),
        )
        tallies = tallies.where(
            DealTally.stage_id.in_([s.id for s in stages]),
            visible_owners(identity, DealTally.owner_id),
        )
        if owner_id is not None:
            tallies = tallies.where(DealTally.owner_id == owner_id)
        sums = (
            await session.execute(tallies.group_by(DealTally.stage_id, DealTally.currency))
        ).all()
        by_stage = {}
        for stage in stages:
            cards = select(Deal).where(
                Deal.stage_id == stage.id, Deal.archived_at.is_(None), visible_deals(identity)
            )
            if owner_id is not None:
                cards = cards.where(Deal.owner_id == owner_id)
            by_stage[stage.id] = (
                await session.scalars(
                    cards.order_by(Deal.created_at.desc(), Deal.id.desc()).limit(limit)
                )
            ).all()
        every = [deal for deals in by_stage.values() for deal in deals]
        card = await _cards(session, every)
    columns = []
    for stage in stages:
        mine = [row for row in sums if row[0] == stage.id and row[2]]
        columns.append(
            Column(
                stage=StagePublic.model_validate(stage),
                count=sum(int(row[2]) for row in mine),
                totals=[Total(currency=row[1], amount=row[3]) for row in mine],
                deals=[card(deal) for deal in by_stage[stage.id]],
            )
        )
    return Board(pipeline_id=pipeline.id, name=pipeline.name, columns=columns)


async def _cards(session: AsyncSession, deals: list[Deal]) -> Callable[[Deal], DealCard]:
    """How each deal shows on the board: names and next activity fetched once for them all."""
    company_ids = {deal.company_id for deal in deals}
    owner_ids = {deal.owner_id for deal in deals}
    companies = {
        row.id: row.name
        for row in await session.execute(
            select(Company.id, Company.name).where(Company.id.in_(company_ids))
        )
    }
    owners = {
        row.id: row.name
        for row in await session.execute(
            select(Member.id, Member.name).where(Member.id.in_(owner_ids))
        )
    }
    upcoming = await next_activities(session, [deal.id for deal in deals])

    def card(deal: Deal) -> DealCard:
        public = DealPublic.model_validate(deal).model_dump()
        return DealCard(
            **public,
            company_name=companies.get(deal.company_id, ""),
            owner_name=owners.get(deal.owner_id),
            next_activity=upcoming.get(deal.id),
        )

    return card


async def next_activities(session: AsyncSession, deal_ids: list[UUID]) -> dict[UUID, NextActivity]:
    """Each deal's earliest activity still planned (not reported on, not cancelled)."""
    if not deal_ids:
        return {}
    query = (
        select(DealActivity)
        .where(DealActivity.deal_id.in_(deal_ids), DealActivity.status == "scheduled")
        .order_by(DealActivity.deal_id, DealActivity.starts_at, DealActivity.id)
        .ext(distinct_on(DealActivity.deal_id))
    )
    return {
        row.deal_id: NextActivity.model_validate(row)
        for row in await session.scalars(query)
        if row.deal_id is not None
    }
