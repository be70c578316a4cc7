"""`/api/plans/locks` and `/api/plans/periods`: which periods are closed to changes, and why."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from services.planning.domain.periods import Period
from services.planning.schemas import LockCreate, LockPublic, PeriodPublic
from services.planning.tables import PlanLock
from services.planning.usecases import locks as usecases
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.pagination import Cursor, Limit, Page, keyset, page_of
from shared.schemas import Day

router = APIRouter(prefix="/api/plans", tags=["plans"])


@router.post("/locks", status_code=status.HTTP_201_CREATED)
async def lock_period(
    body: LockCreate, sessions: Sessions, identity: CurrentIdentity
) -> LockPublic:
    """Lock a period: its plan, and that of every period within it, is frozen but for admins."""
    lock = await usecases.lock_period(sessions, identity=identity, **body.model_dump())
    return LockPublic.model_validate(lock)


@router.delete("/locks", status_code=status.HTTP_204_NO_CONTENT)
async def unlock_period(
    sessions: Sessions,
    identity: CurrentIdentity,
    period: Period,
    start_date: Day,
    end_date: Day | None = None,
) -> Response:
    await usecases.unlock_period(
        sessions, identity=identity, period=period, start_date=start_date, end_date=end_date
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/locks")
async def list_locks(
    sessions: Sessions, _: CurrentIdentity, limit: Limit = 50, cursor: Cursor = None
) -> Page[LockPublic]:
    query = keyset(
        select(PlanLock),
        (PlanLock.start_date, PlanLock.end_date, PlanLock.period),
        cursor=cursor,
        types=(date.fromisoformat, date.fromisoformat, str),
        limit=limit,
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    locks = [LockPublic.model_validate(row) for row in rows]
    return page_of(locks, limit, key=lambda lock: (lock.start_date, lock.end_date, lock.period))


@router.get("/periods")
async def periods(
    sessions: Sessions,
    _: CurrentIdentity,
    period: Literal["day", "week", "month", "quarter", "year"],
    start_date: Annotated[Day, Query(description="any day of the first period")],
    count: Annotated[int, Query(ge=1, le=24)] = 1,
    before: Annotated[int, Query(ge=0, le=24, description="periods before that one first")] = 0,
) -> list[PeriodPublic]:
    """Consecutive periods of a kind around the one holding `start_date`, each open or locked."""
    async with sessions() as session, session.begin():
        states = await usecases.period_states(session, period, start_date, count, before=before)
    return [PeriodPublic(**vars(state)) for state in states]
