"""`/api/pipelines/{id}/board`: the kanban board, one column per stage, at a flat cost.

Column totals come from the running tallies, cards from one indexed query per stage, so the
board costs the same with a thousand deals or a hundred thousand.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from services.deals.schemas import Board, Column, DealPublic, StagePublic, Total
from services.deals.tables import Deal, DealTally, Pipeline, Stage
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
        columns = []
        for stage in stages:
            cards = select(Deal).where(Deal.stage_id == stage.id, visible_deals(identity))
            if owner_id is not None:
                cards = cards.where(Deal.owner_id == owner_id)
            deals = (
                await session.scalars(
                    cards.order_by(Deal.created_at.desc(), Deal.id.desc()).limit(limit)
                )
            ).all()
            mine = [row for row in sums if row[0] == stage.id and row[2]]
            columns.append(
                Column(
                    stage=StagePublic.model_validate(stage),
                    count=sum(int(row[2]) for row in mine),
                    totals=[Total(currency=row[1], amount=row[3]) for row in mine],
                    deals=[DealPublic.model_validate(deal) for deal in deals],
                )
            )
    return Board(pipeline_id=pipeline.id, name=pipeline.name, columns=columns)
