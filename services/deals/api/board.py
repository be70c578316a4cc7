"""`/api/pipelines/{id}/board`: the kanban board, one column per stage, at a flat cost.

Column totals come from the running tallies, and every column's newest cards with their
company, owner and next activity from one LATERAL query (`usecases/deal_reads.py`), so the
board costs the same with a thousand deals or a hundred thousand. Archived deals are not on it.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.deals.schemas import Board, BriefBoard
from services.deals.usecases import deal_reads
from shared.auth import CurrentIdentity
from shared.reads import Reads, json_answer

router = APIRouter(prefix="/api/pipelines", tags=["pipelines"])


@router.get("/{pipeline_id}/board", response_model=Board | BriefBoard)
async def board(
    pipeline_id: UUID,
    reads: Reads,
    identity: CurrentIdentity,
    owner_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200, description="cards per column")] = 50,
    brief: Annotated[
        bool, Query(description="cards with only what a card shows, not the whole deal")
    ] = False,
) -> Response:
    answer = await deal_reads.board(
        reads, identity, pipeline_id, owner_id=owner_id, limit=limit, brief=brief
    )
    return json_answer(answer)
