"""`/api/plans/grid`: a manager's plan by client and period, and the clients kept in it."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.planning.schemas import (
    GridCellPublic,
    GridClientCreate,
    GridColumnPublic,
    GridPublic,
    GridRowPublic,
    LinePublic,
)
from services.planning.usecases import grid as usecases
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.schemas import Day

router = APIRouter(prefix="/api/plans/grid", tags=["plans"])


def _public(grid: usecases.Grid) -> GridPublic:
    return GridPublic(
        manager_id=grid.manager_id,
        period=grid.period,
        columns=[
            GridColumnPublic(start_date=start, end_date=end, total=grid.column_total(index))
            for index, (start, end) in enumerate(grid.columns)
        ],
        rows=[
            GridRowPublic(
                company_id=row.company_id,
                name=row.name,
                kept=row.kept,
                total=row.total,
                cells=[
                    GridCellPublic(
                        start_date=cell.start_date,
                        end_date=cell.end_date,
                        line=LinePublic.model_validate(cell.line) if cell.line else None,
                        planned=cell.planned,
                        prorated=cell.prorated,
                        other_sizes=cell.other_sizes,
                    )
                    for cell in row.cells
                ],
            )
            for row in grid.rows
        ],
        total=grid.total,
    )


@router.get("")
async def plan_grid(
    sessions: Sessions,
    identity: CurrentIdentity,
    manager_id: UUID,
    period: Literal["day", "week", "month", "quarter", "year"],
    start_date: Annotated[Day, Query(description="the first day of the first period")],
    count: Annotated[int, Query(ge=1, le=24)] = 6,
) -> GridPublic:
    """Consecutive periods of a kind, a row per client the manager planned in those days or keeps
    in the grid; each cell the client's own line of the period and all its lines' plan there."""
    async with sessions() as session:
        found = await usecases.grid(
            session,
            identity=identity,
            manager_id=manager_id,
            period=period,
            start=start_date,
            count=count,
        )
        return _public(found)


@router.post("/clients", status_code=status.HTTP_204_NO_CONTENT)
async def keep_client(
    body: GridClientCreate, sessions: Sessions, identity: CurrentIdentity
) -> Response:
    """Keep a client in the manager's grid, so its row stays before anything is planned."""
    await usecases.keep_client(sessions, identity=identity, **body.model_dump())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/clients/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
async def drop_client(
    company_id: UUID, manager_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> Response:
    """No longer keep the client in the manager's grid (its lines still show it)."""
    await usecases.drop_client(
        sessions, identity=identity, manager_id=manager_id, company_id=company_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
