"""`/api/plans/lines` and `/api/plans/settings`: revenue plans per manager, client and period."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select

from services.planning.domain.periods import Period
from services.planning.schemas import (
    ChangePublic,
    CopyRequest,
    FiguresPublic,
    LineCreate,
    LinePublic,
    LineUpdate,
    Review,
    SettingsPublic,
    SettingsUpdate,
)
from services.planning.tables import PlanLine
from services.planning.usecases import history, plan_settings
from services.planning.usecases import lines as usecases
from services.planning.usecases import summary as summaries
from services.planning.usecases.locks import dates_of
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    UpdatedSince,
    changes,
    changes_page,
    keyset,
    page_of,
)
from shared.reads import Reads, json_answer
from shared.schemas import Day

router = APIRouter(prefix="/api/plans", tags=["plans"])


@router.post("/lines", status_code=status.HTTP_201_CREATED)
async def create_line(
    body: LineCreate, sessions: Sessions, identity: CurrentIdentity
) -> LinePublic:
    line = await usecases.create_line(sessions, identity=identity, **body.model_dump())
    return LinePublic.model_validate(line)


@router.get("/lines")
async def list_lines(
    sessions: Sessions,
    identity: CurrentIdentity,
    period: Period | None = None,
    start_date: Day | None = None,
    manager_id: UUID | None = None,
    line_status: Annotated[str | None, Query(alias="status")] = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[LinePublic]:
    """In the order they were added; with `updated_since`, those changed since, in order of
    change (a deleted draft is simply gone)."""
    query = select(PlanLine).where(usecases.visible_lines(identity))
    for column, value in (
        (PlanLine.period, period),
        (PlanLine.start_date, start_date),
        (PlanLine.manager_id, manager_id),
        (PlanLine.status, line_status),
    ):
        if value is not None:
            query = query.where(column == value)
    if updated_since is not None:
        query = changes(
            query,
            PlanLine.updated_at,
            PlanLine.id,
            since=updated_since,
            cursor=cursor,
            limit=limit,
        )
    else:
        query = keyset(
            query,
            (PlanLine.created_at, PlanLine.id),
            cursor=cursor,
            types=(datetime.fromisoformat, UUID),
            limit=limit,
        )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    items = [LinePublic.model_validate(row) for row in rows]
    if updated_since is not None:
        return changes_page(items, limit)
    return page_of(items, limit, key=lambda line: (line.created_at.isoformat(), line.id))


@router.post("/lines/copy", status_code=status.HTTP_201_CREATED)
async def copy_previous(
    body: CopyRequest, sessions: Sessions, identity: CurrentIdentity
) -> list[LinePublic]:
    """Copy the manager's previous period into this one as drafts, skipping clients planned here."""
    copies = await usecases.copy_previous(
        sessions,
        identity=identity,
        period=body.period,
        start_date=body.start_date,
        manager_id=body.manager_id,
    )
    return [LinePublic.model_validate(line) for line in copies]


@router.patch("/lines/{line_id}")
async def update_line(
    line_id: UUID, body: LineUpdate, sessions: Sessions, identity: CurrentIdentity
) -> LinePublic:
    line = await usecases.update_line(
        sessions, identity=identity, line_id=line_id, changes=body.model_dump(exclude_unset=True)
    )
    return LinePublic.model_validate(line)


@router.delete("/lines/{line_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_line(line_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    await usecases.delete_line(sessions, identity=identity, line_id=line_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/lines/{line_id}/history")
async def line_history(
    line_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> list[ChangePublic]:
    """Every change of the line (amount, note, status, review comment): who, when, old -> new;
    newest first."""
    async with sessions() as session:
        changes = await history.line_history(session, identity=identity, line_id=line_id)
    return [ChangePublic.model_validate(change) for change in changes]


@router.post("/lines/{line_id}/submit")
async def submit_line(line_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> LinePublic:
    return LinePublic.model_validate(
        await usecases.submit_line(sessions, identity=identity, line_id=line_id)
    )


@router.post("/lines/{line_id}/review")
async def review_line(
    line_id: UUID, body: Review, sessions: Sessions, identity: CurrentIdentity
) -> LinePublic:
    line = await usecases.review_line(
        sessions, identity=identity, line_id=line_id, decision=body.decision, comment=body.comment
    )
    return LinePublic.model_validate(line)


@router.get("/settings")
async def get_settings(sessions: Sessions, _: CurrentIdentity) -> SettingsPublic:
    async with sessions() as session, session.begin():
        found = await plan_settings.settings(session)
        return SettingsPublic.model_validate(found, from_attributes=True)


@router.put("/settings")
async def put_settings(
    body: SettingsUpdate, sessions: Sessions, identity: CurrentIdentity
) -> SettingsPublic:
    if identity.role != "admin":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only an administrator may change plan settings"
        )
    changes = body.model_dump(exclude_unset=True)
    found = await plan_settings.update_settings(sessions, changes=changes)
    return SettingsPublic.model_validate(found, from_attributes=True)


def _public_node(node: summaries.Node) -> dict[str, Any]:
    """A node as `FiguresPublic` writes it."""
    figures = node.figures
    return {
        "scope": node.scope,
        "id": node.id,
        "name": node.name,
        "submitted": figures.submitted,
        "final": figures.final,
        "actual": figures.actual,
        "forecast": figures.forecast,
        "prorated": figures.prorated,
        "children": [_public_node(child) for child in node.children],
    }


@router.get("/summary", response_model=FiguresPublic)
async def summary(
    reads: Reads,
    identity: CurrentIdentity,
    period: Period,
    start_date: Day,
    end_date: Day | None = None,
    scope: summaries.Scope = "company",
    id: UUID | None = None,
) -> Response:
    """Plan (submitted and final) against actual and forecast, with the level below as children.

    Any period adds up every line overlapping it: lines inside it whole, lines crossing its
    edges in proportion to the days they share with it (`prorated` says some did)."""
    start, end = dates_of(period, start_date, end_date, where="query")
    node = await summaries.summary(
        reads, identity=identity, start=start, end=end, scope=scope, id_=id
    )
    return json_answer(_public_node(node))
